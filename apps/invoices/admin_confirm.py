"""What the dashboard says before an invoice is charged or voided
(apps.accounts.dashboard.confirm); the other invoice actions run at once."""

from django.urls import reverse

from apps.accounts.dashboard.confirm import Confirmation
from apps.core import money
from apps.customers.payment_method_render import payment_method_label
from apps.invoices.models import Invoice
from apps.invoices.payment_choice import invoice_charged_method

CONFIRMED_ACTIONS = ("pay", "void")


def invoice_action_confirmation(invoice: Invoice, name: str) -> Confirmation:
    """``invoice`` loaded with the relations ``invoice_charged_method`` reads."""
    number = invoice.number or invoice.id
    due = money.format_amount(invoice.amount_due, invoice.currency)
    total = money.format_amount(invoice.total, invoice.currency)
    common = {
        "action_url": reverse("admin:invoices_invoice_action", args=[invoice.id, name]),
        "cancel_url": reverse("admin:invoices_invoice_change", args=[invoice.id]),
    }
    if name == "void":
        return Confirmation(
            title="Confirm voiding the invoice",
            summary=f"Void invoice {number} of {total} for {invoice.customer}; "
            "it can no longer be paid.",
            button=f"Void {number}",
            details=(
                "Voiding cannot be undone; to bill the customer again, create a new invoice.",
            ),
            **common,
        )
    method = invoice_charged_method(invoice)
    target = (
        f"{payment_method_label(method)} of {invoice.customer}"
        if method is not None
        else f"{invoice.customer}, who has no default payment method (the attempt will fail)"
    )
    return Confirmation(
        title="Confirm the charge",
        summary=f"Charge {due} due on invoice {number} to {target}.",
        button=f"Charge {due}",
        details=("The payment method is charged at once; only a refund gives the money back.",),
        **common,
    )
