"""Dashboard: a new one-off invoice for a customer, and a draft's items added, changed, removed.

``DraftsAdminMixin`` goes before the invoice admin's base class and adds the views;
``draft_context`` gives the invoice page its items panel. Every form posts to a view that calls
a service; a refusal comes back as an error on the form, and nothing is written.
"""

import re
from decimal import Decimal
from fractions import Fraction

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from apps.accounts.dashboard.admin_base import dashboard_actor
from apps.accounts.dashboard.forms import service_error_to_form
from apps.core import money
from apps.core.errors import ApplicationError
from apps.customers.selectors import customer_get
from apps.invoices.forms import (
    ItemEditForm,
    ItemForm,
    ItemFormSet,
    NewInvoiceForm,
    one_time_prices,
)
from apps.invoices.invoice_items import (
    invoice_item_create,
    invoice_item_delete,
    invoice_item_update,
)
from apps.invoices.models import Invoice, InvoiceItem
from apps.invoices.one_off import NewItem, invoice_create

_ITEM_PARAM = re.compile(r"items\[(\d+)\](?:\[(\w+)\])?")
# Service parameter names → the item forms' fields.
_ITEM_FIELDS = {"amount": "unit_amount", "unit_amount_decimal": "unit_amount"}


def _item_error(form, error: ApplicationError) -> None:
    field = _ITEM_FIELDS.get(error.param or "", error.param)
    form.add_error(field if field in form.fields else None, error.message)


def _new_items(formset, currency: str) -> tuple[list[NewItem], list[ItemForm]] | None:
    """The filled rows as items (and the rows they came from); None if an amount is not one of
    ``currency`` (the error is on its row)."""
    items, rows = [], []
    for form in formset.forms:
        if not form.has_changed():
            continue
        data = form.cleaned_data
        if data["price"]:
            item = NewItem(
                description=data["description"],
                price=form.prices[data["price"]],
                quantity=data["quantity"],
            )
        else:
            unit = form.minor_amount(currency)
            if unit is None:
                return None
            item = NewItem(
                description=data["description"], unit_amount=unit, quantity=data["quantity"]
            )
        items.append(item)
        rows.append(form)
    return items, rows


def draft_context(
    invoice: Invoice,
    *,
    prices,
    add_form: ItemForm | None = None,
    edit_forms: dict | None = None,
) -> dict:
    """What the invoice page shows of a draft's items: each with its edit form, and the form
    that adds one."""
    if invoice.status != "draft":
        return {}
    edit_forms = edit_forms or {}
    items = []
    for item in InvoiceItem.objects.filter(invoice=invoice).order_by("id"):
        form = edit_forms.get(item.id) or ItemEditForm(
            prefix=item.id,
            initial={
                "description": item.description,
                "unit_amount": money.major_text(
                    money.round_minor(Fraction(item.amount, item.quantity)), item.currency
                ),
                "quantity": item.quantity,
            },
        )
        if item.price_id or item.proration:
            form.fields["unit_amount"].disabled = True
        items.append((item, form, money.format_amount(item.amount, item.currency)))
    return {
        "draft_items": items,
        "add_item_form": add_form or ItemForm(prefix="add", prices=prices),
    }


class DraftsAdminMixin:
    def draft_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("new/", view(self.new_invoice_view), name="invoices_invoice_new"),
            path(
                "<path:object_id>/items/add/",
                view(require_POST(self.item_add_view)),
                name="invoices_invoice_item_add",
            ),
            path(
                "<path:object_id>/items/<str:item_id>/edit/",
                view(require_POST(self.item_edit_view)),
                name="invoices_invoice_item_edit",
            ),
            path(
                "<path:object_id>/items/<str:item_id>/delete/",
                view(require_POST(self.item_delete_view)),
                name="invoices_invoice_item_delete",
            ),
        ]

    def new_invoice_view(self, request: HttpRequest) -> HttpResponse:
        if not self.can_write(request):
            raise PermissionDenied
        account = request.account
        customer_id = request.GET.get("customer", "")
        customer = customer_get(account=account, customer_id=customer_id) if customer_id else None
        data = request.POST if request.method == "POST" else None
        form = NewInvoiceForm(
            data,
            account=account,
            initial={
                "customer": customer.id if customer else "",
                "currency": (customer and customer.currency) or account.default_currency,
            },
        )
        prices = one_time_prices(account)
        formset = ItemFormSet(data, prefix="items", form_kwargs={"prices": prices})
        if data is not None and form.is_valid() and formset.is_valid():
            made = _new_items(formset, form.cleaned_data["currency"])
            if made is not None:
                items, rows = made
                try:
                    invoice = invoice_create(
                        account=account,
                        draft=form.draft(items),
                        actor=dashboard_actor(request),
                    )
                except ApplicationError as error:
                    matched = _ITEM_PARAM.fullmatch(error.param or "")
                    if matched and int(matched.group(1)) < len(rows):
                        error.param = matched.group(2)
                        _item_error(rows[int(matched.group(1))], error)
                    else:
                        if (error.param or "").startswith("discounts"):
                            error.param = "coupon"
                        service_error_to_form(form, error)
                else:
                    messages.success(request, f"Draft invoice {invoice.id} was created.")
                    return redirect("admin:invoices_invoice_change", invoice.id)
        return render(
            request,
            "invoices/invoice_new.html",
            {
                **self.admin_site.each_context(request),
                "title": f"New invoice{f' for {customer}' if customer else ''}",
                "opts": self.model._meta,
                "form": form,
                "formset": formset,
                "can_write": True,
                "cancel_url": (
                    reverse("admin:customers_customer_change", args=[customer.id])
                    if customer
                    else reverse("admin:invoices_invoice_changelist")
                ),
            },
        )

    def _draft(self, request: HttpRequest, object_id: str) -> Invoice:
        invoice = (
            Invoice.objects.select_related("customer", "account")
            .filter(account=request.account, id=unquote(object_id))
            .first()
        )
        if invoice is None:
            raise Http404("No such invoice")
        return invoice

    def item_add_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        invoice = self._draft(request, object_id)
        if not self.can_write(request):
            messages.error(request, "Your role does not allow changing invoices.")
            return redirect("admin:invoices_invoice_change", invoice.id)
        prices = one_time_prices(request.account)
        form = ItemForm(request.POST, prefix="add", prices=prices)
        if form.is_valid():
            data = form.cleaned_data
            unit = None if data["price"] else form.minor_amount(invoice.currency)
            if data["price"] or unit is not None:
                try:
                    invoice_item_create(
                        account=request.account,
                        actor=dashboard_actor(request),
                        invoice_id=invoice.id,
                        description=data["description"],
                        price=form.prices.get(data["price"]),
                        unit_amount=None if unit is None else Decimal(unit),
                        quantity=data["quantity"],
                    )
                except ApplicationError as error:
                    _item_error(form, error)
                else:
                    messages.success(request, "The item was added.")
                    return redirect("admin:invoices_invoice_change", invoice.id)
        return self.invoice_page(request, invoice, add_form=form)

    def item_edit_view(self, request: HttpRequest, object_id: str, item_id: str) -> HttpResponse:
        invoice = self._draft(request, object_id)
        item = InvoiceItem.objects.filter(
            account=request.account, invoice=invoice, id=item_id
        ).first()
        if item is None:
            raise Http404("No such item on this invoice")
        if not self.can_write(request):
            messages.error(request, "Your role does not allow changing invoices.")
            return redirect("admin:invoices_invoice_change", invoice.id)
        form = ItemEditForm(request.POST, prefix=item.id)
        if item.price_id or item.proration:
            form.fields["unit_amount"].disabled = True
        if form.is_valid():
            data = form.cleaned_data
            changes = {"description": data["description"]}
            if data["quantity"] != item.quantity:
                changes["quantity"] = data["quantity"]
            if not form.fields["unit_amount"].disabled:
                try:
                    unit = money.parse_major(data["unit_amount"], item.currency)
                except money.MoneyError as error:
                    form.add_error("unit_amount", str(error))
                else:
                    if unit * data["quantity"] != item.amount:
                        changes.update(unit_amount=Decimal(unit), quantity=data["quantity"])
            if form.is_valid():
                try:
                    invoice_item_update(
                        account=request.account,
                        item_id=item.id,
                        actor=dashboard_actor(request),
                        **changes,
                    )
                except ApplicationError as error:
                    _item_error(form, error)
                else:
                    messages.success(request, "The item was changed.")
                    return redirect("admin:invoices_invoice_change", invoice.id)
        return self.invoice_page(request, invoice, edit_forms={item.id: form})

    def item_delete_view(self, request: HttpRequest, object_id: str, item_id: str) -> HttpResponse:
        invoice = self._draft(request, object_id)
        if not InvoiceItem.objects.filter(account=request.account, invoice=invoice, id=item_id):
            raise Http404("No such item on this invoice")
        if not self.can_write(request):
            messages.error(request, "Your role does not allow changing invoices.")
        else:
            try:
                invoice_item_delete(
                    account=request.account, item_id=item_id, actor=dashboard_actor(request)
                )
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, "The item was removed.")
        return redirect("admin:invoices_invoice_change", invoice.id)
