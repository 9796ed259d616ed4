"""Invoice, invoice-item and credit-note objects of one account for the tenant-isolation test."""

from apps.accounts.models import Account
from apps.core.actor import SYSTEM
from apps.invoices.models import Invoice
from tests.factories import SubscriptionFactory


def _invoice(account: Account) -> str:
    subscription = SubscriptionFactory(account=account, source="tok_chargeCustomerFail")
    return Invoice.objects.get(subscription=subscription).id


def _invoice_item(account: Account) -> str:
    from apps.invoices.invoice_items import invoice_item_create

    subscription = SubscriptionFactory(account=account)
    return invoice_item_create(
        account=account,
        customer=subscription.customer,
        amount=500,
        currency="usd",
        description="Setup",
        actor=SYSTEM,
        subscription=subscription,
    ).id


def _credit_note(account: Account) -> str:
    from apps.invoices.credit_notes import CreditNoteDraft, credit_note_create

    invoice = Invoice.objects.get(subscription=SubscriptionFactory(account=account))
    return credit_note_create(
        account=account,
        invoice_id=invoice.id,
        draft=CreditNoteDraft(amount=500, credit_amount=500, reason="order_change"),
        actor=SYSTEM,
    ).id


MAKERS = {
    "credit-note-detail": _credit_note,
    "invoice-void": _invoice,
    "invoice-mark-uncollectible": _invoice,
    "invoiceitem-detail": _invoice_item,
    "invoice-detail": _invoice,
    "invoice-lines": _invoice,
    "invoice-finalize": _invoice,
    "invoice-pay": _invoice,
    "invoice-send": _invoice,
}
