"""Invoices' reads that are scoped to an account."""

from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import Col

from apps.invoices.engine.planner import PRORATION_DEBIT, SUBSCRIPTION, ItemCharge
from apps.invoices.enums import InvoiceStatus
from apps.invoices.models import Invoice, InvoiceItem


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
    changes prorated in it (pending or invoiced), none of a voided invoice (one query, in plain
    SQL: it runs on every preview and change, where building it with the ORM cost more CPU than
    running it)."""
    start, end = period
    ops = connection.ops
    at = [ops.adapt_datetimefield_value(start), ops.adapt_datetimefield_value(end)]
    with connection.cursor() as cursor:
        cursor.execute(
            _ITEM_CHARGES_SQL,
            [account.id, subscription_id, SUBSCRIPTION, *at, InvoiceStatus.VOID.value]
            + [account.id, subscription_id, PRORATION_DEBIT, *at, InvoiceStatus.VOID.value],
        )
        rows = cursor.fetchall()
    converters = _datetime_converters()
    charges: dict[str, list[ItemCharge]] = {}
    for item_id, price_id, quantity, amount, charged_from in rows:
        for converter in converters:
            charged_from = converter(charged_from, _PERIOD_START, connection)
        charges.setdefault(item_id, []).append(
            ItemCharge(price_id, quantity, amount, charged_from, end)
        )
    return charges


_ITEM_CHARGES_SQL = """
SELECT l.subscription_item_id, l.price_id, l.quantity, l.amount - l.discount_amount,
       l.period_start
  FROM invoices_invoiceline l JOIN invoices_invoice i ON i.id = l.invoice_id
 WHERE l.account_id = %s AND i.subscription_id = %s AND l.kind = %s
   AND l.period_start = %s AND l.period_end = %s AND i.status <> %s
UNION ALL
SELECT t.subscription_item_id, t.price_id, t.quantity, t.amount, t.period_start
  FROM invoices_invoiceitem t LEFT JOIN invoices_invoice i ON i.id = t.invoice_id
 WHERE t.account_id = %s AND t.subscription_id = %s AND t.kind = %s
   AND t.period_start >= %s AND t.period_end = %s
   AND (t.invoice_id IS NULL OR i.status <> %s)
"""
_PERIOD_START = Col(InvoiceItem._meta.db_table, InvoiceItem._meta.get_field("period_start"))


def _datetime_converters() -> list:
    """What the backend does to a datetime column it reads (SQLite gives text)."""
    return connection.ops.get_db_converters(_PERIOD_START) + _PERIOD_START.field.get_db_converters(
        connection
    )
