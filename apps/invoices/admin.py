"""Dashboard → Billing → Invoices: list, page with lines, hosted page and PDF, actions; new
one-off invoices and draft items (``apps.invoices.admin_drafts``)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST
from unfold.decorators import action, display
from unfold.paginator import InfinitePaginator
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import (
    AccountScopedAdmin,
    ObjectHistoryMixin,
    dashboard_actor,
)
from apps.accounts.dashboard.badges import STATUS_VARIANTS
from apps.accounts.dashboard.confirm import confirmation_response, is_confirmed
from apps.core import money
from apps.core.errors import ApplicationError
from apps.invoices.admin_confirm import CONFIRMED_ACTIONS, invoice_action_confirmation
from apps.invoices.admin_drafts import DraftsAdminMixin, draft_context
from apps.invoices.credit_notes import REASONS, CreditNoteDraft, credit_note_create
from apps.invoices.documents import hosted_invoice_url, invoice_pdf_url
from apps.invoices.forms import one_time_prices
from apps.invoices.models import Invoice
from apps.invoices.sending import invoice_send
from apps.invoices.services import (
    invoice_finalize,
    invoice_mark_uncollectible,
    invoice_pay,
    invoice_void,
)
from apps.invoices.taxes import customer_tax_ids_of, tax_lines


def _money(amount: int, currency: str) -> str:
    return money.format_amount(amount, currency)


class CreditNoteForm(forms.Form):
    amount = forms.CharField(max_length=20, widget=UnfoldAdminTextInputWidget)
    reason = forms.ChoiceField(
        required=False,
        choices=[("", "—"), *[(r, r.replace("_", " ")) for r in REASONS]],
        widget=UnfoldAdminSelectWidget,
    )
    settle = forms.ChoiceField(
        choices=[
            ("refund_amount", "Refund to the card"),
            ("credit_amount", "Credit the customer's balance"),
            ("out_of_band_amount", "Settled outside Ledgerline"),
        ],
        widget=UnfoldAdminSelectWidget,
        help_text="For paid invoices; an open one is reduced.",
    )
    memo = forms.CharField(required=False, max_length=500, widget=UnfoldAdminTextInputWidget)


INVOICE_ACTIONS = {
    "finalize": invoice_finalize,
    "pay": invoice_pay,
    "void": invoice_void,
    "mark_uncollectible": invoice_mark_uncollectible,
    "send": invoice_send,
}


@admin.register(Invoice)
class InvoiceAdmin(DraftsAdminMixin, ObjectHistoryMixin, AccountScopedAdmin):
    paginator = InfinitePaginator
    show_full_result_count = False
    list_per_page = 50
    ordering = ("-id",)
    list_display = ("number_display", "customer", "status_badge", "total_display", "created_at")
    list_filter = ("status", "billing_reason")
    search_fields = ("=id", "=number", "=customer__email")
    write_capability = roles.BILLING_WRITE
    actions_list = ("new_invoice",)

    def has_new_invoice_permission(self, request) -> bool:
        return self.can_write(request)

    @action(description="New invoice", icon="add", permissions=["new_invoice"])
    def new_invoice(self, request):
        return redirect("admin:invoices_invoice_new")

    @display(description="Number")
    def number_display(self, obj: Invoice) -> str:
        return obj.number or obj.id

    @display(description="Status", label=STATUS_VARIANTS)
    def status_badge(self, obj: Invoice) -> tuple[str, str]:
        return {
            "paid": "succeeded",
            "open": "pending",
            "void": "revoked",
            "uncollectible": "failed",
        }.get(obj.status, obj.status), obj.status.title()

    @display(description="Total")
    def total_display(self, obj: Invoice) -> str:
        return _money(obj.total, obj.currency)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/action/<str:name>/",
                view(require_POST(self.action_view)),
                name="invoices_invoice_action",
            ),
            path(
                "<path:object_id>/credit-note/",
                view(require_POST(self.credit_note_view)),
                name="invoices_invoice_credit_note",
            ),
            *self.draft_urls(),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        invoice = (
            Invoice.objects.select_related("customer", "account")
            .filter(account=request.account, id=unquote(object_id))
            .first()
        )
        if invoice is None:
            raise Http404("No such invoice")
        return self.invoice_page(request, invoice)

    def invoice_page(
        self, request: HttpRequest, invoice: Invoice, *, add_form=None, edit_forms=None
    ) -> HttpResponse:
        """The invoice page; a draft's item forms given back with their errors, if any."""
        can_write = self.can_write(request)
        lines = [
            (line, _money(line.amount, line.currency))
            for line in invoice.lines.order_by("period_start", "id")
        ]
        return render(
            request,
            "invoices/invoice_detail.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Invoice {invoice.number or invoice.id}",
                "opts": self.model._meta,
                "invoice": invoice,
                "lines": lines,
                "subtotal": _money(invoice.subtotal, invoice.currency),
                "tax_lines": [
                    (tax["label"], _money(tax["amount"], invoice.currency), tax["tax_rate"])
                    for tax in tax_lines(invoice.account_id, invoice.total_tax_amounts)
                ],
                "customer_tax_ids": customer_tax_ids_of(invoice),
                "total": _money(invoice.total, invoice.currency),
                "amount_due": _money(invoice.amount_due, invoice.currency),
                "amount_paid": _money(invoice.amount_paid, invoice.currency),
                "hosted_url": hosted_invoice_url(invoice),
                "pdf_url": invoice_pdf_url(invoice),
                "credit_form": CreditNoteForm(),
                "credit_notes": [
                    (note, _money(note.amount, note.currency))
                    for note in invoice.credit_notes.order_by("-id")
                ],
                "can_write": can_write,
                **(
                    draft_context(
                        invoice,
                        prices=one_time_prices(request.account),
                        add_form=add_form,
                        edit_forms=edit_forms,
                    )
                    if can_write
                    else {}
                ),
                "object_history_entries": self.object_history(request, invoice.id),
                "object_history_object_id": invoice.id,
            },
        )

    def action_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        action = INVOICE_ACTIONS.get(name)
        if action is None:
            raise Http404("No such action")
        if not self.can_write(request):
            messages.error(request, "Your role does not allow this.")
        elif name in CONFIRMED_ACTIONS and not is_confirmed(request):
            invoice = (
                Invoice.objects.select_related(
                    "customer__default_payment_method",
                    "customer__default_source",
                    "subscription__default_payment_method",
                )
                .filter(account=request.account, id=unquote(object_id))
                .first()
            )
            if invoice is None:
                raise Http404("No such invoice")
            return confirmation_response(
                request,
                invoice_action_confirmation(invoice, name),
                site_context=self.admin_site.each_context(request),
            )
        else:
            try:
                action(
                    account=request.account,
                    invoice_id=unquote(object_id),
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, f"Invoice: {name.replace('_', ' ')} done.")
        return redirect("admin:invoices_invoice_change", unquote(object_id))

    def credit_note_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        invoice = Invoice.objects.filter(account=request.account, id=unquote(object_id)).first()
        if invoice is None:
            raise Http404("No such invoice")
        form = CreditNoteForm(request.POST)
        if not self.can_write(request):
            messages.error(request, "Your role does not allow credit notes.")
        elif form.is_valid():
            try:
                amount = money.parse_major(form.cleaned_data["amount"], invoice.currency)
                settled = {form.cleaned_data["settle"]: amount} if invoice.status == "paid" else {}
                note = credit_note_create(
                    account=request.account,
                    invoice_id=invoice.id,
                    draft=CreditNoteDraft(
                        amount=amount,
                        reason=form.cleaned_data["reason"],
                        memo=form.cleaned_data["memo"],
                        **settled,
                    ),
                    actor=dashboard_actor(request),
                )
            except money.MoneyError as error:
                messages.error(request, str(error))
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, f"Credit note {note.number} issued.")
        return redirect("admin:invoices_invoice_change", invoice.id)
