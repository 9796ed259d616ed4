"""Dashboard → Billing: subscriptions (list, page, change a price with the live preview, cancel).

The change form carries the ``proration_date`` fixed when the page was shown, so the preview it
displays (htmx, on every change of the form) and the invoice the confirmation creates are computed
by the same planner at the same instant: what staff read is what is billed.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST
from unfold.decorators import action, display
from unfold.paginator import InfinitePaginator
from unfold.widgets import (
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
)

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import (
    AccountScopedAdmin,
    ObjectHistoryMixin,
    dashboard_actor,
)
from apps.accounts.dashboard.badges import STATUS_VARIANTS
from apps.accounts.dashboard.forms import service_error_to_form
from apps.catalog.labels import price_label
from apps.catalog.models import Price
from apps.core import clock, money
from apps.core.errors import ApplicationError
from apps.invoices.models import Invoice
from apps.invoices.payment_choice import invoice_retry_label

# Registers the test clock pages (the clocks' services live in this app).
from apps.subscriptions import admin_test_clocks  # noqa: F401
from apps.subscriptions.admin_actions import SubscriptionActionsMixin, page_forms
from apps.subscriptions.admin_cancel import CancelForm, SubscriptionCancelMixin
from apps.subscriptions.admin_create import SubscriptionCreateMixin
from apps.subscriptions.admin_filters import RenewsFilter

# BillingSettingsAdmin is imported for its @admin.register (the billing settings page).
from apps.subscriptions.admin_settings import BEHAVIORS, BillingSettingsAdmin  # noqa: F401
from apps.subscriptions.changes import ItemChange
from apps.subscriptions.invoice_preview import invoice_preview
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.services import (
    subscription_item_update,
)
from apps.subscriptions.services.billing import billing_settings


class ChangePriceForm(forms.Form):
    item = forms.ChoiceField(widget=UnfoldAdminSelectWidget)
    price = forms.ChoiceField(widget=UnfoldAdminSelectWidget)
    quantity = forms.IntegerField(min_value=1, initial=1, widget=UnfoldAdminTextInputWidget)
    proration_behavior = forms.ChoiceField(choices=BEHAVIORS, widget=UnfoldAdminSelectWidget)
    proration_date = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, subscription: Subscription, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = {
            item.id: item
            for item in subscription.items.filter(deleted_at__isnull=True).select_related(
                "price__product"
            )
        }
        self.fields["item"].choices = [
            (item.id, f"{price_label(item.price)} × {item.quantity}")
            for item in self.items.values()
        ]
        self.prices = {
            price.id: price
            for price in Price.objects.filter(
                account=subscription.account,
                active=True,
                currency=subscription.currency,
                recurring__interval=subscription.interval,
                recurring__interval_count=subscription.interval_count,
            ).select_related("product")
        }
        self.fields["price"].choices = [
            (price.id, price_label(price)) for price in self.prices.values()
        ]
        # The form opens on what the subscription has now: its first item and that item's price.
        first = next(iter(self.items.values()), None)
        if first is not None:
            self.fields["item"].initial = first.id
            self.fields["price"].initial = first.price_id
            self.fields["quantity"].initial = first.quantity

    def change(self) -> ItemChange:
        data = self.cleaned_data
        return ItemChange(
            item_id=data["item"], price=self.prices[data["price"]], quantity=data["quantity"]
        )


def _money(amount: int, currency: str) -> str:
    return money.format_amount(amount, currency)


@admin.register(Subscription)
class SubscriptionAdmin(
    SubscriptionCreateMixin,
    SubscriptionActionsMixin,
    SubscriptionCancelMixin,
    ObjectHistoryMixin,
    AccountScopedAdmin,
):
    paginator = InfinitePaginator
    show_full_result_count = False
    list_per_page = 50
    ordering = ("-id",)
    list_display = ("id", "customer", "status_badge", "current_period_end", "collection_method")
    list_filter = ("status", RenewsFilter, "collection_method")
    search_fields = ("=id", "=customer__id", "=customer__email")
    write_capability = roles.BILLING_WRITE
    actions_list = ("new_subscription",)

    def has_create_permission(self, request) -> bool:
        return self.can_write(request)

    @action(description="New subscription", icon="add", permissions=["create"])
    def new_subscription(self, request):
        return redirect("admin:subscriptions_subscription_new")

    @display(description="Status", label=STATUS_VARIANTS)
    def status_badge(self, obj: Subscription) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    def get_urls(self):
        view = self.admin_site.admin_view
        actions = [
            ("add-item", self.add_item_view, "add_item"),
            ("pause", self.pause_view, "pause"),
            ("unpause", self.unpause_view, "unpause"),
            ("resume", self.resume_view, "resume"),
            ("cancel-at", self.cancel_at_view, "cancel_at"),
            ("cancel-at/clear", self.cancel_at_clear_view, "cancel_at_clear"),
            ("tax-rates", self.tax_rates_view, "tax_rates"),
        ]
        return [
            path("new/", view(self.new_view), name="subscriptions_subscription_new"),
            path(
                "new/preview/",
                view(self.new_preview_view),
                name="subscriptions_subscription_new_preview",
            ),
            *[
                path(
                    f"<path:object_id>/{suffix}/",
                    view(require_POST(handler)),
                    name=f"subscriptions_subscription_{name}",
                )
                for suffix, handler, name in actions
            ],
            path(
                "<path:object_id>/preview/",
                view(self.preview_view),
                name="subscriptions_subscription_preview",
            ),
            path(
                "<path:object_id>/change-price/",
                view(require_POST(self.change_price_view)),
                name="subscriptions_subscription_change_price",
            ),
            path(
                "<path:object_id>/cancel/",
                view(require_POST(self.cancel_view)),
                name="subscriptions_subscription_cancel",
            ),
            *super().get_urls(),
        ]

    def _subscription(self, request: HttpRequest, object_id: str) -> Subscription:
        row = (
            Subscription.objects.select_related("customer", "account")
            .filter(account=request.account, id=unquote(object_id))
            .first()
        )
        if row is None:
            raise Http404("No such subscription")
        return row

    def _page(self, request, subscription, form=None, cancel_form=None, preview=None, **bound):
        items = list(
            SubscriptionItem.objects.filter(
                subscription=subscription, deleted_at__isnull=True
            ).select_related("price__product")
        )
        invoices = list(
            Invoice.objects.filter(subscription=subscription)
            .select_related(
                "customer__default_payment_method",
                "customer__default_source",
                "subscription__default_payment_method",
            )
            .order_by("-id")[:20]
        )
        form = form or self._change_price_form(request, subscription)
        return render(
            request,
            "subscriptions/subscription_detail.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Subscription {subscription.id}",
                "opts": self.model._meta,
                "original": subscription,
                "subscription": subscription,
                "items": items,
                "invoices": [
                    (i, _money(i.total, i.currency), invoice_retry_label(i)) for i in invoices
                ],
                "form": form,
                "cancel_form": cancel_form or CancelForm(subscription=subscription),
                **page_forms(subscription, **bound),
                "paused_items": any(item.paused_at for item in items),
                "preview": preview,
                "can_write": self.can_write(request),
                "object_history_entries": self.object_history(request, subscription.id),
                "object_history_object_id": subscription.id,
            },
        )

    def _change_price_form(self, request, subscription) -> ChangePriceForm:
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        return ChangePriceForm(
            subscription=subscription,
            initial={
                "proration_date": clock.to_epoch(now),
                "proration_behavior": billing_settings(request.account).default_proration_behavior,
            },
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self._page(request, self._subscription(request, object_id))

    def _preview(self, subscription, form: ChangePriceForm) -> dict | None:
        if not form.is_valid():
            return None
        data = form.cleaned_data
        preview = invoice_preview(
            subscription=subscription,
            changes=[form.change()],
            proration_date=clock.from_epoch(data["proration_date"]),
            proration_behavior=data["proration_behavior"],
        )
        currency = subscription.currency
        return {
            "lines": [
                {
                    **line,
                    "amount_text": _money(line["amount"], currency),
                    "start": clock.from_epoch(line["period"]["start"]),
                    "end": clock.from_epoch(line["period"]["end"]),
                }
                for line in preview["lines"]["data"]
            ],
            "total": _money(preview["total"], currency),
            "amount_due": _money(preview["amount_due"], currency),
            "immediate": data["proration_behavior"] == "always_invoice",
        }

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The htmx partial: the invoice the change would produce, computed and not written."""
        subscription = self._subscription(request, object_id)
        form = ChangePriceForm(request.GET, subscription=subscription)
        try:
            preview = self._preview(subscription, form)
        except ApplicationError as error:
            service_error_to_form(form, error)
            preview = None
        return render(request, "subscriptions/_preview.html", {"preview": preview, "form": form})

    def change_price_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        subscription = self._subscription(request, object_id)
        form = ChangePriceForm(request.POST, subscription=subscription)
        if not self.can_write(request):
            form.add_error(None, "Your role does not allow changing subscriptions.")
        elif form.is_valid():
            change = form.change()
            try:
                subscription_item_update(
                    account=request.account,
                    item_id=change.item_id,
                    price=change.price,
                    quantity=change.quantity,
                    proration_behavior=form.cleaned_data["proration_behavior"],
                    proration_date=clock.from_epoch(form.cleaned_data["proration_date"]),
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                service_error_to_form(form, error)
            else:
                messages.success(request, "The subscription was changed.")
                return redirect("admin:subscriptions_subscription_change", subscription.id)
        return self._page(request, subscription, form, CancelForm(subscription=subscription))
