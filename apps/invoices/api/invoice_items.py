"""``/v1/invoiceitems``: create, list, retrieve, update, delete."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from apps.catalog.selectors import price_list
from apps.core import money
from apps.core.api.pagination import equal_filters, paginate
from apps.core.api.params import (
    get_currency,
    get_ids,
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
from apps.invoices.api.views import DELETED, PARAMS, InvoiceResourceApi
from apps.invoices.invoice_items import (
    invoice_item_create,
    invoice_item_delete,
    invoice_item_update,
)
from apps.invoices.models import InvoiceItem
from apps.invoices.selectors import subscription_of_account
from apps.invoices.services import (
    invoice_item_render,
)

ItemSchema = object_schema(
    "InvoiceItem",
    "invoiceitem",
    amount=serializers.IntegerField(),
    currency=serializers.CharField(),
)


class InvoiceItemListApi(InvoiceResourceApi):
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
                "tax_rates",
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
            tax_rates=get_ids(self.params, "tax_rates") or [],
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


class InvoiceItemDetailApi(InvoiceResourceApi):
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
        reject_unknown(self.params, {"description", "metadata", "tax_rates", *PRICING_PARAMS})
        description = None
        if "description" in self.params:
            description = get_str(self.params, "description", max_length=500) or ""
        item = invoice_item_update(
            account=self.account,
            item_id=item.id,
            actor=self.actor,
            description=description,
            metadata=get_metadata(self.params),
            tax_rates=get_ids(self.params, "tax_rates"),
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
