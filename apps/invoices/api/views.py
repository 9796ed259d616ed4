"""``/v1/invoices``: list, retrieve, lines, finalize, pay."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.core import clock
from apps.core.api.pagination import equal_filters, paginate
from apps.core.api.params import reject_unknown
from apps.core.api.schema import list_object, object_schema
from apps.core.api.views import ApiView
from apps.core.errors import ResourceMissingError
from apps.invoices.models import Invoice, InvoiceLine
from apps.invoices.services import invoice_finalize, invoice_pay, invoice_render

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
PARAMS = inline_serializer(
    name="InvoiceParams", fields={"metadata": serializers.DictField(required=False)}
)


def line_render(line: InvoiceLine) -> dict:
    return {
        "id": line.id,
        "object": "line_item",
        "amount": line.amount,
        "currency": line.currency,
        "description": line.description or None,
        "invoice": line.invoice_id,
        "parent": {
            "type": "subscription_item_details"
            if line.subscription_item_id
            else "invoice_item_details",
            "subscription_item_details": (
                {"subscription_item": line.subscription_item_id, "proration": line.proration}
                if line.subscription_item_id
                else None
            ),
        },
        "period": {
            "start": clock.to_epoch(line.period_start),
            "end": clock.to_epoch(line.period_end),
        },
        "pricing": {"price_details": {"price": line.price_id}, "type": "price_details"},
        "proration": line.proration,
        "quantity": line.quantity,
    }


class _InvoiceApi(ApiView):
    resource = "invoices"

    def _invoice(self, invoice_id: str) -> Invoice:
        invoice = Invoice.objects.filter(account=self.account, id=invoice_id).first()
        if invoice is None:
            raise ResourceMissingError("invoice", invoice_id)
        return invoice


class InvoiceListApi(_InvoiceApi):
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


class InvoiceDetailApi(_InvoiceApi):
    @extend_schema(
        operation_id="GetInvoicesInvoice",
        summary="Retrieve an invoice",
        responses={200: InvoiceSchema},
    )
    def get(self, request, invoice: str):
        reject_unknown(self.params, set())
        return self.respond(invoice_render(self._invoice(invoice)))


class InvoiceLinesApi(_InvoiceApi):
    @extend_schema(
        operation_id="GetInvoicesInvoiceLines",
        summary="An invoice's lines",
        responses={200: list_object("InvoiceLineList", LineSchema)},
    )
    def get(self, request, invoice: str):
        reject_unknown(self.params, {"limit", "starting_after", "ending_before"})
        row = self._invoice(invoice)
        return self.respond(
            paginate(
                row.lines.all(), self.params, url=f"/v1/invoices/{row.id}/lines", render=line_render
            )
        )


class InvoiceFinalizeApi(_InvoiceApi):
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


class InvoicePayApi(_InvoiceApi):
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
