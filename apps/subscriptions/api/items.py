"""``/v1/subscription_items``: list a subscription's items, add, retrieve, update, delete."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.catalog.selectors import price_list, tax_rates_applicable
from apps.core import clock
from apps.core.api.pagination import paginate
from apps.core.api.params import (
    get_amount,
    get_bool,
    get_ids,
    get_quantity,
    get_str,
    get_timestamp,
    reject_unknown,
)
from apps.core.api.schema import list_object, object_schema
from apps.core.api.views import ApiView
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.subscriptions.api.params import price_or_plan
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.services import (
    ItemRequest,
    subscription_item_add,
    subscription_item_delete,
    subscription_item_render,
    subscription_item_update,
)
from apps.subscriptions.services.billing import billing_settings

ItemSchema = object_schema(
    "SubscriptionItem",
    "subscription_item",
    price=serializers.DictField(help_text="The whole price object."),
    plan=serializers.DictField(help_text="The price in the shape of a plan, under its id."),
    quantity=serializers.IntegerField(),
    subscription=serializers.CharField(),
)
PARAMS = inline_serializer(
    name="SubscriptionItemParams", fields={"price": serializers.CharField(required=False)}
)
DELETED = inline_serializer(
    name="DeletedSubscriptionItem",
    fields={
        "id": serializers.CharField(),
        "object": serializers.CharField(),
        "deleted": serializers.BooleanField(),
    },
)
BEHAVIORS = ["create_prorations", "always_invoice", "none"]


class _ItemsApi(ApiView):
    resource = "subscriptions"

    def _price(self, *, required: bool):
        """The ``price`` (or ``plan``) given, active; None when neither is and none is needed."""
        name, price_id = price_or_plan(self.params, required=required)
        if not price_id:
            return None
        price = (
            price_list(account=self.account)
            .select_related("product")
            .filter(id=price_id, active=True)
            .first()
        )
        if price is None:
            raise ResourceMissingError(name, price_id, param=name)
        return price

    def _behavior(self) -> str:
        return get_str(self.params, "proration_behavior", choices=BEHAVIORS) or (
            billing_settings(self.account).default_proration_behavior
        )

    def _item(self, item_id: str) -> SubscriptionItem:
        item = (
            SubscriptionItem.objects.select_related("subscription", "price__account")
            .filter(account=self.account, id=item_id, deleted_at__isnull=True)
            .first()
        )
        if item is None:
            raise ResourceMissingError("subscription_item", item_id)
        return item


class SubscriptionItemListApi(_ItemsApi):
    @extend_schema(
        operation_id="GetSubscriptionItems",
        summary="List a subscription's items",
        responses={200: list_object("SubscriptionItemList", ItemSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, {"subscription", "limit", "starting_after", "ending_before"})
        subscription_id = get_str(self.params, "subscription", required=True, max_length=64)
        rows = SubscriptionItem.objects.filter(
            account=self.account, subscription_id=subscription_id, deleted_at__isnull=True
        ).select_related("subscription", "price__account")
        return self.respond(
            paginate(
                rows, self.params, url="/v1/subscription_items", render=subscription_item_render
            )
        )

    @extend_schema(
        operation_id="PostSubscriptionItems",
        summary="Add an item to a subscription",
        request=PARAMS,
        responses={200: ItemSchema},
    )
    def post(self, request):
        reject_unknown(
            self.params,
            {
                "subscription",
                "price",
                "plan",
                "quantity",
                "trial_end",
                "proration_behavior",
                "proration_date",
                "custom_unit_amount",
                "tax_rates",
            },
        )
        subscription_id = get_str(self.params, "subscription", required=True, max_length=64)
        subscription = Subscription.objects.filter(account=self.account, id=subscription_id).first()
        if subscription is None:
            raise ResourceMissingError("subscription", subscription_id, param="subscription")
        trial_end = get_timestamp(self.params, "trial_end")
        at = get_timestamp(self.params, "proration_date")
        if trial_end and trial_end <= clock.now(test_clock_id=subscription.customer.test_clock_id):
            raise InvalidRequestError("trial_end must be in the future.", param="trial_end")
        price = self._price(required=True)
        item = subscription_item_add(
            account=self.account,
            subscription_id=subscription.id,
            request=ItemRequest(
                price=price,
                quantity=get_quantity(self.params, "quantity", default=1),
                trial_end=trial_end,
                custom_unit_amount=get_amount(
                    self.params, "custom_unit_amount", currency=price.currency
                ),
                tax_rates=tuple(
                    tax_rates_applicable(
                        account=self.account,
                        ids=get_ids(self.params, "tax_rates") or [],
                        param="tax_rates",
                    )
                ),
            ),
            proration_behavior=self._behavior(),
            proration_date=at,
            actor=self.actor,
        )
        return self.respond(subscription_item_render(item))


class SubscriptionItemDetailApi(_ItemsApi):
    @extend_schema(
        operation_id="GetSubscriptionItemsItem",
        summary="Retrieve a subscription item",
        responses={200: ItemSchema},
    )
    def get(self, request, item: str):
        reject_unknown(self.params, set())
        return self.respond(subscription_item_render(self._item(item)))

    @extend_schema(
        operation_id="PostSubscriptionItemsItem",
        summary="Change an item's price or quantity (prorations per proration_behavior)",
        request=PARAMS,
        responses={200: ItemSchema},
    )
    def post(self, request, item: str):
        reject_unknown(
            self.params,
            {
                "price",
                "plan",
                "quantity",
                "proration_behavior",
                "proration_date",
                "custom_unit_amount",
                "tax_rates",
            },
        )
        row = self._item(item)
        price = self._price(required=False)
        updated = subscription_item_update(
            account=self.account,
            item_id=row.id,
            price=price,
            quantity=get_quantity(self.params, "quantity"),
            custom_unit_amount=get_amount(
                self.params, "custom_unit_amount", currency=(price or row.price).currency
            ),
            proration_behavior=self._behavior(),
            proration_date=get_timestamp(self.params, "proration_date"),
            tax_rates=get_ids(self.params, "tax_rates"),
            actor=self.actor,
        )
        return self.respond(subscription_item_render(updated))

    @extend_schema(
        operation_id="DeleteSubscriptionItemsItem",
        summary="Remove an item from its subscription",
        responses={200: DELETED},
    )
    def delete(self, request, item: str):
        reject_unknown(self.params, {"proration_behavior", "proration_date", "clear_usage"})
        row = self._item(item)
        at = get_timestamp(self.params, "proration_date")
        subscription_item_delete(
            account=self.account,
            item_id=row.id,
            proration_behavior=self._behavior(),
            proration_date=at,
            clear_usage=bool(get_bool(self.params, "clear_usage")),
            actor=self.actor,
        )
        return self.respond({"id": item, "object": "subscription_item", "deleted": True})
