"""``load_demo`` (``make run``) fills the demo account and its sandbox with a catalog of every
price kind, subscriptions in every status, invoices in every status, a dunning case and a
disputed-card customer; a second run creates nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from apps.accounts.enums import AccountKind
from apps.accounts.models import Account, AuditLogEntry, TestClock
from apps.catalog.models import Price, Product
from apps.collections.models import PaymentAttempt
from apps.core.models import Event
from apps.customers.models import Customer, PaymentMethod
from apps.dashboard.management.commands import load_demo
from apps.invoices.models import Invoice
from apps.payments.models import Charge
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription

MODELS = (
    Account,
    Product,
    Price,
    Customer,
    PaymentMethod,
    Subscription,
    Invoice,
    Charge,
    PaymentAttempt,
    TestClock,
    Event,
    AuditLogEntry,
)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _demo_accounts() -> list[Account]:
    demo = Account.objects.get(name=load_demo.DEMO_ACCOUNT_NAME, kind=AccountKind.STANDARD)
    return [demo, demo.sandboxes.get(name=load_demo.DEMO_SANDBOX_NAME)]


@pytest.fixture
def loaded_twice(db, tmp_path) -> dict[str, int]:
    key_file = tmp_path / "demo_secret_key"
    call_command("load_demo", "--key-file", str(key_file), stdout=StringIO())
    first = _counts()
    call_command("load_demo", "--key-file", str(key_file), stdout=StringIO())
    return first


def test_a_second_run_creates_nothing(loaded_twice):
    assert _counts() == loaded_twice
    assert loaded_twice["Subscription"] >= 2 * len(SubscriptionStatus.values)


@pytest.mark.parametrize("which", ["account", "sandbox"])
def test_every_status_a_dunning_case_a_disputed_card_and_every_price_kind(loaded_twice, which):
    account = _demo_accounts()[["account", "sandbox"].index(which)]
    statuses = set(Subscription.objects.filter(account=account).values_list("status", flat=True))
    assert statuses == set(SubscriptionStatus.values)
    invoices = set(Invoice.objects.filter(account=account).values_list("status", flat=True))
    assert invoices == {"draft", "open", "paid", "void", "uncollectible"}
    past_due = Subscription.objects.get(account=account, status="past_due")
    invoice = Invoice.objects.get(subscription=past_due, status="open")
    assert invoice.billing_reason == "subscription_cycle"
    assert invoice.next_payment_attempt is not None
    failed = PaymentAttempt.objects.filter(invoice=invoice, outcome="failed")
    assert failed.count() >= 2
    assert set(failed.values_list("decline_code", flat=True)) == {"generic_decline"}
    unpaid = Subscription.objects.get(account=account, status="unpaid")
    assert Invoice.objects.filter(subscription=unpaid, status="uncollectible").exists()
    card = PaymentMethod.objects.get(account=account, test_scenario="dispute_fraudulent")
    assert card.customer.email == "dev.patel@example.com"
    assert Charge.objects.filter(payment_method=card, status="succeeded").count() == 1
    prices = Price.objects.filter(account=account, active=True)
    assert prices.filter(billing_scheme="tiered", tiers_mode="graduated").count() == 1
    supporter = prices.get(lookup_key="supporter_monthly")
    assert supporter.custom_unit_amount == {
        "minimum": 500,
        "maximum": 10000,
        "preset": 1500,
    }
    assert sorted(prices.get(lookup_key="global_monthly").currency_options) == ["eur", "gbp"]
    assert Subscription.objects.filter(
        account=account, items__custom_unit_amount=2500, status="active"
    ).exists()
