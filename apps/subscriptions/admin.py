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
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanSwitchWidget,
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
from apps.customers.payment_method_render import payment_method_label
from apps.invoices.models import Invoice
from apps.invoices.payment_choice import invoice_charged_method
from apps.subscriptions.admin_actions import SubscriptionActionsMixin, page_forms
from apps.subscriptions.admin_create import SubscriptionCreateMixin
from apps.subscriptions.admin_filters import RenewsFilter
from apps.subscriptions.changes import ItemChange
from apps.subscriptions.invoice_preview import invoice_preview
from apps.subscriptions.models import BillingSettings, Subscription, SubscriptionItem
from apps.subscriptions.services import (
    FEEDBACK,
    CancellationDetails,
    billing_settings_update,
    subscription_cancel,
    subscription_item_update,
)
from apps.subscriptions.services.billing import billing_settings

BEHAVIORS = [
    ("always_invoice", "Prorate and invoice now"),
    ("create_prorations", "Prorate on the next invoice"),
    ("none", "No proration"),
]


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


class CancelForm(forms.Form):
    feedback = forms.ChoiceField(
        required=False,
        choices=[("", "—"), *[(f, f.replace("_", " ")) for f in FEEDBACK]],
        widget=UnfoldAdminSelectWidget,
    )
    comment = forms.CharField(required=False, max_length=5000, widget=UnfoldAdminTextInputWidget)


def _money(amount: int, currency: str) -> str:
    return money.format_amount(amount, currency)


@admin.register(Subscription)
class SubscriptionAdmin(
    SubscriptionCreateMixin, SubscriptionActionsMixin, ObjectHistoryMixin, AccountScopedAdmin
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
                "invoices": [(i, _money(i.total, i.currency), _retry_card(i)) for i in invoices],
                "form": form,
                "cancel_form": cancel_form or CancelForm(),
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
        return self._page(request, subscription, form, CancelForm())

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        subscription = self._subscription(request, object_id)
        form = CancelForm(request.POST)
        if not self.can_write(request):
            messages.error(request, "Your role does not allow canceling subscriptions.")
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


class BillingSettingsForm(forms.ModelForm):
    class Meta:
        model = BillingSettings
        fields = (
            "zero_total_invoices",
            "invoice_trial_end_immediately",
            "trial_missing_payment_method",
            "default_proration_behavior",
            "upcoming_invoice_days",
            "will_be_due_days",
        )
        labels = {
            "zero_total_invoices": "Create (and mark paid) invoices that total zero",
            "invoice_trial_end_immediately": "Invoice an item's rest of period as soon as its "
            "trial ends (instead of on the next regular invoice)",
            "trial_missing_payment_method": "When an item's trial ends and the customer has no "
            "payment method",
            "default_proration_behavior": "Default proration behaviour",
            "upcoming_invoice_days": "Days before a renewal to send invoice.upcoming",
            "will_be_due_days": "Days before a due date to send invoice.will_be_due",
        }
        widgets = {
            "zero_total_invoices": UnfoldBooleanSwitchWidget,
            "invoice_trial_end_immediately": UnfoldBooleanSwitchWidget,
            "upcoming_invoice_days": UnfoldAdminIntegerFieldWidget,
            "will_be_due_days": UnfoldAdminIntegerFieldWidget,
            "default_proration_behavior": UnfoldAdminSelectWidget(choices=BEHAVIORS),
            "trial_missing_payment_method": UnfoldAdminSelectWidget(
                choices=[
                    ("create_invoice", "Bill as usual (the payment then fails and dunning runs)"),
                    ("cancel", "Remove the item (the subscription ends with its last item)"),
                    ("pause", "Pause the item until the subscription is resumed"),
                ]
            ),
        }


@admin.register(BillingSettings)
class BillingSettingsAdmin(AccountScopedAdmin):
    """One form per account: the list page is the account's billing settings."""

    write_capability = roles.SETTINGS

    def changelist_view(self, request, extra_context=None):
        current = billing_settings(request.account)
        form = BillingSettingsForm(
            request.POST if request.method == "POST" else None,
            instance=BillingSettings(
                **{f: getattr(current, f) for f in BillingSettingsForm.Meta.fields}
            ),
        )
        if request.method == "POST":
            if not self.can_write(request):
                form.add_error(None, "Your role does not allow changing account settings.")
            elif form.is_valid():
                try:
                    billing_settings_update(
                        account=request.account,
                        values=form.cleaned_data,
                        actor=dashboard_actor(request),
                    )
                except ApplicationError as error:
                    service_error_to_form(form, error)
                else:
                    messages.success(request, "Billing settings saved.")
                    return redirect("admin:subscriptions_billingsettings_changelist")
        return render(
            request,
            "dashboard/form_page.html",
            {
                **self.admin_site.each_context(request),
                "title": "Billing settings",
                "opts": self.model._meta,
                "form": form,
                "can_write": self.can_write(request),
            },
        )


def _retry_card(invoice: Invoice) -> str | None:
    """ "Visa •••• 4242" when staff can retry the invoice's payment now (open, charged
    automatically), "" when there is nothing to charge it to, None when no retry applies."""
    if invoice.status != "open" or invoice.collection_method != "charge_automatically":
        return None
    card = invoice_charged_method(invoice)
    return payment_method_label(card) if card is not None else ""
