"""Subscription and invoice objects of one account for the tenant-isolation test."""

from apps.accounts.models import Account
from apps.catalog.services import price_create
from apps.core.actor import SYSTEM
from apps.customers.services import customer_create
from apps.invoices.models import Invoice
from apps.subscriptions.services import ItemRequest, subscription_create


def make_subscription(account: Account, source: str = "tok_visa"):
    price = price_create(
        account=account,
        params={
            "product_data": {"name": "Basic"},
            "currency": "usd",
            "unit_amount": 2500,
            "recurring": {"interval": "month"},
        },
        actor=SYSTEM,
    )
    customer = customer_create(
        account=account, params={"email": "sub@example.com", "source": source}, actor=SYSTEM
    )
    return subscription_create(
        account=account, customer=customer, items=[ItemRequest(price)], actor=SYSTEM
    )


def _invoice(account: Account) -> str:
    subscription = make_subscription(account, source="tok_chargeCustomerFail")
    return Invoice.objects.get(subscription=subscription).id


def _clock(account: Account) -> str:
    from apps.invoices.engine.periods import utc
    from apps.subscriptions.test_clocks import test_clock_create

    return test_clock_create(account=account, frozen_time=utc(2025, 1, 1), name="", actor=SYSTEM).id


def _invoice_item(account: Account) -> str:
    from apps.invoices.invoice_items import invoice_item_create

    subscription = make_subscription(account)
    return invoice_item_create(
        account=account,
        customer=subscription.customer,
        amount=500,
        currency="usd",
        description="Setup",
        actor=SYSTEM,
        subscription=subscription,
    ).id


def _discounted(account: Account) -> str:
    from apps.catalog.services import coupon_create
    from apps.invoices.discounts import discount_apply

    subscription = make_subscription(account)
    coupon_create(account=account, params={"id": "TENOFF", "percent_off": "10"}, actor=SYSTEM)
    discount_apply(
        account=account,
        customer=subscription.customer,
        subscription=subscription,
        coupon_id="TENOFF",
        actor=SYSTEM,
    )
    return subscription.id


def _credit_note(account: Account) -> str:
    from apps.invoices.credit_notes import credit_note_create

    invoice = Invoice.objects.get(subscription=make_subscription(account))
    return credit_note_create(
        account=account,
        invoice_id=invoice.id,
        params={"amount": 500, "credit_amount": 500, "reason": "order_change"},
        actor=SYSTEM,
    ).id


MAKERS = {
    "credit-note-detail": _credit_note,
    "subscription-discount": _discounted,
    "subscription-item-detail": lambda a: make_subscription(a).items.get().id,
    "invoice-void": _invoice,
    "invoice-mark-uncollectible": _invoice,
    "invoiceitem-detail": _invoice_item,
    "test-clock-detail": _clock,
    "test-clock-advance": _clock,
    "subscription-detail": lambda a: make_subscription(a).id,
    "subscription-resume": lambda a: make_subscription(a).id,
    "invoice-detail": _invoice,
    "invoice-lines": _invoice,
    "invoice-finalize": _invoice,
    "invoice-pay": _invoice,
    "invoice-send": _invoice,
}
