"""Cancelling a subscription from its page, in two steps (apps.accounts.dashboard.confirm).

The confirmation states what an immediate cancel does, with the amounts: the items that stop,
the value of the unused time left in the paid period (computed by the same proration stage a
change would run, and written nowhere), that no credit is given for it, and the pending
prorations that are dropped with the subscription.
"""

from django import forms
from django.contrib import messages
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

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
from apps.invoices.engine.staging import changes_lines
from apps.invoices.models import InvoiceItem
from apps.invoices.stage_choices import stage_choices
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.services import FEEDBACK, CancellationDetails, subscription_cancel
from apps.subscriptions.services.record import active_items
from apps.subscriptions.services.steps import discount_at
from apps.subscriptions.terms import item_terms, items_paid

# Statuses whose current period was paid for, so that cancelling leaves unused time behind.
_PAID_PERIOD = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


class CancelForm(forms.Form):
    feedback = forms.ChoiceField(
        required=False,
        choices=[("", "—"), *[(f, f.replace("_", " ")) for f in FEEDBACK]],
        widget=UnfoldAdminSelectWidget,
    )
    comment = forms.CharField(required=False, max_length=5000, widget=UnfoldAdminTextInputWidget)


def item_text(item: SubscriptionItem) -> str:
    """ "Pro — $25.00 / month" (× the quantity when more than one)."""
    quantity = f" × {item.quantity}" if item.quantity != 1 else ""
    return f"{price_label(item.price)}{quantity}"


def unused_time_amount(subscription: Subscription, items: list[SubscriptionItem], now) -> int:
    """The credit a proration at ``now`` would give for the rest of the paid period (≤ 0)."""
    start, end = subscription.current_period_start, subscription.current_period_end
    if subscription.status not in _PAID_PERIOD or not items or not (start < now < end):
        return 0
    currency = subscription.currency
    discount = discount_at(subscription, now)
    lines = changes_lines(
        [(item_terms(item, currency=currency, on=now, discount=discount), None) for item in items],
        period=(start, end),
        at=now,
        currency=currency,
        choices=stage_choices(subscription.account),
        paid=items_paid(subscription, (start, end), items),
    )
    return sum(line.amount for line in lines)


def cancel_confirmation(request: HttpRequest, subscription: Subscription) -> Confirmation:
    now = clock.now(test_clock_id=subscription.customer.test_clock_id)
    items = active_items(subscription)
    currency = subscription.currency
    unused = unused_time_amount(subscription, items, now)
    details = []
    if unused:
        until = dates.local_text(subscription.current_period_end, date_only=True)
        details.append(
            f"The unused time until {until} is worth "
            f"{money.format_amount(unused, currency)}; cancelling now does not credit it."
        )
    pending = InvoiceItem.objects.filter(
        account=subscription.account,
        subscription_id=subscription.id,
        invoice__isnull=True,
        proration=True,
    ).aggregate(count=Count("id"), total=Sum("amount"))
    if pending["count"]:
        details.append(
            f"{pending['count']} pending proration(s) totalling "
            f"{money.format_amount(pending['total'], currency)} are dropped."
        )
    details.append("No further invoices are created; open invoices stay as they are.")
    what = ", ".join(item_text(item) for item in items) or f"subscription {subscription.id}"
    return Confirmation(
        title="Confirm the cancellation",
        summary=f"Cancel {what} for {subscription.customer} now.",
        button="Cancel the subscription now",
        action_url=reverse("admin:subscriptions_subscription_cancel", args=[subscription.id]),
        cancel_url=reverse("admin:subscriptions_subscription_change", args=[subscription.id]),
        details=tuple(details),
        fields=posted(request, ("feedback", "comment")),
    )


class SubscriptionCancelMixin:
    """The cancel view for SubscriptionAdmin (which provides _subscription and can_write)."""

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        subscription = self._subscription(request, object_id)
        form = CancelForm(request.POST)
        if not self.can_write(request):
            messages.error(request, "Your role does not allow canceling subscriptions.")
        elif form.is_valid() and not is_confirmed(request):
            return confirmation_response(
                request,
                cancel_confirmation(request, subscription),
                site_context=self.admin_site.each_context(request),
            )
        elif form.is_valid():
            try:
                subscription_cancel(
                    account=request.account,
                    subscription_id=subscription.id,
                    details=CancellationDetails(
                        comment=form.cleaned_data["comment"] or None,
                        feedback=form.cleaned_data["feedback"] or None,
                    ),
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, "The subscription was canceled.")
        return redirect("admin:subscriptions_subscription_change", subscription.id)
