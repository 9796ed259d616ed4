"""The billing stages end to end: a choice changes a subscription change's preview exactly as it
changes the invoice, through the API (ACCEPTANCE B1 with the minimum threshold, on a test
clock) and through the services' ``choices=``; what computed an invoice is recorded on it."""

import pytest
import stripe

from apps.core.actor import SYSTEM
from apps.invoices.engine.stages import DEFAULTS, Choice, Choices
from apps.invoices.models import Invoice, InvoiceItem
from apps.invoices.one_off import InvoiceDraft, invoice_create
from apps.invoices.stage_choices import _resolver, choices_resolver_register
from apps.subscriptions.changes import ItemChange
from apps.subscriptions.invoice_preview import invoice_preview
from apps.subscriptions.models import Subscription
from apps.subscriptions.services import subscription_items_change
from tests.subscriptions.sdk_clock import advance, clock_customer, epoch, invoices_of, monthly

THRESHOLD = Choices(
    {"billing.prorations": Choice("billing.prorations", "minimum_threshold", 1, {"minimum": 500})},
    {},
)
DEFAULT_RECORD = {"implementation": "by_second", "version": 1, "fallback": False}
THRESHOLD_RECORD = {"implementation": "minimum_threshold", "version": 1, "fallback": False}


@pytest.fixture
def threshold_installed():
    """The account's choice, as the customizations app's resolver would give it."""
    saved = list(_resolver)
    choices_resolver_register(lambda account: THRESHOLD)
    yield
    _resolver[:] = saved


def _change_on_january_16(start_price: str, to_price: str):
    """A subscription on ``start_price`` since 2025-01-01, its test clock on 2025-01-16: the
    preview of moving it to ``to_price`` then, and the change itself."""
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": start_price}])
    advance(test_clock, 2025, 1, 16)
    item = subscription["items"].data[0].id
    change = {"items": [{"id": item, "price": to_price}], "proration_date": epoch(2025, 1, 16)}
    preview = stripe.Invoice.create_preview(
        subscription=subscription.id, subscription_details=change
    )
    stripe.Subscription.modify(subscription.id, **change)
    return test_clock, customer, subscription, preview


def _lines(invoice_id: str) -> list[int]:
    return sorted(line.amount for line in stripe.Invoice.list_lines(invoice_id).data)


@pytest.mark.parametrize(
    ("to", "prorations", "february"),
    [
        ("pro", [], 2700),  # net +104, under the $5.00 minimum: waived
        ("max", [-1290, 2323], 5533),  # net +1033: charged in full
    ],
)
def test_b1_minimum_threshold_upgrades(
    stripe_sdk, tasks_inline, threshold_installed, to, prorations, february
):
    basic = monthly(2500, "Basic")
    new = {"pro": monthly(2700, "Pro"), "max": monthly(4500, "Max")}[to]
    test_clock, customer, subscription, preview = _change_on_january_16(basic, new)
    upcoming = sorted(line.amount for line in preview.lines.data)
    renewal_amount = 2700 if to == "pro" else 4500
    assert (preview.amount_due, upcoming) == (february, sorted([*prorations, renewal_amount]))
    advance(test_clock, 2025, 2, 1, 2)
    renewal = invoices_of(customer)[-1]
    assert (renewal.total, renewal.status) == (february, "paid")
    assert _lines(renewal.id) == upcoming  # the preview is what was invoiced
    recorded = Invoice.objects.get(id=renewal.id).stages
    # A waived change leaves no line but its record: the invoice shows what decided it.
    assert recorded["billing.prorations"] == THRESHOLD_RECORD
    assert Subscription.objects.get(id=subscription.id).pending_stages == {}
    assert recorded["billing.compute_bill"] == {
        "implementation": "standard",
        "version": 1,
        "fallback": False,
    }


def test_b1_minimum_threshold_still_credits_a_downgrade(
    stripe_sdk, tasks_inline, threshold_installed
):
    basic, pro = monthly(2500, "Basic"), monthly(2700, "Pro")
    test_clock, customer, subscription, preview = _change_on_january_16(pro, basic)
    assert sorted(line.amount for line in preview.lines.data) == [-1394, 1290, 2500]
    assert preview.amount_due == 2396  # the credit −104 is given
    advance(test_clock, 2025, 2, 1, 2)
    renewal = invoices_of(customer)[-1]
    assert (renewal.total, _lines(renewal.id)) == (2396, [-1394, 1290, 2500])
    assert Invoice.objects.get(id=renewal.id).stages["billing.prorations"] == THRESHOLD_RECORD


def _service_change(subscription: Subscription, price, choices) -> None:
    item = subscription.items.get()
    subscription_items_change(
        account=subscription.account,
        subscription_id=subscription.id,
        changes=[ItemChange(item_id=item.id, price=price)],
        proration_date=subscription.current_period_start.replace(day=16),
        actor=SYSTEM,
        choices=choices,
    )


@pytest.mark.parametrize(
    ("choices", "amounts", "record"),
    [
        (DEFAULTS, [-1290, 1394], DEFAULT_RECORD),
        (THRESHOLD, [], THRESHOLD_RECORD),
        (
            Choices({"billing.prorations": Choice("billing.prorations", "none", 1, {})}, {}),
            [],
            {"implementation": "none", "version": 1, "fallback": False},
        ),
        (
            # A version the account cannot have: the default's lines, the fallback recorded.
            Choices({"billing.prorations": Choice("billing.prorations", "none", 9, {})}, {}),
            [-1290, 1394],
            {"implementation": "none", "version": 9, "fallback": True},
        ),
    ],
)
def test_choices_change_the_preview_as_they_change_the_pending_prorations(
    stripe_sdk, tasks_inline, choices, amounts, record
):
    basic, pro = monthly(2500, "Basic"), monthly(2700, "Pro")
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    created = stripe.Subscription.create(customer=customer.id, items=[{"price": basic}])
    advance(test_clock, 2025, 1, 16)
    subscription = Subscription.objects.select_related("account", "customer").get(id=created.id)
    item = subscription.items.get()
    price = item.price.__class__.objects.get(id=pro)
    preview = invoice_preview(
        subscription=subscription,
        changes=[ItemChange(item_id=item.id, price=price)],
        proration_date=subscription.current_period_start.replace(day=16),
        choices=choices,
    )
    previewed = sorted(line["amount"] for line in preview["lines"]["data"] if line["proration"])
    _service_change(subscription, price, choices)
    pending = InvoiceItem.objects.filter(subscription_id=subscription.id, invoice__isnull=True)
    assert previewed == sorted(row.amount for row in pending) == amounts
    assert [row.stages.get("billing.prorations") for row in pending] == [record] * len(amounts)
    # A change that made no line keeps its record on the subscription for the next invoice.
    subscription.refresh_from_db()
    assert subscription.pending_stages == ({} if amounts else {"billing.prorations": record})
    assert preview["amount_due"] == 2700 + sum(amounts)


@pytest.fixture
def installed():
    """Install ``Choices`` of the given account-level choices for the test's duration."""
    saved = list(_resolver)

    def install(*choices: Choice) -> None:
        chosen = Choices({choice.stage: choice for choice in choices}, {})
        choices_resolver_register(lambda account: chosen)

    yield install
    _resolver[:] = saved


def test_a_large_invoice_is_sent_instead_of_charged(stripe_sdk, tasks_inline, installed):
    config = {"amount": 1000, "days_until_due": 15}
    installed(Choice("payments.collection", "send_invoice_above", 1, config))
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    basic = monthly(2500, "Basic")
    preview = stripe.Invoice.create_preview(
        customer=customer.id, subscription_details={"items": [{"price": basic}]}
    )
    stripe.Subscription.create(customer=customer.id, items=[{"price": basic}])
    (first,) = invoices_of(customer)
    assert (first.status, first.collection_method, first.amount_paid) == ("open", "send_invoice", 0)
    # The preview said so: sent, due in 15 days, no payment attempt.
    assert (preview.collection_method, preview.due_date, preview.next_payment_attempt) == (
        "send_invoice",
        epoch(2025, 1, 16),
        None,
    )
    assert first.due_date == epoch(2025, 1, 16)
    assert Invoice.objects.get(id=first.id).stages["payments.collection"] == {
        "implementation": "send_invoice_above",
        "version": 1,
        "fallback": False,
    }


def test_a_total_under_the_minimum_is_deferred_to_the_next_invoice(
    stripe_sdk, tasks_inline, installed
):
    minimum = {"minimum": 3000}
    installed(
        Choice("billing.customer_balance_application", "minimum_before_collection", 1, minimum)
    )
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    stripe.Subscription.create(customer=customer.id, items=[{"price": monthly(2500, "Basic")}])
    (first,) = invoices_of(customer)
    assert (first.total, first.amount_due, first.status, first.ending_balance) == (
        2500,
        0,
        "paid",
        2500,
    )
    advance(test_clock, 2025, 2, 1, 2)
    renewal = invoices_of(customer)[-1]
    # 2500 more plus the 2500 deferred is 5000, at or above the minimum: collected.
    assert (renewal.total, renewal.amount_due, renewal.amount_paid, renewal.status) == (
        2500,
        5000,
        5000,
        "paid",
    )
    assert stripe.Customer.retrieve(customer.id).balance == 0


def test_a_zero_amount_item_is_left_off_the_renewal(stripe_sdk, tasks_inline, installed):
    installed(Choice("billing.recurring_billing_item_handling", "skip_zero_amount", 1, {}))
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    items = [{"price": monthly(2500, "Basic")}, {"price": monthly(0, "Support")}]
    stripe.Subscription.create(customer=customer.id, items=items)
    advance(test_clock, 2025, 2, 1, 2)
    renewal = invoices_of(customer)[-1]
    assert (renewal.billing_reason, _lines(renewal.id)) == ("subscription_cycle", [2500])
    assert Invoice.objects.get(id=renewal.id).stages["billing.recurring_billing_item_handling"] == {
        "implementation": "skip_zero_amount",
        "version": 1,
        "fallback": False,
    }


def _subscription_on_january_16(stripe_sdk) -> tuple[Subscription, object]:
    """Basic $25 since 2025-01-01, its test clock on 2025-01-16, and the Pro $27 price."""
    basic, pro = monthly(2500, "Basic"), monthly(2700, "Pro")
    test_clock, customer = clock_customer(epoch(2025, 1, 1))
    created = stripe.Subscription.create(customer=customer.id, items=[{"price": basic}])
    advance(test_clock, 2025, 1, 16)
    subscription = Subscription.objects.select_related("account", "customer").get(id=created.id)
    return subscription, subscription.items.get().price.__class__.objects.get(id=pro)


def test_a_one_off_invoice_taking_the_pending_items_takes_a_waived_record(stripe_sdk, tasks_inline):
    subscription, pro = _subscription_on_january_16(stripe_sdk)
    _service_change(subscription, pro, THRESHOLD)
    invoice = invoice_create(
        account=subscription.account,
        draft=InvoiceDraft(
            customer_id=subscription.customer_id,
            subscription_id=subscription.id,
            include_pending=True,
        ),
        actor=SYSTEM,
    )
    assert (invoice.total, invoice.lines.count()) == (0, 0)
    assert invoice.stages["billing.prorations"] == THRESHOLD_RECORD
    subscription.refresh_from_db()
    assert subscription.pending_stages == {}


def test_an_always_invoiced_change_that_bills_nothing_makes_no_invoice_and_keeps_no_record(
    stripe_sdk, tasks_inline
):
    subscription, pro = _subscription_on_january_16(stripe_sdk)
    before = Invoice.objects.filter(subscription_id=subscription.id).count()
    item = subscription.items.get()
    subscription_items_change(
        account=subscription.account,
        subscription_id=subscription.id,
        changes=[ItemChange(item_id=item.id, price=pro)],
        proration_behavior="always_invoice",
        proration_date=subscription.current_period_start.replace(day=16),
        actor=SYSTEM,
        choices=THRESHOLD,
    )
    assert Invoice.objects.filter(subscription_id=subscription.id).count() == before
    subscription.refresh_from_db()
    assert subscription.pending_stages == {}
