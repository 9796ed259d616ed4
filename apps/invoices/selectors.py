"""Invoices' reads that are scoped to an account."""

from apps.invoices.models import Invoice


def subscription_of_account(*, account, subscription_id: str, **filters):
    """The account's subscription ``subscription_id`` matching ``filters`` (None when there is
    none), for an invoice or item that names it."""
    # Through the invoice's foreign key: apps.subscriptions is above this app, never imported.
    subscriptions = Invoice.subscription.field.related_model.objects
    return subscriptions.filter(account=account, id=subscription_id, **filters).first()
