"""Invoices' reads that are scoped to an account."""

from datetime import datetime

from django.db.models import Q, QuerySet

from apps.invoices.enums import InvoiceStatus
from apps.invoices.models import Invoice


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
