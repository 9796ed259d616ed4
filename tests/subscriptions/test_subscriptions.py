"""Subscriptions over the billing engine, driven by the clock: ACCEPTANCE B1 and B2 with the
exact amounts, renewals that cannot bill a period twice, gapless numbering."""

from datetime import datetime, timedelta

import pytest

from apps.core.actor import SYSTEM
from apps.core.models import Event
from apps.customers.services import customer_create
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice, InvoiceItem
from apps.payments.models import Charge
from apps.subscriptions.models import Subscription
from apps.subscriptions.services import (
    ItemRequest,
    subscription_create,
    subscription_item_add,
    subscription_item_update,
    subscription_renew,
)
from apps.subscriptions.services.collection import due_draft_ids, invoices_auto_advance
from tests.factories import CustomerFactory, PriceFactory


class AlexFactory(CustomerFactory):
    """The subscriber of these tests, with a default card."""

    email = "alex@example.com"
    source = "tok_visa"


def _renew(at, subscription, moment: datetime) -> None:
    """Renew at the boundary ``moment``, then an hour later finalize and collect its draft."""
    at(moment)
    subscription_renew(subscription_id=subscription.id)
    at(moment + timedelta(hours=1))
    invoices_auto_advance(invoice_ids=due_draft_ids())


@pytest.mark.parametrize(
    ("behavior", "pending", "february_total", "immediate"),
    [
        ("create_prorations", [-1290, 1394], 2804, None),
        ("always_invoice", [], 2700, 104),
        ("none", [], 2700, None),
    ],
)
def test_b1_proration_behaviors(acme, at, behavior, pending, february_total, immediate):
    basic, pro = (
        PriceFactory(account=acme.account, unit_amount=2500, name="Basic"),
        PriceFactory(account=acme.account, unit_amount=2700, name="Pro"),
    )
    at(utc(2025, 1, 1))
    subscription = subscription_create(
        account=acme.account,
        customer=AlexFactory(account=acme.account),
        items=[ItemRequest(basic)],
        actor=SYSTEM,
    )
    assert subscription.status == "active"
    january = Invoice.objects.get(subscription=subscription)
    assert (january.total, january.status, january.billing_reason) == (
        2500,
        "paid",
        "subscription_create",
    )
    at(utc(2025, 1, 16))
    item = subscription.items.get()
    subscription_item_update(
        account=acme.account,
        item_id=item.id,
        price=pro,
        proration_behavior=behavior,
        actor=SYSTEM,
    )
    assert (
        sorted(InvoiceItem.objects.filter(invoice__isnull=True).values_list("amount", flat=True))
        == pending
    )
    update_invoices = Invoice.objects.filter(billing_reason="subscription_update")
    assert [i.total for i in update_invoices] == ([immediate] if immediate else [])
    at(utc(2025, 2, 1))
    subscription_renew(subscription_id=subscription.id)
    february = Invoice.objects.get(billing_reason="subscription_cycle")
    assert (february.total, february.status) == (february_total, "draft")
    assert february.automatically_finalizes_at == utc(2025, 2, 1, 1)
    at(utc(2025, 2, 1, 1))
    assert invoices_auto_advance(invoice_ids=due_draft_ids()) == 1
    february.refresh_from_db()
    assert february.total == february_total
    assert february.status == "paid"
    assert (february.period_start, february.period_end) == (utc(2025, 2, 1), utc(2025, 3, 1))


def test_b2_per_item_trial_one_invoice(acme, at):
    launch, intel = (
        PriceFactory(account=acme.account, unit_amount=2900, name="Launch"),
        PriceFactory(account=acme.account, unit_amount=4900, name="Intel"),
    )
    at(utc(2025, 1, 1))
    subscription = subscription_create(
        account=acme.account,
        customer=AlexFactory(account=acme.account),
        items=[ItemRequest(launch)],
        actor=SYSTEM,
    )
    for month in (2, 3):
        _renew(at, subscription, utc(2025, month, 1))
    at(utc(2025, 3, 10))
    invoices_before = Invoice.objects.count()
    charges_before = Charge.objects.count()
    item = subscription_item_add(
        account=acme.account,
        subscription_id=subscription.id,
        request=ItemRequest(intel, trial_end=utc(2025, 3, 24)),
        actor=SYSTEM,
    )
    subscription.refresh_from_db()
    assert subscription.status == "active"
    assert item.trial_end == utc(2025, 3, 24)
    at(utc(2025, 3, 24))
    assert subscription_renew(subscription_id=subscription.id) is None  # nothing due
    assert (Invoice.objects.count(), Charge.objects.count()) == (invoices_before, charges_before)
    _renew(at, subscription, utc(2025, 4, 1))
    april = Invoice.objects.filter(subscription=subscription).order_by("-id").first()
    assert sorted(april.lines.values_list("amount", flat=True)) == [1265, 2900, 4900]
    assert april.total == 9065
    assert april.status == "paid"


def test_a_new_subscription_whose_items_all_trial_writes_no_invoice(acme, at):
    launch, intel = (
        PriceFactory(account=acme.account, unit_amount=2900, name="Launch"),
        PriceFactory(account=acme.account, unit_amount=4900, name="Intel"),
    )
    at(utc(2025, 3, 1))
    subscription = subscription_create(
        account=acme.account,
        customer=AlexFactory(account=acme.account),
        items=[
            ItemRequest(launch, trial_end=utc(2025, 3, 15)),
            ItemRequest(intel, trial_end=utc(2025, 3, 22)),
        ],
        actor=SYSTEM,
    )
    assert subscription.status == "trialing"
    assert subscription.billing_cycle_anchor == utc(2025, 3, 1)
    assert not Invoice.objects.exists()
    at(utc(2025, 4, 1))
    subscription_renew(subscription_id=subscription.id)
    invoice = Invoice.objects.get()
    # Launch: 17 of 31 days of 2900 = 1590.32 → 1590; Intel: 10 of 31 days of 4900 = 1580.65 → 1581
    assert sorted(invoice.lines.values_list("kind", "amount")) == [
        ("subscription", 2900),
        ("subscription", 4900),
        ("trial_remainder", 1581),
        ("trial_remainder", 1590),
    ]
    subscription.refresh_from_db()
    assert subscription.status == "active"


def test_renewal_runs_once_per_period_and_numbers_are_gapless(acme, at):
    basic = PriceFactory(account=acme.account, unit_amount=2500, name="Basic")
    at(utc(2025, 1, 31))
    subscription = subscription_create(
        account=acme.account,
        customer=AlexFactory(account=acme.account),
        items=[ItemRequest(basic)],
        actor=SYSTEM,
    )
    at(utc(2025, 2, 28))
    subscription_renew(subscription_id=subscription.id)
    assert subscription_renew(subscription_id=subscription.id) is None
    at(utc(2025, 2, 28, 1))
    assert invoices_auto_advance(invoice_ids=due_draft_ids()) == 1
    assert invoices_auto_advance(invoice_ids=due_draft_ids()) == 0
    _renew(at, subscription, utc(2025, 3, 31))
    invoices = list(Invoice.objects.order_by("id"))
    assert [(i.period_start, i.period_end) for i in invoices] == [
        (utc(2025, 1, 31), utc(2025, 2, 28)),
        (utc(2025, 2, 28), utc(2025, 3, 31)),
        (utc(2025, 3, 31), utc(2025, 4, 30)),
    ]
    numbers = [int(i.number.rsplit("-", 1)[1]) for i in invoices]
    assert numbers == [1, 2, 3]
    assert Event.objects.filter(type="invoice.paid").count() == 3
    assert Subscription.objects.get().current_period_end == utc(2025, 4, 30)


def test_a_declined_renewal_leaves_the_subscription_past_due(acme, at):
    basic = PriceFactory(account=acme.account, unit_amount=2500, name="Basic")
    at(utc(2025, 1, 1))
    customer = customer_create(
        account=acme.account,
        params={"email": "f@example.com", "source": "tok_chargeCustomerFail"},
        actor=SYSTEM,
    )
    subscription = subscription_create(
        account=acme.account, customer=customer, items=[ItemRequest(basic)], actor=SYSTEM
    )
    assert subscription.status == "incomplete"
    assert Invoice.objects.get().status == "open"


def test_beat_fan_out_renews_due_subscriptions_once(acme, at, tasks_inline):
    from apps.subscriptions.tasks import subscriptions_fan_out_task

    basic = PriceFactory(account=acme.account, unit_amount=2500, name="Basic")
    at(utc(2025, 1, 1))
    subscription = subscription_create(
        account=acme.account,
        customer=AlexFactory(account=acme.account),
        items=[ItemRequest(basic)],
        actor=SYSTEM,
    )
    at(utc(2025, 1, 20))
    assert subscriptions_fan_out_task() == 0
    at(utc(2025, 2, 1, 0, 0, 30))
    assert subscriptions_fan_out_task() == 1
    assert subscriptions_fan_out_task() == 0
    assert Invoice.objects.filter(subscription=subscription).count() == 2


def test_notices_upcoming_will_be_due_and_trial_end_invoicing(acme, at):
    from apps.subscriptions.services import billing_settings_update
    from apps.subscriptions.tasks import billing_notices_task, subscriptions_lifecycle_task

    basic, intel = (
        PriceFactory(account=acme.account, unit_amount=2500, name="Basic"),
        PriceFactory(account=acme.account, unit_amount=4900, name="Intel"),
    )
    at(utc(2025, 1, 1))
    subscription = subscription_create(
        account=acme.account,
        customer=AlexFactory(account=acme.account),
        items=[ItemRequest(basic)],
        actor=SYSTEM,
    )
    at(utc(2025, 1, 24, 23))
    assert billing_notices_task()["upcoming"] == 0  # 7 days before Feb 1 is Jan 25
    at(utc(2025, 1, 25, 1))
    assert billing_notices_task()["upcoming"] == 1
    assert billing_notices_task()["upcoming"] == 0  # once per period
    upcoming = Event.objects.get(type="invoice.upcoming")
    assert upcoming.data_object["amount_due"] == 2500
    billing_settings_update(
        account=acme.account, values={"invoice_trial_end_immediately": True}, actor=SYSTEM
    )
    subscription_item_add(
        account=acme.account,
        subscription_id=subscription.id,
        request=ItemRequest(intel, trial_end=utc(2025, 1, 28)),
        actor=SYSTEM,
    )
    at(utc(2025, 1, 28, 0, 1))
    assert subscriptions_lifecycle_task()["trials_settled"] == 1
    assert subscriptions_lifecycle_task()["trials_settled"] == 0
    trial_invoice = Invoice.objects.get(billing_reason="subscription_update")
    assert trial_invoice.total == 632  # 4 of 31 days of 4900 = 632.26
    at(utc(2025, 2, 1))
    subscription_renew(subscription_id=subscription.id)
    february = Invoice.objects.get(billing_reason="subscription_cycle")
    assert sorted(february.lines.values_list("amount", flat=True)) == [2500, 4900]


def test_will_be_due_fires_once_before_the_due_date(acme, at):
    from apps.subscriptions.services import subscription_update_settings
    from apps.subscriptions.tasks import billing_notices_task

    basic = PriceFactory(account=acme.account, unit_amount=2500, name="Basic")
    at(utc(2025, 1, 1))
    subscription = subscription_create(
        account=acme.account,
        customer=AlexFactory(account=acme.account),
        items=[ItemRequest(basic)],
        actor=SYSTEM,
    )
    subscription_update_settings(
        account=acme.account,
        subscription_id=subscription.id,
        params={"collection_method": "send_invoice", "days_until_due": "10"},
        actor=SYSTEM,
    )
    _renew(at, subscription, utc(2025, 2, 1))
    invoice = Invoice.objects.get(billing_reason="subscription_cycle")
    assert invoice.due_date == utc(2025, 2, 11, 1)  # days_until_due from finalization
    at(utc(2025, 2, 7, 1))
    assert billing_notices_task()["will_be_due"] == 0
    at(utc(2025, 2, 8, 1, 1))
    assert billing_notices_task()["will_be_due"] == 1
    assert billing_notices_task()["will_be_due"] == 0
    assert Event.objects.filter(type="invoice.will_be_due", object_id=invoice.id).count() == 1


def test_discounts_once_repeating_forever_and_promotion_codes(acme, at):
    from apps.catalog.services import coupon_create, promotion_code_create
    from apps.core.errors import InvalidRequestError
    from apps.invoices.discounts import discount_apply

    basic = PriceFactory(account=acme.account, unit_amount=2500, name="Basic")
    coupon_create(
        account=acme.account,
        params={
            "id": "HALF",
            "percent_off": "50",
            "duration": "repeating",
            "duration_in_months": 2,
        },
        actor=SYSTEM,
    )
    coupon_create(
        account=acme.account,
        params={"id": "FIVE", "amount_off": 500, "currency": "usd", "duration": "once"},
        actor=SYSTEM,
    )
    promotion_code_create(
        account=acme.account,
        params={"coupon": "FIVE", "code": "WELCOME", "max_redemptions": 1},
        actor=SYSTEM,
    )
    at(utc(2025, 1, 1))
    subscription = subscription_create(
        account=acme.account,
        customer=AlexFactory(account=acme.account),
        items=[ItemRequest(basic)],
        coupon_id="HALF",
        actor=SYSTEM,
    )
    totals = [Invoice.objects.get(subscription=subscription).total]
    for month in (2, 3, 4):
        at(utc(2025, month, 1))
        subscription_renew(subscription_id=subscription.id)
        totals.append(
            Invoice.objects.filter(subscription=subscription).order_by("-id").first().total
        )
    assert totals == [1250, 1250, 2500, 2500]  # two months of 50 % off, from Jan 1 to Mar 1
    discount_apply(
        account=acme.account,
        customer=subscription.customer,
        subscription=subscription,
        promotion_code="welcome",
        actor=SYSTEM,
    )
    at(utc(2025, 5, 1))
    subscription_renew(subscription_id=subscription.id)
    at(utc(2025, 6, 1))
    subscription_renew(subscription_id=subscription.id)
    june, may = list(Invoice.objects.filter(subscription=subscription).order_by("-id")[:2])
    assert (may.total, may.total_discount, june.total) == (2000, 500, 2500)
    with pytest.raises(InvalidRequestError):  # the code's single redemption is used
        discount_apply(
            account=acme.account,
            customer=subscription.customer,
            subscription=subscription,
            promotion_code="WELCOME",
            actor=SYSTEM,
        )
