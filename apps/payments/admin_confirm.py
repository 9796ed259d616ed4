"""What the dashboard says before a refund or a charge is made (apps.accounts.dashboard.confirm)."""

from django.http import HttpRequest
from django.urls import reverse

from apps.accounts.dashboard.confirm import Confirmation, back_url, posted
from apps.core import money
from apps.customers.models import Customer, PaymentMethod
from apps.customers.payment_method_render import payment_method_label
from apps.payments.models import Charge


def _fmt(amount: int, currency: str) -> str:
    return money.format_amount(amount, currency)


def refund_confirmation(
    request: HttpRequest, charge: Charge, *, amount: int, reason: str
) -> Confirmation:
    currency = charge.currency
    owner = f" of {charge.customer}" if charge.customer_id else ""
    left = charge.amount_captured - charge.amount_refunded - amount
    details = [
        f"{_fmt(charge.amount_refunded, currency)} of this charge was refunded before; "
        f"{_fmt(left, currency)} will remain refundable."
        if charge.amount_refunded
        else f"{_fmt(left, currency)} will remain refundable.",
        "The money goes back to the payment method and a refund cannot be undone.",
    ]
    if reason:
        details.append(f"Reason: {reason.replace('_', ' ')}.")
    return Confirmation(
        title="Confirm the refund",
        summary=f"Refund {_fmt(amount, currency)} of {_fmt(charge.amount, currency)} to "
        f"{payment_method_label(charge.payment_method)}{owner}.",
        button=f"Refund {_fmt(amount, currency)}",
        action_url=reverse("admin:payments_charge_refund", args=[charge.id]),
        cancel_url=back_url(request, reverse("admin:payments_charge_change", args=[charge.id])),
        details=tuple(details),
        fields=posted(request, ("amount", "reason", "next")),
    )


def charge_confirmation(
    request: HttpRequest,
    customer: Customer,
    *,
    method: PaymentMethod,
    amount: int,
    currency: str,
    description: str,
) -> Confirmation:
    details = ["The payment method is charged at once; only a refund gives the money back."]
    if description:
        details.insert(0, f"Description: {description}")
    return Confirmation(
        title="Confirm the charge",
        summary=f"Charge {_fmt(amount, currency)} to {payment_method_label(method)} of {customer}.",
        button=f"Charge {_fmt(amount, currency)}",
        action_url=reverse("admin:payments_charge_customer", args=[customer.id]),
        cancel_url=reverse("admin:customers_customer_change", args=[customer.id]),
        details=tuple(details),
        fields=posted(request, ("amount", "currency_code", "payment_method", "description")),
    )
