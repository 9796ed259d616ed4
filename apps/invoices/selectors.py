"""Invoices' reads that are scoped to an account."""

from datetime import datetime

from django.db.models import F, Q, QuerySet

from apps.invoices.engine.planner import PRORATION_DEBIT, SUBSCRIPTION, ItemCharge
from apps.invoices.enums import InvoiceStatus
from apps.invoices.models import Invoice, InvoiceItem, InvoiceLine


def subscription_of_account(*, account, subscription_id: str, **filters):
    """The account's subscription ``subscription_id`` matching ``filters`` (None when there is
    none), for an invoice or item that names it."""
    # Through the invoice's foreign key: apps.subscriptions is above this app, never imported.
    subscriptions = Invoice.subscription.field.related_model.objects
    return subscriptions.filter(account=account, id=subscription_id, **filters).first()


def past_due_q(at: datetime) -> Q:
    """Open invoices the customer is late with: past their due date, or charged automatically
    and at least one attempt failed (Stripe's "past due" invoices)."""
    return Q(status__exact=InvoiceStatus.OPEN) & (Q(due_date__lt=at) | Q(attempt_count__gt=0))


def invoice_past_due_list(*, account, at: datetime) -> QuerySet[Invoice]:
    return Invoice.objects.filter(account=account).filter(past_due_q(at))


def item_charges(
    *, account, subscription_id: str, period: tuple[datetime, datetime]
) -> dict[str, list[ItemCharge]]:
    """What each item of the subscription was charged for the rest of ``period``, by item id:
    its line on the invoice that billed the period (after its discounts) and the debits of the
    changes prorated in it (pending or invoiced), none of a voided invoice (one query)."""
    start, end = period
    live = ~Q(invoice__status=InvoiceStatus.VOID)
    lines = (
        InvoiceLine.objects.filter(
            live,
            account=account,
            invoice__subscription_id=subscription_id,
            kind=SUBSCRIPTION,
            period_start=start,
            period_end=end,
        )
        .annotate(paid=F("amount") - F("discount_amount"))
        .values_list("subscription_item_id", "price_id", "quantity", "paid", "period_start")
    )
    debits = InvoiceItem.objects.filter(
        Q(invoice__isnull=True) | live,
        account=account,
        subscription_id=subscription_id,
        kind=PRORATION_DEBIT,
        period_start__gte=start,
        period_end=end,
    ).values_list("subscription_item_id", "price_id", "quantity", "amount", "period_start")
    charges: dict[str, list[ItemCharge]] = {}
    for item_id, price_id, quantity, amount, charged_from in lines.union(debits, all=True):
        charges.setdefault(item_id, []).append(
            ItemCharge(price_id, quantity, amount, charged_from, end)
        )
    return charges
