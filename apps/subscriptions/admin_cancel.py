"""Cancelling a subscription from its page, in two steps (apps.accounts.dashboard.confirm).

The form offers what Stripe's cancel offers: crediting the unused time left in the paid period
(the amount computed by the same proration stage a change runs, capped by what was paid:
apps.subscriptions.services.cancel.unused_time_lines) and invoicing now. The confirmation states
what the cancel does, with the amounts: the items that stop, the credit given or not, the final
invoice and where a negative total goes, and the pending prorations kept or dropped.
"""

from django import forms
from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from unfold.widgets import (
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanWidget,
)

from apps.accounts.dashboard.admin_base import dashboard_actor
from apps.accounts.dashboard.confirm import (
    Confirmation,
    confirmation_response,
    is_confirmed,
    posted,
)
from apps.catalog.labels import price_label
from apps.core import clock, dates, money
from apps.core.errors import ApplicationError
from apps.invoices.models import InvoiceItem
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.services import FEEDBACK, CancellationDetails, subscription_cancel
from apps.subscriptions.services.cancel import unused_time_lines
from apps.subscriptions.services.record import active_items

FIELDS = ("feedback", "comment", "prorate", "invoice_now")


class CancelForm(forms.Form):
    feedback = forms.ChoiceField(
        required=False,
        choices=[("", "—"), *[(f, f.replace("_", " ")) for f in FEEDBACK]],
        widget=UnfoldAdminSelectWidget,
        error_messages={"invalid_choice": "Choose a reason from the list."},
    )
    comment = forms.CharField(
        required=False,
        max_length=5000,
        widget=UnfoldAdminTextInputWidget,
        error_messages={"max_length": "Keep the comment under 5,000 characters."},
    )
    prorate = forms.BooleanField(
        required=False, label="Credit the unused time", widget=UnfoldBooleanWidget
    )
    invoice_now = forms.BooleanField(
        required=False, label="Invoice now", widget=UnfoldBooleanWidget
    )

    def __init__(self, *args, subscription: Subscription | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if subscription is None:
            return
        unused = unused_time_amount(subscription, active_items(subscription), _now(subscription))
        if unused:
            credit = money.format_amount(unused, subscription.currency)
            self.fields["prorate"].label = f"Credit the unused time ({credit})"
        else:
            # Nothing of the paid period is left unused: there is nothing to credit.
            del self.fields["prorate"]


def _now(subscription: Subscription):
    return clock.now(test_clock_id=subscription.customer.test_clock_id)


def item_text(item: SubscriptionItem) -> str:
    """ "Pro — $25.00 / month" (× the quantity when more than one)."""
    quantity = f" × {item.quantity}" if item.quantity != 1 else ""
    return f"{price_label(item.price)}{quantity}"


def unused_time_amount(subscription: Subscription, items: list[SubscriptionItem], now) -> int:
    """The credit a proration at ``now`` would give for the rest of the paid period (≤ 0)."""
    return sum(line.amount for line in unused_time_lines(subscription, items, now))


def _pending(subscription: Subscription) -> dict:
    """The subscription's pending items: how many and their total, and of them the prorations."""
    proration = Q(proration=True)
    return InvoiceItem.objects.filter(
        account=subscription.account, subscription_id=subscription.id, invoice__isnull=True
    ).aggregate(
        count=Count("id"),
        total=Sum("amount"),
        prorations=Count("id", filter=proration),
        prorations_total=Sum("amount", filter=proration),
    )


def _consequences(subscription, unused: int, prorate: bool, invoice_now: bool) -> list[str]:
    """What the cancel does with the unused time and the pending items, with the amounts."""
    currency = subscription.currency

    def amount(value):
        return money.format_amount(value or 0, currency)

    lines = []
    until = dates.local_text(subscription.current_period_end, date_only=True)
    credit = unused if prorate else 0
    if unused and credit:
        lines.append(f"The unused time until {until} is credited: {amount(credit)}.")
    elif unused:
        lines.append(
            f"The unused time until {until} is worth {amount(unused)}; "
            "cancelling now does not credit it."
        )
    pending = _pending(subscription)
    if invoice_now:
        count = pending["count"] + (1 if credit else 0)
        total = (pending["total"] or 0) + credit
        if not count:
            lines.append("Nothing is pending, so no final invoice is made.")
        else:
            lines.append(
                f"A final invoice of {count} item(s) totalling {amount(total)} "
                "(before discounts and taxes) is made and collected now."
            )
            if total < 0:
                lines.append(
                    f"Its negative total, {amount(total)}, goes to the customer's credit "
                    "balance for their next invoices."
                )
    elif credit:
        lines.append("The credit waits as a pending item for the customer's next invoice.")
    if not (prorate or invoice_now) and pending["prorations"]:
        lines.append(
            f"{pending['prorations']} pending proration(s) totalling "
            f"{amount(pending['prorations_total'])} are dropped."
        )
    elif not invoice_now and pending["prorations"]:
        lines.append(
            f"{pending['prorations']} pending proration(s) totalling "
            f"{amount(pending['prorations_total'])} stay for the customer's next invoice."
        )
    return lines


def cancel_confirmation(request: HttpRequest, subscription: Subscription, data: dict):
    items = active_items(subscription)
    unused = unused_time_amount(subscription, items, _now(subscription))
    details = _consequences(subscription, unused, data["prorate"], data["invoice_now"])
    if not data["invoice_now"]:
        details.append("No further invoices are created; open invoices stay as they are.")
    what = ", ".join(item_text(item) for item in items) or f"subscription {subscription.id}"
    return Confirmation(
        title="Confirm the cancellation",
        summary=f"Cancel {what} for {subscription.customer} now.",
        button="Cancel the subscription now",
        action_url=reverse("admin:subscriptions_subscription_cancel", args=[subscription.id]),
        cancel_url=reverse("admin:subscriptions_subscription_change", args=[subscription.id]),
        details=tuple(details),
        fields=posted(request, FIELDS),
    )


def _form_errors(request: HttpRequest, form: CancelForm) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


class SubscriptionCancelMixin:
    """The cancel view for SubscriptionAdmin (which provides _subscription and can_write)."""

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        subscription = self._subscription(request, object_id)
        form = CancelForm(request.POST)
        if not self.can_write(request):
            messages.error(request, "Your role does not allow canceling subscriptions.")
        elif not form.is_valid():
            _form_errors(request, form)
        elif not is_confirmed(request):
            return confirmation_response(
                request,
                cancel_confirmation(request, subscription, form.cleaned_data),
                site_context=self.admin_site.each_context(request),
            )
        else:
            data = form.cleaned_data
            try:
                row = subscription_cancel(
                    account=request.account,
                    subscription_id=subscription.id,
                    details=CancellationDetails(
                        comment=data["comment"] or None, feedback=data["feedback"] or None
                    ),
                    actor=dashboard_actor(request),
                    prorate=data["prorate"],
                    invoice_now=data["invoice_now"],
                )
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                made = (
                    data["invoice_now"] and row.latest_invoice_id != subscription.latest_invoice_id
                )
                messages.success(
                    request,
                    "The subscription was canceled; its final invoice was made."
                    if made
                    else "The subscription was canceled.",
                )
        return redirect("admin:subscriptions_subscription_change", subscription.id)
