"""Demo subscriptions and invoices for ``load_demo``: a subscription in every status, invoices in
every status, a dunning case and a customer whose card is disputed, all made by the services an
API call or a staff action uses (nothing is written around them).

What needs time to pass (a renewal declined and retried, retries spent, a trial that ends
without a card, a first payment left unpaid for 23 hours) happens to customers on the test
clock "Demo history": it starts 50 days ago and is advanced, through the same code a clock
advance from the dashboard runs, to now. Every other customer lives in real time.

Idempotent: each scenario is keyed by its customer's email (and the clock's scenarios by the
clock's name); a scenario found is left alone. It runs outside a transaction, one service call
at a time, because payments are never made inside one (STYLE 7).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from apps.accounts.models import Account, TestClock
from apps.catalog.models import Price
from apps.collections.settings_services import collection_settings_update
from apps.core import clock
from apps.core.actor import SYSTEM
from apps.customers.models import Customer
from apps.customers.services import CustomerFields, customer_create, customer_update
from apps.invoices.invoice_items import invoice_item_create
from apps.invoices.one_off import InvoiceDraft, invoice_create
from apps.invoices.services.finalize import invoice_finalize
from apps.subscriptions.models import Subscription
from apps.subscriptions.planning import ItemRequest
from apps.subscriptions.services import subscription_create
from apps.subscriptions.services.cancel import CancellationDetails, subscription_cancel
from apps.subscriptions.services.test_clocks import (
    test_clock_advance,
    test_clock_create,
    test_clock_run,
)

DEMO_CLOCK_NAME = "Demo history"
# The clock's start: old enough that a renewal 1 month in and its 2 weeks of retries are over.
HISTORY_DAYS = 50
# When the past-due customer subscribes on the clock: renewed 7–10 days ago, retries left.
PAST_DUE_START_DAYS = 38
# A declining card that can still be saved (charges to it fail with card_declined).
DECLINING = "tok_chargeCustomerFail"


@dataclass(frozen=True)
class DemoCustomer:
    email: str
    name: str
    source: str | None


ACTIVE = DemoCustomer("jenny.rosen@example.com", "Jenny Rosen", "tok_visa")
TRIALING = DemoCustomer("max.mustermann@example.com", "Max Mustermann", "tok_mastercard")
CANCELED = DemoCustomer("grace.hopper@example.com", "Grace Hopper", "tok_visa")
DISPUTED = DemoCustomer("dev.patel@example.com", "Dev Patel", "tok_createDispute")
SUPPORTER = DemoCustomer("ines.garcia@example.com", "Inès García", "tok_visa")
INVOICED = DemoCustomer("kenji.sato@example.com", "Kenji Sato", "tok_visa")
UNPAID = DemoCustomer("una.murphy@example.com", "Una Murphy", "tok_visa")
EXPIRED = DemoCustomer("eli.cohen@example.com", "Eli Cohen", DECLINING)
PAST_DUE = DemoCustomer("pat.okafor@example.com", "Pat Okafor", "tok_visa")
PAUSED = DemoCustomer("zoe.martin@example.com", "Zoé Martin", None)
INCOMPLETE = DemoCustomer("ivan.petrov@example.com", "Ivan Petrov", DECLINING)


def _customer(account: Account, who: DemoCustomer, test_clock_id: str | None = None) -> Customer:
    return customer_create(
        account=account,
        fields=CustomerFields(email=who.email, name=who.name),
        source=who.source,
        test_clock_id=test_clock_id,
        actor=SYSTEM,
    )


def _price(account: Account, lookup_key: str) -> Price:
    return Price.objects.get(account=account, lookup_key=lookup_key, active=True)


def _subscribe(account: Account, customer: Customer, lookup_key: str, **options) -> Subscription:
    item = ItemRequest(
        price=_price(account, lookup_key),
        quantity=options.pop("quantity", 1),
        custom_unit_amount=options.pop("custom_unit_amount", None),
    )
    return subscription_create(
        account=account, customer=customer, items=[item], actor=SYSTEM, **options
    )


def _exists(account: Account, who: DemoCustomer) -> bool:
    return Customer.objects.filter(account=account, email=who.email).exists()


def _one_off_invoice(account: Account, customer: Customer, *, description: str, amount: int):
    """A send-invoice one-off draft of one item, due 30 days after it is finalized."""
    invoice = invoice_create(
        account=account,
        draft=InvoiceDraft(
            customer_id=customer.id,
            collection_method="send_invoice",
            days_until_due=30,
            description=description,
        ),
        actor=SYSTEM,
    )
    invoice_item_create(
        account=account,
        actor=SYSTEM,
        invoice_id=invoice.id,
        amount=amount,
        description=description,
    )
    return invoice


def realtime_scenarios_load(*, account: Account) -> None:
    """Active, trialing, canceled, pay-what-you-want and disputed-card subscriptions, and a
    draft and an open invoice, at the real time."""
    if not _exists(account, ACTIVE):
        _customer(account, ACTIVE)
    jenny = Customer.objects.get(account=account, email=ACTIVE.email)
    if not Subscription.objects.filter(account=account, customer=jenny).exists():
        _subscribe(account, jenny, "starter_monthly")
    max_ = Customer.objects.filter(account=account, email=TRIALING.email).first()
    if max_ is None:
        max_ = _customer(account, TRIALING)
    if not Subscription.objects.filter(account=account, customer=max_).exists():
        trial_end = clock.now() + timedelta(days=14)
        _subscribe(account, max_, "team_monthly", quantity=3, trial_end=trial_end)
    if not _exists(account, CANCELED):
        grace = _customer(account, CANCELED)
        subscription = _subscribe(account, grace, "global_monthly")
        subscription_cancel(
            account=account,
            subscription_id=subscription.id,
            details=CancellationDetails(feedback="switched_service", comment="Moved to a rival."),
            actor=SYSTEM,
        )
    if not _exists(account, DISPUTED):
        # 4000 0000 0000 0259: the charge succeeds and is then disputed as fraudulent.
        _subscribe(account, _customer(account, DISPUTED), "starter_monthly")
    if not _exists(account, SUPPORTER):
        _subscribe(
            account, _customer(account, SUPPORTER), "supporter_monthly", custom_unit_amount=2500
        )
    if not _exists(account, INVOICED):
        kenji = _customer(account, INVOICED)
        _one_off_invoice(account, kenji, description="Onboarding workshop", amount=45000)
        sent = _one_off_invoice(account, kenji, description="Data migration", amount=120000)
        invoice_finalize(account=account, invoice_id=sent.id, actor=SYSTEM)


def _advance(account: Account, row: TestClock, to: datetime) -> None:
    """Advance the clock and run what falls due, here and now (the task the advance enqueues
    finds the clock ready and does nothing)."""
    test_clock_advance(account=account, clock_id=row.id, frozen_time=to, actor=SYSTEM)
    test_clock_run(row.id)


def _start_failing(account: Account, customer: Customer) -> None:
    """The customer's card is replaced by one the issuer declines from now on."""
    customer_update(
        account=account,
        customer_id=customer.id,
        fields=CustomerFields(),
        source=DECLINING,
        actor=SYSTEM,
    )


def history_scenarios_load(*, account: Account) -> None:
    """On the "Demo history" clock: unpaid (retries spent; its invoice uncollectible),
    past_due (a dunning case with retries left), incomplete_expired (its first invoice void),
    paused (a trial ended without a card) and incomplete (a first payment declined just now)."""
    if TestClock.objects.filter(account=account, name=DEMO_CLOCK_NAME).exists():
        return
    # After the last retry the subscription is marked unpaid and its invoice uncollectible
    # (the defaults cancel it and leave the invoice open), so the demo shows both statuses.
    collection_settings_update(
        account=account,
        actor=SYSTEM,
        subscription_after="unpaid",
        invoice_after="uncollectible",
    )
    now = clock.now().replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=HISTORY_DAYS)
    row = test_clock_create(account=account, frozen_time=start, name=DEMO_CLOCK_NAME, actor=SYSTEM)
    una = _customer(account, UNPAID, row.id)
    _subscribe(account, una, "starter_monthly")
    _start_failing(account, una)
    _subscribe(account, _customer(account, EXPIRED, row.id), "team_monthly")

    _advance(account, row, now - timedelta(days=PAST_DUE_START_DAYS))
    pat = _customer(account, PAST_DUE, row.id)
    _subscribe(account, pat, "global_monthly")
    _start_failing(account, pat)
    trial_end = clock.now(test_clock_id=row.id) + timedelta(days=7)
    _subscribe(
        account,
        _customer(account, PAUSED, row.id),
        "starter_monthly",
        trial_end=trial_end,
        trial_settings={"end_behavior": {"missing_payment_method": "pause"}},
    )

    _advance(account, row, now)
    _subscribe(account, _customer(account, INCOMPLETE, row.id), "starter_monthly")


def billing_demo_load(*, account: Account) -> None:
    realtime_scenarios_load(account=account)
    history_scenarios_load(account=account)
