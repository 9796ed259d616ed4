"""Dashboard → Customers: the list (no counts, indexed search) and the customer page.

The page gathers details, balance and its ledger, payment methods, charges (the payments app's
panel), notes, tax ids, the event timeline and the audit history; every form posts to a view
here that calls a service.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import path, reverse
from django.views.decorators.http import require_POST
from unfold.decorators import action, display
from unfold.paginator import InfinitePaginator

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import (
    AccountScopedAdmin,
    ObjectHistoryMixin,
    dashboard_actor,
)
from apps.accounts.dashboard.forms import service_error_to_form
from apps.core import money
from apps.core.errors import ApplicationError
from apps.customers.admin_filters import (
    CreatedRangeFilter,
    CurrencyFilter,
    DeletedFilter,
    HasBalanceFilter,
    newest_balance,
)
from apps.customers.admin_payment_methods import PaymentMethodsAdminMixin
from apps.customers.forms import BalanceForm, CustomerForm, NoteForm, TaxIdForm
from apps.customers.models import Customer
from apps.customers.selectors import (
    balance_transaction_list,
    customer_balance,
    customer_get,
    customer_timeline,
    note_list,
    tax_id_list,
)
from apps.customers.services import (
    customer_balance_adjust,
    customer_create,
    customer_update,
    note_create,
    tax_id_create,
    tax_id_delete,
)

# Panels other code provides for the customer page, each shown when its template exists.
PAYMENT_METHODS_PANEL = "customers/_payment_methods_panel.html"
PANELS = ("customers/_payments_panel.html",)


def _template_exists(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


def _panels() -> list[str]:
    return [name for name in PANELS if _template_exists(name)]


@admin.register(Customer)
class CustomerAdmin(PaymentMethodsAdminMixin, ObjectHistoryMixin, AccountScopedAdmin):
    paginator = InfinitePaginator
    show_full_result_count = False
    list_per_page = 50
    ordering = ("-id",)
    list_display = ("email_display", "name", "id", "balance_display", "created_at")
    list_filter = (
        DeletedFilter,
        HasBalanceFilter,
        CurrencyFilter,
        ("created_at", CreatedRangeFilter),
    )
    list_filter_submit = True
    search_fields = ("=id",)
    search_help_text = (
        "An email address, a customer id (cus_…), or the start of a name or an email; case is "
        "ignored."
    )
    actions_list = ("create_customer",)
    write_capability = roles.BILLING_WRITE

    @display(description="Email", ordering="email")
    def email_display(self, obj: Customer) -> str:
        return obj.email or "—"

    @display(description="Balance")
    def balance_display(self, obj: Customer) -> str:
        balance = getattr(obj, "newest_balance", None) or 0
        if not balance:
            return "—"
        return money.format_amount(balance, obj.currency) if obj.currency else str(balance)

    def get_queryset(self, request):
        # One index probe per customer on the page (the list is keyset-paginated, no count).
        return super().get_queryset(request).annotate(newest_balance=newest_balance())

    def get_search_results(self, request, queryset, search_term):
        """Indexed lookups only, case ignored: an email (whole), an id, or the start of a name or
        an email (the customer_*_iprefix indexes)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:
            return queryset.filter(email__iexact=term), False
        if term.startswith("cus_"):
            return queryset.filter(id=term), False
        return queryset.filter(Q(name__istartswith=term) | Q(email__istartswith=term)), False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("create/", view(self.create_view), name="customers_customer_create"),
            path("<path:object_id>/edit/", view(self.edit_view), name="customers_customer_edit"),
            path(
                "<path:object_id>/notes/add/",
                view(require_POST(self.add_note_view)),
                name="customers_customer_add_note",
            ),
            path(
                "<path:object_id>/tax_ids/add/",
                view(require_POST(self.add_tax_id_view)),
                name="customers_customer_add_tax_id",
            ),
            path(
                "<path:object_id>/tax_ids/<str:tax_id>/delete/",
                view(require_POST(self.delete_tax_id_view)),
                name="customers_customer_delete_tax_id",
            ),
            path(
                "<path:object_id>/balance/adjust/",
                view(require_POST(self.adjust_balance_view)),
                name="customers_customer_adjust_balance",
            ),
            *super().get_urls(),
        ]

    def has_create_permission(self, request) -> bool:
        return self.can_write(request)

    @action(description="Add customer", icon="person_add", permissions=["create"])
    def create_customer(self, request):
        return redirect("admin:customers_customer_create")

    # --- pages ---

    def _customer(self, request: HttpRequest, object_id: str, *, deleted: bool = False):
        customer = customer_get(
            account=request.account, customer_id=unquote(object_id), include_deleted=deleted
        )
        if customer is None:
            raise Http404("No such customer")
        return customer

    def _render(self, request: HttpRequest, template: str, title: str, **context) -> HttpResponse:
        return render(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "can_write": self.can_write(request),
                **context,
            },
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        customer = self._customer(request, object_id, deleted=True)
        account = request.account
        return self._render(
            request,
            "customers/customer_detail.html",
            str(customer),
            customer=customer,
            balance=customer_balance(customer),
            ledger=list(
                balance_transaction_list(account=account, customer=customer).order_by("-id")[:20]
            ),
            notes=list(note_list(account=account, customer=customer).order_by("-id")[:50]),
            tax_ids=list(tax_id_list(account=account, customer=customer).order_by("-id")),
            timeline=customer_timeline(account=account, customer=customer),
            note_form=NoteForm(),
            tax_id_form=TaxIdForm(),
            balance_form=BalanceForm(
                initial={"currency": customer.currency or account.default_currency}
            ),
            panels=_panels(),
            payment_methods_panel=(
                PAYMENT_METHODS_PANEL if _template_exists(PAYMENT_METHODS_PANEL) else None
            ),
            object_history_entries=self.object_history(request, customer.id),
            object_history_object_id=customer.id,
        )

    def create_view(self, request: HttpRequest) -> HttpResponse:
        if not self.can_write(request):
            raise PermissionDenied
        form = CustomerForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                customer = customer_create(
                    account=request.account,
                    fields=form.fields_set(),
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                service_error_to_form(form, error)
            else:
                messages.success(request, f"Customer {customer} was created.")
                return redirect("admin:customers_customer_change", customer.id)
        return self._render(
            request,
            "dashboard/form_page.html",
            "Add customer",
            form=form,
            cancel_url=reverse("admin:customers_customer_changelist"),
        )

    def edit_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        customer = self._customer(request, object_id)
        if not self.can_write(request):
            raise PermissionDenied
        initial = {name: getattr(customer, name) for name in CustomerForm.base_fields}
        form = CustomerForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                customer_update(
                    account=request.account,
                    customer_id=customer.id,
                    fields=form.fields_set(),
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                service_error_to_form(form, error)
            else:
                messages.success(request, "The customer was updated.")
                return redirect("admin:customers_customer_change", customer.id)
        return self._render(
            request,
            "dashboard/form_page.html",
            f"Edit {customer}",
            form=form,
            cancel_url=reverse("admin:customers_customer_change", args=[customer.id]),
        )

    def add_note_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        customer = self._customer(request, object_id)
        form = NoteForm(request.POST)
        if not self.can_write(request):
            messages.error(request, "Your role does not allow writing notes.")
        elif form.is_valid():
            try:
                note_create(
                    account=request.account,
                    customer=customer,
                    body=form.cleaned_data["body"],
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, "The note was added.")
        else:
            messages.error(request, "A note needs some text.")
        return redirect("admin:customers_customer_change", customer.id)

    def adjust_balance_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        customer = self._customer(request, object_id)
        form = BalanceForm(request.POST)
        if not self.can_write(request):
            messages.error(request, "Your role does not allow changing balances.")
        elif form.is_valid():
            try:
                customer_balance_adjust(
                    account=request.account,
                    customer=customer,
                    amount=form.cleaned_data["minor"],
                    currency=form.cleaned_data["currency"],
                    description=form.cleaned_data["description"],
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, "The balance was adjusted.")
        else:
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("admin:customers_customer_change", customer.id)

    def add_tax_id_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        customer = self._customer(request, object_id)
        form = TaxIdForm(request.POST)
        if not self.can_write(request):
            messages.error(request, "Your role does not allow changing tax ids.")
        elif form.is_valid():
            try:
                tax_id_create(
                    account=request.account,
                    customer=customer,
                    type=form.cleaned_data["type"],
                    value=form.cleaned_data["value"],
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, "The tax id was added.")
        else:
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("admin:customers_customer_change", customer.id)

    def delete_tax_id_view(self, request: HttpRequest, object_id: str, tax_id: str) -> HttpResponse:
        customer = self._customer(request, object_id)
        if not self.can_write(request):
            messages.error(request, "Your role does not allow changing tax ids.")
        else:
            try:
                tax_id_delete(
                    account=request.account,
                    customer=customer,
                    tax_id_id=tax_id,
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, "The tax id was removed.")
        return redirect("admin:customers_customer_change", customer.id)
