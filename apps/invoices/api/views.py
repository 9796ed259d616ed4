"""``/v1/invoices``: list, retrieve, lines, finalize, pay."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.catalog.selectors import price_list
from apps.core import clock
from apps.core.api.pagination import equal_filters, paginate
from apps.core.api.params import get_int, get_metadata, get_str, reject_unknown
from apps.core.api.schema import list_object, object_schema
from apps.core.api.views import ApiView
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.customers.selectors import customer_get
from apps.invoices.credit_notes import credit_note_create, credit_note_render
from apps.invoices.models import CreditNote, Invoice, InvoiceItem, InvoiceLine
from apps.invoices.preview import ItemChange, invoice_preview
from apps.invoices.services import (
    invoice_delete_draft,
    invoice_finalize,
    invoice_item_create,
    invoice_item_delete,
    invoice_item_render,
    invoice_mark_uncollectible,
    invoice_pay,
    invoice_render,
    invoice_void,
)
from apps.subscriptions.models import Subscription

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
ItemSchema = object_schema(
    "InvoiceItem",
    "invoiceitem",
    amount=serializers.IntegerField(),
    currency=serializers.CharField(),
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


def _preview_changes(view: ApiView, raw) -> list:

    if raw in (None, ""):
        return []
    if isinstance(raw, dict):
        raw = [raw[k] for k in sorted(raw, key=int)]
    if not isinstance(raw, list):
        raise InvalidRequestError("Invalid array: items", param="subscription_details[items]")
    changes = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            continue
        price = None
        price_id = get_str(item, "price", max_length=64)
        if price_id:
            price = (
                price_list(account=view.account)
                .select_related("product")
                .filter(id=price_id)
                .first()
            )
            if price is None:
                raise ResourceMissingError("price", price_id, param=f"items[{index}][price]")
        changes.append(
            ItemChange(
                item_id=get_str(item, "id", max_length=64),
                price=price,
                quantity=get_int(item, "quantity", minimum=1),
            )
        )
    return changes


class _PreviewApi(_InvoiceApi):
    def _preview(self, *, subscription_id, items, proration_date, behavior):

        subscription = (
            Subscription.objects.select_related("customer", "account")
            .filter(account=self.account, id=subscription_id or "")
            .first()
        )
        if subscription is None:
            raise ResourceMissingError("subscription", subscription_id or "", param="subscription")
        changes = _preview_changes(self, items)
        for change in changes:
            if change.item_id is None and change.price is None:
                raise InvalidRequestError("A new item needs a price.", param="items")
        moment = clock.from_epoch(proration_date) if proration_date else None
        if moment is not None and not (
            subscription.current_period_start <= moment <= subscription.current_period_end
        ):
            raise InvalidRequestError(
                "The proration date must lie within the current period.",
                param="subscription_proration_date",
            )
        return invoice_preview(
            subscription=subscription,
            changes=changes,
            proration_date=moment,
            proration_behavior=behavior or "create_prorations",
        )


class InvoiceCreatePreviewApi(_PreviewApi):
    @extend_schema(
        operation_id="PostInvoicesCreatePreview",
        summary="Preview the next invoice of a subscription with changes (writes nothing)",
        request=PARAMS,
        responses={200: InvoiceSchema},
    )
    def post(self, request):

        reject_unknown(self.params, {"customer", "subscription", "subscription_details"})
        details = self.params.get("subscription_details") or {}
        if not isinstance(details, dict):
            raise InvalidRequestError(
                "Invalid hash: subscription_details", param="subscription_details"
            )
        return self.respond(
            self._preview(
                subscription_id=get_str(self.params, "subscription", required=True, max_length=64),
                items=details.get("items"),
                proration_date=get_int(details, "proration_date", minimum=1),
                behavior=get_str(
                    details,
                    "proration_behavior",
                    choices=["create_prorations", "always_invoice", "none"],
                ),
            )
        )


class InvoiceUpcomingApi(_PreviewApi):
    """The legacy ``GET /v1/invoices/upcoming`` (and ``/lines``): the same preview."""

    lines_only = False

    @extend_schema(
        operation_id="GetInvoicesUpcoming",
        summary="Preview the next invoice (legacy)",
        responses={200: InvoiceSchema},
    )
    def get(self, request):

        reject_unknown(
            self.params,
            {
                "customer",
                "subscription",
                "subscription_items",
                "subscription_proration_date",
                "subscription_proration_behavior",
                "limit",
            },
        )
        preview = self._preview(
            subscription_id=get_str(self.params, "subscription", required=True, max_length=64),
            items=self.params.get("subscription_items"),
            proration_date=get_int(self.params, "subscription_proration_date", minimum=1),
            behavior=get_str(
                self.params,
                "subscription_proration_behavior",
                choices=["create_prorations", "always_invoice", "none"],
            ),
        )
        return self.respond(preview["lines"] if self.lines_only else preview)


class InvoiceUpcomingLinesApi(InvoiceUpcomingApi):
    lines_only = True

    @extend_schema(
        operation_id="GetInvoicesUpcomingLines",
        summary="Lines of the previewed next invoice (legacy)",
        responses={200: list_object("UpcomingLineList", LineSchema)},
    )
    def get(self, request):
        return super().get(request)


class InvoiceVoidApi(_InvoiceApi):
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


class InvoiceMarkUncollectibleApi(_InvoiceApi):
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


class InvoiceItemListApi(_InvoiceApi):
    @extend_schema(
        operation_id="GetInvoiceitems",
        summary="List invoice items",
        responses={200: list_object("InvoiceItemList", ItemSchema)},
    )
    def get(self, request):
        reject_unknown(
            self.params,
            {"limit", "starting_after", "ending_before", "customer", "pending", "invoice"},
        )
        rows = equal_filters(
            InvoiceItem.objects.filter(account=self.account),
            self.params,
            {"customer": "customer_id", "invoice": "invoice_id"},
        )
        if get_str(self.params, "pending") == "true":
            rows = rows.filter(invoice__isnull=True)
        return self.respond(
            paginate(rows, self.params, url="/v1/invoiceitems", render=invoice_item_render)
        )

    @extend_schema(
        operation_id="PostInvoiceitems",
        summary="Add a pending invoice item",
        request=PARAMS,
        responses={200: ItemSchema},
    )
    def post(self, request):
        reject_unknown(
            self.params,
            {"customer", "amount", "currency", "description", "subscription", "metadata"},
        )
        customer_id = get_str(self.params, "customer", required=True, max_length=64)
        customer = customer_get(account=self.account, customer_id=customer_id)
        if customer is None:
            raise ResourceMissingError("customer", customer_id, param="customer")
        subscription = None
        subscription_id = get_str(self.params, "subscription", max_length=64)
        if subscription_id:
            subscription = Subscription.objects.filter(
                account=self.account, id=subscription_id, customer=customer
            ).first()
            if subscription is None:
                raise ResourceMissingError("subscription", subscription_id, param="subscription")
        item = invoice_item_create(
            account=self.account,
            customer=customer,
            amount=get_int(self.params, "amount", required=True),
            currency=get_str(self.params, "currency", required=True, max_length=3),
            description=get_str(self.params, "description", max_length=500) or "",
            subscription=subscription,
            metadata=get_metadata(self.params),
            actor=self.actor,
        )
        return self.respond(invoice_item_render(item))


class InvoiceItemDetailApi(_InvoiceApi):
    @extend_schema(
        operation_id="GetInvoiceitemsInvoiceitem",
        summary="Retrieve an invoice item",
        responses={200: ItemSchema},
    )
    def get(self, request, invoiceitem: str):
        reject_unknown(self.params, set())
        item = InvoiceItem.objects.filter(account=self.account, id=invoiceitem).first()
        if item is None:
            raise ResourceMissingError("invoiceitem", invoiceitem)
        return self.respond(invoice_item_render(item))

    @extend_schema(
        operation_id="DeleteInvoiceitemsInvoiceitem",
        summary="Delete a pending invoice item",
        responses={200: DELETED},
    )
    def delete(self, request, invoiceitem: str):
        reject_unknown(self.params, set())
        if not InvoiceItem.objects.filter(account=self.account, id=invoiceitem).exists():
            raise ResourceMissingError("invoiceitem", invoiceitem)
        invoice_item_delete(account=self.account, item_id=invoiceitem, actor=self.actor)
        return self.respond({"id": invoiceitem, "object": "invoiceitem", "deleted": True})


CreditNoteSchema = object_schema(
    "CreditNote", "credit_note", amount=serializers.IntegerField(), invoice=serializers.CharField()
)


class CreditNoteListApi(_InvoiceApi):
    @extend_schema(
        operation_id="GetCreditNotes",
        summary="List credit notes",
        responses={200: list_object("CreditNoteList", CreditNoteSchema)},
    )
    def get(self, request):
        reject_unknown(
            self.params, {"limit", "starting_after", "ending_before", "invoice", "customer"}
        )
        rows = equal_filters(
            CreditNote.objects.filter(account=self.account),
            self.params,
            {"invoice": "invoice_id", "customer": "customer_id"},
        )
        return self.respond(
            paginate(rows, self.params, url="/v1/credit_notes", render=credit_note_render)
        )

    @extend_schema(
        operation_id="PostCreditNotes",
        summary="Issue a credit note (lines or amount; refund, balance credit or out of band)",
        request=PARAMS,
        responses={200: CreditNoteSchema},
    )
    def post(self, request):
        reject_unknown(
            self.params,
            {
                "invoice",
                "lines",
                "amount",
                "reason",
                "memo",
                "refund_amount",
                "credit_amount",
                "out_of_band_amount",
            },
        )
        note = credit_note_create(
            account=self.account,
            invoice_id=get_str(self.params, "invoice", required=True, max_length=64),
            params=self.params,
            actor=self.actor,
        )
        return self.respond(credit_note_render(note))


class CreditNoteDetailApi(_InvoiceApi):
    @extend_schema(
        operation_id="GetCreditNotesId",
        summary="Retrieve a credit note",
        responses={200: CreditNoteSchema},
    )
    def get(self, request, id: str):
        reject_unknown(self.params, set())
        note = CreditNote.objects.filter(account=self.account, id=id).first()
        if note is None:
            raise ResourceMissingError("credit_note", id)
        return self.respond(credit_note_render(note))
