"""``/v1/invoices``: create (one-off drafts), list, retrieve, update, lines, finalize, pay, send,
void (``/v1/invoiceitems`` and ``/v1/credit_notes`` are in their own modules)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.catalog.selectors import plans_of
from apps.core.api.pagination import equal_filters, paginate
from apps.core.api.params import (
    reject_unknown,
)
from apps.core.api.schema import list_object, object_schema
from apps.core.api.views import ApiView
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.invoices.api.params import invoice_changes_parse, invoice_draft_parse
from apps.invoices.lines_render import line_render
from apps.invoices.models import Invoice
from apps.invoices.one_off import invoice_create, invoice_update
from apps.invoices.sending import invoice_send
from apps.invoices.services import (
    invoice_delete_draft,
    invoice_finalize,
    invoice_mark_uncollectible,
    invoice_pay,
    invoice_render,
    invoice_void,
)

InvoiceSchema = object_schema(
    "Invoice",
    "invoice",
    status=serializers.CharField(),
    total=serializers.IntegerField(),
    amount_due=serializers.IntegerField(),
)
LineSchema = object_schema(
    "InvoiceLineItem",
    "line_item",
    amount=serializers.IntegerField(),
    period=serializers.DictField(),
)
DELETED = inline_serializer(
    name="DeletedInvoiceObject",
    fields={
        "id": serializers.CharField(),
        "object": serializers.CharField(),
        "deleted": serializers.BooleanField(),
    },
)
PARAMS = inline_serializer(
    name="InvoiceParams", fields={"metadata": serializers.DictField(required=False)}
)


# What a draft takes on update; create also takes its customer, subscription, currency and
# pending_invoice_items_behavior.
UPDATE_PARAMS = {
    "auto_advance",
    "automatically_finalizes_at",
    "collection_method",
    "days_until_due",
    "default_payment_method",
    "description",
    "default_tax_rates",
    "discounts",
    "due_date",
    "footer",
    "metadata",
}
CREATE_PARAMS = UPDATE_PARAMS | {
    "currency",
    "customer",
    "pending_invoice_items_behavior",
    "subscription",
}


def _no_default_payment_method(params: dict) -> None:
    # An invoice has no column for its own payment method yet; taking the parameter and
    # charging another method would be worse than saying so.
    if "default_payment_method" in params:
        raise InvalidRequestError(
            "default_payment_method is not supported on invoices yet: the subscription's or "
            "the customer's default payment method is charged.",
            param="default_payment_method",
        )


class InvoiceResourceApi(ApiView):
    resource = "invoices"

    def _invoice(self, invoice_id: str) -> Invoice:
        invoice = Invoice.objects.filter(account=self.account, id=invoice_id).first()
        if invoice is None:
            raise ResourceMissingError("invoice", invoice_id)
        return invoice


class InvoiceListApi(InvoiceResourceApi):
    @extend_schema(
        operation_id="GetInvoices",
        summary="List invoices",
        responses={200: list_object("InvoiceList", InvoiceSchema)},
    )
    def get(self, request):
        reject_unknown(
            self.params,
            {"limit", "starting_after", "ending_before", "customer", "subscription", "status"},
        )
        rows = equal_filters(
            Invoice.objects.filter(account=self.account),
            self.params,
            {"customer": "customer_id", "subscription": "subscription_id", "status": "status"},
        )
        return self.respond(paginate(rows, self.params, url="/v1/invoices", render=invoice_render))

    @extend_schema(
        operation_id="PostInvoices",
        summary="Create a draft invoice for a customer (one-off)",
        request=PARAMS,
        responses={200: InvoiceSchema},
    )
    def post(self, request):
        reject_unknown(self.params, CREATE_PARAMS)
        _no_default_payment_method(self.params)
        row = invoice_create(
            account=self.account, draft=invoice_draft_parse(self.params), actor=self.actor
        )
        return self.respond(invoice_render(row))


class InvoiceDetailApi(InvoiceResourceApi):
    @extend_schema(
        operation_id="GetInvoicesInvoice",
        summary="Retrieve an invoice",
        responses={200: InvoiceSchema},
    )
    def get(self, request, invoice: str):
        reject_unknown(self.params, set())
        return self.respond(invoice_render(self._invoice(invoice)))

    @extend_schema(
        operation_id="PostInvoicesInvoice",
        summary="Update an invoice (a draft fully; a finalized one's description, footer, "
        "metadata, and auto_advance while open)",
        request=PARAMS,
        responses={200: InvoiceSchema},
    )
    def post(self, request, invoice: str):
        row = self._invoice(invoice)
        reject_unknown(self.params, UPDATE_PARAMS)
        _no_default_payment_method(self.params)
        row = invoice_update(
            account=self.account,
            invoice_id=row.id,
            changes=invoice_changes_parse(self.params),
            actor=self.actor,
        )
        return self.respond(invoice_render(row))

    @extend_schema(
        operation_id="DeleteInvoicesInvoice",
        summary="Delete a draft invoice",
        responses={200: DELETED},
    )
    def delete(self, request, invoice: str):
        reject_unknown(self.params, set())
        invoice_delete_draft(
            account=self.account, invoice_id=self._invoice(invoice).id, actor=self.actor
        )
        return self.respond({"id": invoice, "object": "invoice", "deleted": True})


class InvoiceLinesApi(InvoiceResourceApi):
    @extend_schema(
        operation_id="GetInvoicesInvoiceLines",
        summary="An invoice's lines",
        responses={200: list_object("InvoiceLineList", LineSchema)},
    )
    def get(self, request, invoice: str):
        reject_unknown(self.params, {"limit", "starting_after", "ending_before"})
        row = self._invoice(invoice)
        # The invoice's few prices, read once for every line of the page.
        prices = row.lines.order_by().values_list("price_id", flat=True).distinct()
        plans = plans_of(account=self.account, price_ids=prices)
        return self.respond(
            paginate(
                row.lines.all(),
                self.params,
                url=f"/v1/invoices/{row.id}/lines",
                render=lambda line: line_render(line, invoice=row, plans=plans),
            )
        )


class InvoiceFinalizeApi(InvoiceResourceApi):
    @extend_schema(
        operation_id="PostInvoicesInvoiceFinalize",
        summary="Finalize a draft invoice",
        request=PARAMS,
        responses={200: InvoiceSchema},
    )
    def post(self, request, invoice: str):
        reject_unknown(self.params, {"auto_advance"})
        row = invoice_finalize(
            invoice_id=self._invoice(invoice).id, account=self.account, actor=self.actor
        )
        return self.respond(invoice_render(row))


class InvoiceSendApi(InvoiceResourceApi):
    @extend_schema(
        operation_id="PostInvoicesInvoiceSend",
        summary="Email a finalized send_invoice invoice to its customer",
        request=PARAMS,
        responses={200: InvoiceSchema},
    )
    def post(self, request, invoice: str):
        row = self._invoice(invoice)
        reject_unknown(self.params, set())
        row = invoice_send(account=self.account, invoice_id=row.id, actor=self.actor)
        return self.respond(invoice_render(row))


class InvoicePayApi(InvoiceResourceApi):
    @extend_schema(
        operation_id="PostInvoicesInvoicePay",
        summary="Pay an open invoice now",
        request=PARAMS,
        responses={200: InvoiceSchema},
    )
    def post(self, request, invoice: str):
        reject_unknown(self.params, set())
        row = invoice_pay(
            invoice_id=self._invoice(invoice).id, account=self.account, actor=self.actor
        )
        return self.respond(invoice_render(row))


class InvoiceVoidApi(InvoiceResourceApi):
    @extend_schema(
        operation_id="PostInvoicesInvoiceVoid",
        summary="Void an open invoice",
        request=PARAMS,
        responses={200: InvoiceSchema},
    )
    def post(self, request, invoice: str):
        reject_unknown(self.params, set())
        row = invoice_void(
            account=self.account, invoice_id=self._invoice(invoice).id, actor=self.actor
        )
        return self.respond(invoice_render(row))


class InvoiceMarkUncollectibleApi(InvoiceResourceApi):
    @extend_schema(
        operation_id="PostInvoicesInvoiceMarkUncollectible",
        summary="Mark an open invoice uncollectible",
        request=PARAMS,
        responses={200: InvoiceSchema},
    )
    def post(self, request, invoice: str):
        reject_unknown(self.params, set())
        row = invoice_mark_uncollectible(
            account=self.account, invoice_id=self._invoice(invoice).id, actor=self.actor
        )
        return self.respond(invoice_render(row))
