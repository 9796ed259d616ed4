"""Dashboard → Payments: the charges list (status badges, filters, no counts), the charge page
with its refunds and a refund form, charging a customer from their page, the balance ledger."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import F, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST
from unfold.decorators import display
from unfold.paginator import InfinitePaginator

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import (
    AccountScopedAdmin,
    ObjectHistoryMixin,
    dashboard_actor,
)
from apps.accounts.dashboard.badges import STATUS_VARIANTS
from apps.accounts.dashboard.confirm import back_url, confirmation_response, is_confirmed
from apps.core import money
from apps.core.errors import ApplicationError
from apps.customers.models import PaymentMethod
from apps.customers.selectors import customer_get
from apps.payments.admin_confirm import charge_confirmation, refund_confirmation
from apps.payments.display import charge_state
from apps.payments.forms import ChargeForm, PaymentSettingsForm, RefundForm
from apps.payments.models import BalanceTransaction, Charge, PaymentSettings
from apps.payments.selectors import charge_get
from apps.payments.services import (
    ChargeRequest,
    amount_validate,
    charge_create,
    payment_settings_update,
    refund_create,
)
from apps.payments.services.ledger import payment_settings


class ChargeStateFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("succeeded", "Succeeded"),
            ("failed", "Failed"),
            ("blocked", "Blocked"),
            ("refunded", "Refunded"),
            ("partially_refunded", "Partially refunded"),
            ("uncaptured", "Uncaptured"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        paid = Q(status="succeeded", captured=True)
        filters = {
            "succeeded": paid & Q(amount_refunded=0),
            "failed": Q(status="failed") & ~Q(outcome__type="blocked"),
            "blocked": Q(status="failed", outcome__type="blocked"),
            "refunded": paid & Q(amount_refunded__gte=F("amount_captured")),
            "partially_refunded": paid
            & Q(amount_refunded__gt=0, amount_refunded__lt=F("amount_captured")),
            "uncaptured": Q(status="succeeded", captured=False),
        }
        return queryset.filter(filters[value]) if value in filters else queryset


@admin.register(Charge)
class ChargeAdmin(ObjectHistoryMixin, AccountScopedAdmin):
    paginator = InfinitePaginator
    show_full_result_count = False
    list_per_page = 50
    ordering = ("-id",)
    list_display = (
        "amount_display",
        "state_badge",
        "customer_display",
        "method_display",
        "id",
        "created_at",
    )
    list_filter = (ChargeStateFilter,)
    search_fields = ("=id",)
    search_help_text = (
        "A charge id (ch_…), a customer id (cus_…), a customer's email or a card's last 4."
    )
    write_capability = roles.PAYMENTS_WRITE

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer", "payment_method")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.startswith("ch_"):
            return queryset.filter(id=term), False
        if term.startswith("cus_"):
            return queryset.filter(customer_id=term), False
        if "@" in term:
            return queryset.filter(customer__email=term), False
        if term.isdigit() and len(term) == 4:
            return queryset.filter(payment_method__last4=term), False
        return queryset.none(), False

    @display(description="Amount")
    def amount_display(self, obj: Charge) -> str:
        return money.format_amount(obj.amount, obj.currency)

    @display(description="Status", label=STATUS_VARIANTS)
    def state_badge(self, obj: Charge) -> tuple[str, str]:
        return charge_state(obj)

    @display(description="Customer")
    def customer_display(self, obj: Charge) -> str:
        return str(obj.customer) if obj.customer_id else "—"

    @display(description="Payment method")
    def method_display(self, obj: Charge) -> str:
        return str(obj.payment_method)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/refund/",
                view(require_POST(self.refund_view)),
                name="payments_charge_refund",
            ),
            path(
                "for/<str:customer_id>/",
                view(require_POST(self.charge_customer_view)),
                name="payments_charge_customer",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        charge = charge_get(account=request.account, charge_id=unquote(object_id))
        if charge is None:
            raise Http404("No such charge")
        return self._page(request, charge, RefundForm(charge_currency=charge.currency))

    def _page(self, request: HttpRequest, charge: Charge, form: RefundForm) -> HttpResponse:
        state, label = charge_state(charge)
        return render(
            request,
            "payments/charge_detail.html",
            {
                **self.admin_site.each_context(request),
                "title": f"{money.format_amount(charge.amount, charge.currency)} · {label}",
                "opts": self.model._meta,
                "charge": charge,
                "state": state,
                "state_label": label,
                "refunds": list(charge.refunds.order_by("-id")),
                "refundable": _refundable(charge),
                "form": form,
                "can_write": self.can_write(request),
                "object_history_entries": self.object_history(request, charge.id),
                "object_history_object_id": charge.id,
            },
        )

    def refund_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        charge = charge_get(account=request.account, charge_id=unquote(object_id))
        if charge is None:
            raise Http404("No such charge")
        form = RefundForm(
            request.POST, charge_currency=charge.currency, refundable=_refundable(charge)
        )
        if not self.can_write(request):
            form.add_error(None, "Your role does not allow refunds.")
        elif form.is_valid() and not is_confirmed(request):
            return confirmation_response(
                request,
                refund_confirmation(
                    request,
                    charge,
                    amount=form.cleaned_data["minor"],
                    reason=form.cleaned_data["reason"],
                ),
                site_context=self.admin_site.each_context(request),
            )
        elif form.is_valid():
            try:
                refund = refund_create(
                    account=request.account,
                    charge_id=charge.id,
                    amount=form.cleaned_data["minor"],
                    reason=form.cleaned_data["reason"],
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                form.add_error("amount" if error.param == "amount" else None, error.message)
            else:
                messages.success(
                    request, f"Refunded {money.format_amount(refund.amount, refund.currency)}."
                )
                return redirect(
                    back_url(request, reverse("admin:payments_charge_change", args=[charge.id]))
                )
        charge.refresh_from_db()
        return self._page(request, charge, form)

    def charge_customer_view(self, request: HttpRequest, customer_id: str) -> HttpResponse:
        customer = customer_get(account=request.account, customer_id=customer_id)
        if customer is None:
            raise Http404("No such customer")
        methods = PaymentMethod.objects.filter(account=request.account, customer=customer)
        form = ChargeForm(request.POST, payment_methods=methods)
        if not self.can_write(request):
            messages.error(request, "Your role does not allow charging customers.")
        elif form.is_valid():
            try:
                amount, currency = amount_validate(
                    form.cleaned_data["minor"], form.cleaned_data["currency_code"]
                )
                method = methods.get(id=form.cleaned_data["payment_method"])
                if not is_confirmed(request):
                    return confirmation_response(
                        request,
                        charge_confirmation(
                            request,
                            customer,
                            method=method,
                            amount=amount,
                            currency=currency,
                            description=form.cleaned_data["description"],
                        ),
                        site_context=self.admin_site.each_context(request),
                    )
                charge = charge_create(
                    account=request.account,
                    request=ChargeRequest(
                        amount=amount,
                        currency=currency,
                        payment_method=method,
                        customer=customer,
                        description=form.cleaned_data["description"],
                    ),
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                messages.error(request, f"The charge failed: {error.message}")
            else:
                messages.success(
                    request, f"Charged {money.format_amount(charge.amount, charge.currency)}."
                )
        else:
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("admin:customers_customer_change", customer.id)


def _refundable(charge: Charge) -> int:
    """What is left to refund: nothing unless the charge succeeded and was captured."""
    if charge.captured and charge.status == "succeeded":
        return charge.amount_captured - charge.amount_refunded
    return 0


@admin.register(BalanceTransaction)
class BalanceTransactionAdmin(AccountScopedAdmin):
    paginator = InfinitePaginator
    show_full_result_count = False
    list_per_page = 50
    ordering = ("-id",)
    list_display = (
        "id",
        "type",
        "amount_display",
        "fee_display",
        "net_display",
        "source_id",
        "available_on",
    )
    list_filter = ("type", "currency")
    search_fields = ("=id", "=source_id")

    @display(description="Amount")
    def amount_display(self, obj: BalanceTransaction) -> str:
        return money.format_amount(obj.amount, obj.currency)

    @display(description="Fee")
    def fee_display(self, obj: BalanceTransaction) -> str:
        return money.format_amount(obj.fee, obj.currency)

    @display(description="Net")
    def net_display(self, obj: BalanceTransaction) -> str:
        return money.format_amount(obj.net, obj.currency)


@admin.register(PaymentSettings)
class PaymentSettingsAdmin(AccountScopedAdmin):
    """One form per account: the list page is the account's settings."""

    write_capability = roles.SETTINGS

    def changelist_view(self, request, extra_context=None):
        current = payment_settings(request.account)
        initial = {
            "fee_percent": current.fee_percent,
            "fee_fixed": current.fee_fixed,
            "availability_days": current.availability_days,
        }
        form = PaymentSettingsForm(
            request.POST if request.method == "POST" else None, initial=initial
        )
        if request.method == "POST":
            if not self.can_write(request):
                form.add_error(None, "Your role does not allow changing account settings.")
            elif form.is_valid():
                try:
                    payment_settings_update(
                        account=request.account, actor=dashboard_actor(request), **form.cleaned_data
                    )
                except ApplicationError as error:
                    form.add_error(
                        error.param if error.param in form.fields else None, error.message
                    )
                else:
                    messages.success(request, "Payment settings saved.")
                    return redirect("admin:payments_paymentsettings_changelist")
        return render(
            request,
            "payments/settings.html",
            {
                **self.admin_site.each_context(request),
                "title": "Payment settings",
                "opts": self.model._meta,
                "form": form,
                "can_write": self.can_write(request),
            },
        )
