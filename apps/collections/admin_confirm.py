"""What the failed-payments queue says before "Retry now" / "Retry selected" charges
(apps.accounts.dashboard.confirm): each invoice, what is due and the card it goes to."""

from django.http import HttpRequest
from django.urls import reverse

from apps.accounts.dashboard.confirm import Confirmation, posted
from apps.core import money
from apps.customers.payment_method_render import payment_method_label
from apps.invoices.models import Invoice
from apps.invoices.payment_choice import invoice_charged_method


def _line(invoice: Invoice) -> str:
    due = money.format_amount(invoice.amount_due, invoice.currency)
    card = invoice_charged_method(invoice)
    target = (
        f"{payment_method_label(card)} of {invoice.customer}"
        if card is not None
        else f"{invoice.customer}, who has no payment method (the attempt will fail)"
    )
    return f"{due} due on invoice {invoice.number or invoice.id} to {target}"


def retry_confirmation(
    request: HttpRequest, *, account, invoice_ids: list[str], back: str
) -> Confirmation | None:
    """None when none of the invoices is the account's: the retry then only reports that."""
    invoices = list(
        Invoice.objects.filter(account=account, id__in=invoice_ids)
        .select_related(
            "customer__default_payment_method",
            "customer__default_source",
            "subscription__default_payment_method",
        )
        .order_by("-id")
    )
    if not invoices:
        return None
    totals: dict[str, int] = {}
    for invoice in invoices:
        totals[invoice.currency] = totals.get(invoice.currency, 0) + invoice.amount_due
    total = " + ".join(money.format_amount(amount, code) for code, amount in totals.items())
    fields = posted(request, ("invoice", "selected", "filters", "next"))
    common = {
        "action_url": reverse("admin:collections_paymentattempt_retry"),
        "cancel_url": back,
        "fields": fields,
        "details": (
            "The payment methods are charged at once; only a refund gives the money back.",
        ),
    }
    if len(invoices) == 1:
        return Confirmation(
            title="Confirm the charge",
            summary=f"Charge {_line(invoices[0])}.",
            button=f"Charge {total}",
            **common,
        )
    return Confirmation(
        title="Confirm the charges",
        summary=f"Charge {len(invoices)} invoices now, {total} in all.",
        button=f"Charge {len(invoices)} invoices",
        **{**common, "details": (*[f"{_line(i)}." for i in invoices], *common["details"])},
    )
