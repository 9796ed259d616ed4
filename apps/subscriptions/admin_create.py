"""Dashboard → Billing → Subscriptions → New subscription, with its live preview (htmx).

The page pins ``now`` when it is shown; every preview and the creation start the subscription at
that moment, through the same planning (apps.subscriptions.planning), so the figures staff read
are the ones the first invoice carries. A refused request shows its reasons on the form and
writes nothing (the service validates before it writes, in one transaction).
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from apps.accounts.dashboard.admin_base import dashboard_actor
from apps.core import clock, money
from apps.core.errors import ApplicationError
from apps.invoices.models import Invoice
from apps.invoices.taxes import tax_lines
from apps.payments.selectors import charge_get
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.forms import NewSubscriptionForm, service_error_to_new_form
from apps.subscriptions.models import Subscription
from apps.subscriptions.preview import InvoicePlan, subscription_create_preview
from apps.subscriptions.services import subscription_create


def _invoice_context(invoice: InvoicePlan, currency: str, account_id: str) -> dict:
    def text(amount: int) -> str:
        return money.format_amount(amount, currency)

    return {
        "created": invoice.created,
        "at": invoice.at,
        "period": invoice.period,
        "lines": [
            {
                "description": line.description,
                "start": line.period_start,
                "end": line.period_end,
                "proration": line.proration,
                "amount": text(line.amount),
                "discount": text(-discount) if discount else "",
            }
            for line, discount in zip(invoice.lines, invoice.discounts, strict=True)
        ],
        "subtotal": text(invoice.subtotal),
        "discount": text(-sum(invoice.discounts)) if any(invoice.discounts) else "",
        "taxes": [
            (tax["label"], text(tax["amount"]))
            for tax in tax_lines(account_id, invoice.totals.total_tax_amounts)
        ],
        "total": text(invoice.total),
        "credit": text(-invoice.credit) if invoice.credit else "",
        "amount_due": text(invoice.amount_due),
    }


class SubscriptionCreateMixin:
    """The new-subscription page and its preview partial, for SubscriptionAdmin."""

    def _new_page(self, request: HttpRequest, form: NewSubscriptionForm) -> HttpResponse:
        return render(
            request,
            "subscriptions/subscription_new.html",
            {
                **self.admin_site.each_context(request),
                "title": "New subscription",
                "opts": self.model._meta,
                "form": form,
                "customers": form.customer_choices(),
                "can_write": self.can_write(request),
            },
        )

    def _new_preview(self, request: HttpRequest, form: NewSubscriptionForm) -> dict | None:
        if not form.is_valid():
            return None
        args = form.service_args()
        if args is None:
            return None
        try:
            preview = subscription_create_preview(account=request.account, **args)
        except ApplicationError as error:
            service_error_to_new_form(form, error)
            return None
        return {
            "customer": preview.customer,
            "status": preview.plan.status,
            "period": preview.plan.period,
            "anchor": preview.plan.anchor,
            "invoices": [
                ("first", _invoice_context(preview.first, preview.currency, request.account.id)),
                ("next", _invoice_context(preview.next, preview.currency, request.account.id)),
            ],
        }

    def new_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            initial = {
                "now": clock.to_epoch(clock.now()),
                "collection_method": "charge_automatically",
                "proration_behavior": "create_prorations",
                "customer": request.GET.get("customer", "")[:64],
            }
            return self._new_page(
                request, NewSubscriptionForm(initial=initial, account=request.account)
            )
        form = NewSubscriptionForm(request.POST, account=request.account)
        if not self.can_write(request):
            form.add_error(None, "Your role does not allow creating subscriptions.")
            return self._new_page(request, form)
        args = form.service_args() if form.is_valid() else None
        if args is None:
            return self._new_page(request, form)
        try:
            subscription = subscription_create(
                account=request.account, actor=dashboard_actor(request), **args
            )
        except ApplicationError as error:
            service_error_to_new_form(form, error)
            return self._new_page(request, form)
        _created_message(request, subscription)
        return redirect("admin:subscriptions_subscription_change", subscription.id)

    def new_preview_view(self, request: HttpRequest) -> HttpResponse:
        """The htmx partial: the first and next invoices, computed and not written."""
        form = NewSubscriptionForm(request.GET, account=request.account)
        started = request.GET.get("customer") or any(
            value for key, value in request.GET.items() if key.endswith("-price")
        )
        if not started:  # nothing typed yet: the hint, not a list of missing fields
            form = NewSubscriptionForm(account=request.account)
        preview = self._new_preview(request, form) if started else None
        return render(
            request, "subscriptions/_new_preview.html", {"preview": preview, "form": form}
        )


def _created_message(request: HttpRequest, subscription: Subscription) -> None:
    """Success only when the subscription is live: an incomplete one (its first payment failed
    or needs the customer) is a warning that says why and what makes it active."""
    if subscription.status != SubscriptionStatus.INCOMPLETE:
        messages.success(request, f"Subscription {subscription.id} was created.")
        return
    invoice = (
        Invoice.objects.filter(account=request.account, id=subscription.latest_invoice_id).first()
        if subscription.latest_invoice_id
        else None
    )
    charge = (
        charge_get(account=request.account, charge_id=invoice.charge_id)
        if invoice is not None and invoice.charge_id
        else None
    )
    reason = (
        f"the first payment failed ({charge.failure_message})"
        if charge is not None and charge.failure_message
        else "its first invoice is not paid"
    )
    owed = ""
    if invoice is not None:
        left = money.format_amount(invoice.amount_due - invoice.amount_paid, invoice.currency)
        owed = f" It becomes active once invoice {invoice.number or invoice.id} ({left}) is paid."
    messages.warning(
        request, f"Subscription {subscription.id} was created but is incomplete: {reason}.{owed}"
    )
