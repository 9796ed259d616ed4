"""Which payment method a payment of an invoice is charged to: one rule for the payments and
for what the dashboard says a retry will charge."""

from apps.customers.models import PaymentMethod
from apps.customers.payment_method_render import payment_method_label
from apps.invoices.models import Invoice


def invoice_charged_method_id(invoice: Invoice) -> str | None:
    """The subscription's default payment method, else the customer's default payment method,
    else their default source (None: none). Reads only the loaded rows' ids."""
    subscription = invoice.subscription if invoice.subscription_id else None
    return (
        (subscription.default_payment_method_id if subscription is not None else None)
        or invoice.customer.default_payment_method_id
        or invoice.customer.default_source_id
    )


def invoice_charged_method(invoice: Invoice) -> PaymentMethod | None:
    """The row ``invoice_charged_method_id`` names, from the invoice's loaded relations (load
    them with ``select_related``: customer's default payment method and source, the
    subscription's default payment method)."""
    chosen = invoice_charged_method_id(invoice)
    subscription = invoice.subscription if invoice.subscription_id else None
    candidates = (
        subscription.default_payment_method if subscription is not None else None,
        invoice.customer.default_payment_method,
        invoice.customer.default_source,
    )
    return next((row for row in candidates if row is not None and row.id == chosen), None)


def invoice_retry_label(invoice: Invoice) -> str | None:
    """What a retry of the invoice's payment charges, as staff read it ("Visa •••• 4242"), when
    it can be retried now (open, charged automatically); "" when there is nothing to charge it
    to, None when no retry applies."""
    if invoice.status != "open" or invoice.collection_method != "charge_automatically":
        return None
    card = invoice_charged_method(invoice)
    return payment_method_label(card) if card is not None else ""
