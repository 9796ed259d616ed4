"""``/v1/invoices``: create (one-off drafts), list, retrieve, update, lines, finalize, pay, send,
void; ``/v1/invoiceitems``; ``/v1/credit_notes``."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.catalog.selectors import price_list
from apps.core import clock, money
from apps.core.api.pagination import equal_filters, paginate
from apps.core.api.params import (
    get_currency,
    get_int,
    get_metadata,
    get_quantity,
    get_str,
    reject_unknown,
)
from apps.core.api.schema import list_object, object_schema
from apps.core.api.views import ApiView
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.customers.selectors import customer_get
from apps.invoices.credit_notes import credit_note_create, credit_note_render
from apps.invoices.invoice_items import (
    invoice_item_create,
    invoice_item_delete,
    invoice_item_update,
)
from apps.invoices.models import CreditNote, Invoice, InvoiceItem, InvoiceLine
from apps.invoices.one_off import invoice_create, invoice_update
from apps.invoices.selectors import subscription_of_account
from apps.invoices.sending import invoice_send
from apps.invoices.services import (
    invoice_delete_draft,
    invoice_finalize,
    invoice_item_render,
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


# What a draft takes on update; create also takes its customer, subscription, currency and
# pending_invoice_items_behavior.
UPDATE_PARAMS = {
    "auto_advance",
    "automatically_finalizes_at",
    "collection_method",
    "days_until_due",
    "default_payment_method",
    "description",
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


def line_render(line: InvoiceLine, discount_id: str | None = None) -> dict:
    return {
        "id": line.id,
        "object": "line_item",
        "amount": line.amount,
        "currency": line.currency,
        "description": line.description or None,
        "discount_amounts": (
            [{"amount": line.discount_amount, "discount": discount_id}]
            if line.discount_amount
            else []
        ),
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

    @extend_schema(
        operation_id="PostInvoices",
        summary="Create a draft invoice for a customer (one-off)",
        request=PARAMS,
        responses={200: InvoiceSchema},
    )
    def post(self, request):
        reject_unknown(self.params, CREATE_PARAMS)
        _no_default_payment_method(self.params)
        row = invoice_create(account=self.account, params=self.params, actor=self.actor)
        return self.respond(invoice_render(row))


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
            account=self.account, invoice_id=row.id, params=self.params, actor=self.actor
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
                row.lines.all(),
                self.params,
                url=f"/v1/invoices/{row.id}/lines",
                render=lambda line: line_render(line, row.discount_id),
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


class InvoiceSendApi(_InvoiceApi):
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
        summary="Add an invoice item: pending for the next invoice, or on a draft",
        request=PARAMS,
        responses={200: ItemSchema},
    )
    def post(self, request):
        reject_unknown(
            self.params,
            {
                "customer",
                "invoice",
                "subscription",
                "currency",
                "description",
                "metadata",
                *PRICING_PARAMS,
            },
        )
        customer = None
        customer_id = get_str(self.params, "customer", max_length=64)
        if customer_id:
            customer = customer_get(account=self.account, customer_id=customer_id)
            if customer is None:
                raise ResourceMissingError("customer", customer_id, param="customer")
        subscription = None
        subscription_id = get_str(self.params, "subscription", max_length=64)
        if subscription_id:
            subscription = subscription_of_account(
                account=self.account, subscription_id=subscription_id
            )
            if subscription is None or (customer and subscription.customer_id != customer.id):
                raise ResourceMissingError("subscription", subscription_id, param="subscription")
        item = invoice_item_create(
            account=self.account,
            customer=customer,
            invoice_id=get_str(self.params, "invoice", max_length=64),
            currency=get_currency(self.params, "currency"),
            description=get_str(self.params, "description", max_length=500) or "",
            subscription=subscription,
            metadata=get_metadata(self.params),
            actor=self.actor,
            **_pricing(self, quantity_default=1),
        )
        return self.respond(invoice_item_render(item))


PRICING_PARAMS = {"amount", "unit_amount_decimal", "price", "pricing", "quantity"}


def _pricing(view: ApiView, *, quantity_default: int | None) -> dict:
    """An item's amount, unit amount, one-time price (``price`` or ``pricing[price]``) and
    quantity, as given; the services decide what goes with what. Amounts may be negative (a
    credit) and are bounded in the item's currency when it is given."""
    params = view.params
    largest = money.amount_max(get_currency(params, "currency"))
    pricing = params.get("pricing") or {}
    if not isinstance(pricing, dict):
        raise InvalidRequestError("Invalid hash: pricing", param="pricing")
    price = None
    price_id = get_str(pricing, "price", max_length=64) or get_str(params, "price", max_length=64)
    if price_id:
        price = (
            price_list(account=view.account).select_related("product").filter(id=price_id).first()
        )
        if price is None:
            raise ResourceMissingError("price", price_id, param="price")
    unit_amount = None
    if params.get("unit_amount_decimal") not in (None, ""):
        try:
            unit_amount = money.to_decimal(params["unit_amount_decimal"])
        except money.MoneyError as exc:
            raise InvalidRequestError(
                "Invalid decimal: unit_amount_decimal", param="unit_amount_decimal"
            ) from exc
        if abs(unit_amount) > largest:
            raise InvalidRequestError(
                f"Invalid unit_amount_decimal: must be at most {largest}",
                param="unit_amount_decimal",
            )
    return {
        "amount": get_int(params, "amount", minimum=-largest, maximum=largest),
        "unit_amount": unit_amount,
        "price": price,
        "quantity": get_quantity(params, "quantity", default=quantity_default),
    }


class InvoiceItemDetailApi(_InvoiceApi):
    def _item(self, item_id: str) -> InvoiceItem:
        item = InvoiceItem.objects.filter(account=self.account, id=item_id).first()
        if item is None:
            raise ResourceMissingError("invoiceitem", item_id)
        return item

    @extend_schema(
        operation_id="GetInvoiceitemsInvoiceitem",
        summary="Retrieve an invoice item",
        responses={200: ItemSchema},
    )
    def get(self, request, invoiceitem: str):
        reject_unknown(self.params, set())
        return self.respond(invoice_item_render(self._item(invoiceitem)))

    @extend_schema(
        operation_id="PostInvoiceitemsInvoiceitem",
        summary="Update an invoice item that is pending or on a draft",
        request=PARAMS,
        responses={200: ItemSchema},
    )
    def post(self, request, invoiceitem: str):
        item = self._item(invoiceitem)
        reject_unknown(self.params, {"description", "metadata", *PRICING_PARAMS})
        description = None
        if "description" in self.params:
            description = get_str(self.params, "description", max_length=500) or ""
        item = invoice_item_update(
            account=self.account,
            item_id=item.id,
            actor=self.actor,
            description=description,
            metadata=get_metadata(self.params),
            **_pricing(self, quantity_default=None),
        )
        return self.respond(invoice_item_render(item))

    @extend_schema(
        operation_id="DeleteInvoiceitemsInvoiceitem",
        summary="Delete an invoice item that is pending or on a draft",
        responses={200: DELETED},
    )
    def delete(self, request, invoiceitem: str):
        item = self._item(invoiceitem)
        reject_unknown(self.params, set())
        invoice_item_delete(account=self.account, item_id=item.id, actor=self.actor)
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
