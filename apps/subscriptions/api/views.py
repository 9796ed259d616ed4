"""``/v1/subscriptions``: create (items with their own trials), retrieve, list, update, cancel."""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.catalog.selectors import price_list
from apps.core import clock, search
from apps.core.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, equal_filters, paginate
from apps.core.api.params import (
    get_amount,
    get_bool,
    get_int,
    get_metadata,
    get_quantity,
    get_str,
    get_timestamp,
    reject_unknown,
    within,
)
from apps.core.api.schema import list_object, object_schema, search_result
from apps.core.api.views import ApiView
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.customers.selectors import customer_get
from apps.invoices.discounts import discount_apply, discount_remove
from apps.subscriptions.changes import ItemChange
from apps.subscriptions.models import Subscription
from apps.subscriptions.planning import PRORATION_BEHAVIORS
from apps.subscriptions.selectors import SEARCH_FIELDS, subscription_search
from apps.subscriptions.services import (
    ItemRequest,
    subscription_cancel,
    subscription_create,
    subscription_items_change,
    subscription_render,
    subscription_update_settings,
)
from apps.subscriptions.services.billing import billing_settings
from apps.subscriptions.services.lifecycle import subscription_anchor_reset, subscription_resume
from apps.subscriptions.services.trials import subscription_trial_update, trial_settings_parse

DISCOUNTS = {"coupon", "promotion_code", "discounts"}


def discount_params(params) -> dict:
    """``coupon`` / ``promotion_code`` or the newer ``discounts[0][coupon|promotion_code]``."""
    coupon = get_str(params, "coupon", max_length=64)
    code = get_str(params, "promotion_code", max_length=500)
    discounts = params.get("discounts")
    if isinstance(discounts, dict):
        discounts = [discounts[k] for k in sorted(discounts, key=int)]
    if isinstance(discounts, list) and discounts:
        if len(discounts) > 1 or not isinstance(discounts[0], dict):
            raise InvalidRequestError("One discount per subscription.", param="discounts")
        coupon = get_str(discounts[0], "coupon", max_length=64) or coupon
        code = get_str(discounts[0], "promotion_code", max_length=500) or code
    return {"coupon_id": coupon, "promotion_code": code} if coupon or code else {}


SETTINGS = {
    "cancel_at",
    "trial_settings",
    "pause_collection",
    "cancel_at_period_end",
    "cancellation_details",
    "collection_method",
    "days_until_due",
    "default_payment_method",
    "metadata",
}

SubscriptionSchema = object_schema(
    "Subscription",
    "subscription",
    status=serializers.CharField(),
    customer=serializers.CharField(),
    items=serializers.DictField(),
)
PARAMS = inline_serializer(
    name="SubscriptionParams", fields={"metadata": serializers.DictField(required=False)}
)


def items_parse(raw: Any) -> list[tuple[dict, int]]:
    if isinstance(raw, dict):
        raw = [raw[k] for k in sorted(raw, key=int)]
    if not isinstance(raw, list):
        raise InvalidRequestError("Invalid array: items", param="items")
    return [(item, index) for index, item in enumerate(raw) if isinstance(item, dict)]


def item_request_parse(
    account, item: dict, index: int, *, now, prefix: str = "items"
) -> ItemRequest:
    """One ``items[N]`` of a new subscription: an active price, quantity, its own trial."""
    param = f"{prefix}[{index}]"
    price_id = get_str(item, "price", required=True, max_length=64)
    price = price_list(account=account).filter(id=price_id, active=True).first()
    if price is None:
        raise ResourceMissingError("price", price_id, param=f"{param}[price]")
    with within(param):
        trial_end = get_timestamp(item, "trial_end")
        days = get_int(item, "trial_period_days", minimum=1, maximum=730)
        quantity = get_quantity(item, "quantity", default=1)
        custom_unit_amount = get_amount(item, "custom_unit_amount", currency=price.currency)
    if trial_end and days:
        raise InvalidRequestError(
            "Pass trial_end or trial_period_days, not both.", param=f"{param}[trial_end]"
        )
    end = trial_end or (now + timedelta(days=days) if days else None)
    if end is not None and end <= now:
        raise InvalidRequestError("trial_end must be in the future.", param=f"{param}[trial_end]")
    return ItemRequest(
        price=price,
        quantity=quantity,
        trial_end=end,
        custom_unit_amount=custom_unit_amount,
    )


def item_changes_parse(account, raw: Any, *, now, prefix: str = "items") -> list[ItemChange]:
    """``items[N]`` of an update (or of its preview): an item's new price or quantity, its
    removal (``deleted``, ``clear_usage``), or a new item as on create."""
    changes = []
    for item, index in items_parse(raw):
        with within(f"{prefix}[{index}]"):
            deleted = bool(get_bool(item, "deleted"))
            clear_usage = bool(get_bool(item, "clear_usage"))
            item_id = get_str(item, "id", max_length=64)
            quantity = get_quantity(item, "quantity")
        if not item_id:
            request = item_request_parse(account, item, index, now=now, prefix=prefix)
            changes.append(
                ItemChange(
                    item_id=None,
                    price=request.price,
                    quantity=request.quantity,
                    deleted=deleted,
                    clear_usage=clear_usage,
                    trial_end=request.trial_end,
                    custom_unit_amount=request.custom_unit_amount,
                )
            )
            continue
        price = None
        price_id = get_str(item, "price", max_length=64)
        if price_id:
            price = (
                price_list(account=account).select_related("product").filter(id=price_id).first()
            )
            if price is None:
                raise ResourceMissingError("price", price_id, param=f"{prefix}[{index}][price]")
        changes.append(
            ItemChange(
                item_id=item_id,
                price=price,
                quantity=quantity,
                deleted=deleted,
                clear_usage=clear_usage,
            )
        )
    return changes


def trial_parse(params: dict, *, now, param: str = "trial_end") -> datetime | None:
    """A subscription's ``trial_end`` (an epoch or ``now``: no trial) or ``trial_period_days``."""
    raw = params.get("trial_end")
    days = get_int(params, "trial_period_days", minimum=1, maximum=730)
    if raw not in (None, "") and days:
        raise InvalidRequestError("Pass trial_end or trial_period_days, not both.", param=param)
    if days:
        return now + timedelta(days=days)
    if raw in (None, "", "now"):
        return None
    end = get_timestamp(params, "trial_end", required=True)
    if end <= now:
        raise InvalidRequestError("trial_end must be in the future.", param=param)
    return end


def anchor_parse(params: dict, name: str = "billing_cycle_anchor") -> datetime | None:
    return get_timestamp(params, name)


class SubscriptionListApi(ApiView):
    resource = "subscriptions"

    @extend_schema(
        operation_id="GetSubscriptions",
        summary="List subscriptions",
        responses={200: list_object("SubscriptionList", SubscriptionSchema)},
    )
    def get(self, request):
        reject_unknown(
            self.params, {"limit", "starting_after", "ending_before", "customer", "status"}
        )
        rows = equal_filters(
            Subscription.objects.filter(account=self.account),
            self.params,
            {"customer": "customer_id", "status": "status"},
        )
        return self.respond(
            paginate(rows, self.params, url="/v1/subscriptions", render=subscription_render)
        )

    @extend_schema(
        operation_id="PostSubscriptions",
        summary="Create a subscription",
        request=PARAMS,
        responses={200: SubscriptionSchema},
    )
    def post(self, request):
        reject_unknown(
            self.params,
            {
                "customer",
                "items",
                "collection_method",
                "days_until_due",
                "metadata",
                "payment_behavior",
                "trial_settings",
                "trial_end",
                "trial_period_days",
                "billing_cycle_anchor",
                "proration_behavior",
            }
            | DISCOUNTS,
        )
        customer_id = get_str(self.params, "customer", required=True, max_length=64)
        customer = customer_get(account=self.account, customer_id=customer_id)
        if customer is None:
            raise ResourceMissingError("customer", customer_id, param="customer")
        now = clock.now(test_clock_id=customer.test_clock_id)
        items = [
            item_request_parse(self.account, item, index, now=now)
            for item, index in items_parse(self.params.get("items"))
        ]
        subscription = subscription_create(
            account=self.account,
            customer=customer,
            items=items,
            collection_method=get_str(
                self.params, "collection_method", choices=["charge_automatically", "send_invoice"]
            )
            or "charge_automatically",
            days_until_due=get_int(self.params, "days_until_due", minimum=0, maximum=365),
            metadata=get_metadata(self.params),
            actor=self.actor,
            payment_behavior=get_str(
                self.params,
                "payment_behavior",
                choices=["allow_incomplete", "default_incomplete", "error_if_incomplete"],
            )
            or "allow_incomplete",
            trial_settings=trial_settings_parse(self.params.get("trial_settings")),
            trial_end=trial_parse(self.params, now=now),
            billing_cycle_anchor=anchor_parse(self.params),
            proration_behavior=get_str(
                self.params, "proration_behavior", choices=list(PRORATION_BEHAVIORS)
            )
            or "create_prorations",
            **discount_params(self.params),
        )
        return self.respond(subscription_render(subscription))


class SubscriptionDetailApi(ApiView):
    resource = "subscriptions"

    def _subscription(self, subscription_id: str) -> Subscription:
        row = Subscription.objects.filter(account=self.account, id=subscription_id).first()
        if row is None:
            raise ResourceMissingError("subscription", subscription_id)
        return row

    @extend_schema(
        operation_id="GetSubscriptionsSubscription",
        summary="Retrieve a subscription",
        responses={200: SubscriptionSchema},
    )
    def get(self, request, subscription: str):
        reject_unknown(self.params, set())
        return self.respond(subscription_render(self._subscription(subscription)))

    @extend_schema(
        operation_id="PostSubscriptionsSubscription",
        summary="Update a subscription's items (prorations per proration_behavior)",
        request=PARAMS,
        responses={200: SubscriptionSchema},
    )
    def post(self, request, subscription: str):
        reject_unknown(
            self.params,
            {"items", "proration_behavior", "proration_date", "trial_end", "billing_cycle_anchor"}
            | SETTINGS
            | DISCOUNTS,
        )
        row = self._subscription(subscription)
        behavior = (
            get_str(
                self.params,
                "proration_behavior",
                choices=["create_prorations", "always_invoice", "none"],
            )
            or billing_settings(self.account).default_proration_behavior
        )
        at = get_timestamp(self.params, "proration_date")
        now = clock.now(test_clock_id=row.customer.test_clock_id)
        with transaction.atomic():
            changes = item_changes_parse(self.account, self.params.get("items") or [], now=now)
            if changes:
                subscription_items_change(
                    account=self.account,
                    subscription_id=row.id,
                    changes=changes,
                    proration_behavior=behavior,
                    proration_date=at,
                    actor=self.actor,
                )
            discount = discount_params(self.params)
            if discount:
                discount_apply(
                    account=self.account,
                    customer=row.customer,
                    subscription=row,
                    actor=self.actor,
                    **discount,
                )
            anchor = get_str(self.params, "billing_cycle_anchor", choices=["now", "unchanged"])
            if anchor == "now":
                subscription_anchor_reset(
                    account=self.account,
                    subscription_id=row.id,
                    proration_behavior=behavior,
                    actor=self.actor,
                )
            if "trial_end" in self.params:
                raw = self.params["trial_end"]
                subscription_trial_update(
                    account=self.account,
                    subscription_id=row.id,
                    trial_end="now"
                    if raw == "now"
                    else get_timestamp(self.params, "trial_end", required=True),
                    proration_behavior=behavior,
                    actor=self.actor,
                )
            settings = {k: v for k, v in self.params.items() if k in SETTINGS}
            if "cancel_at" in settings:
                settings["proration_behavior"] = behavior
            if settings:
                subscription_update_settings(
                    account=self.account,
                    subscription_id=row.id,
                    params=settings,
                    actor=self.actor,
                )
        return self.respond(subscription_render(self._subscription(subscription)))

    @extend_schema(
        operation_id="DeleteSubscriptionsSubscription",
        summary="Cancel a subscription now",
        responses={200: SubscriptionSchema},
    )
    def delete(self, request, subscription: str):
        reject_unknown(self.params, {"cancellation_details", "invoice_now", "prorate"})
        details = self.params.get("cancellation_details") or {}
        row = subscription_cancel(
            account=self.account,
            subscription_id=self._subscription(subscription).id,
            details=details if isinstance(details, dict) else {},
            actor=self.actor,
        )
        return self.respond(subscription_render(row))


class SubscriptionDiscountApi(ApiView):
    resource = "subscriptions"

    @extend_schema(
        operation_id="DeleteSubscriptionsSubscriptionDiscount",
        summary="Remove a subscription's discount",
        responses={
            200: inline_serializer(
                name="DeletedDiscount",
                fields={"object": serializers.CharField(), "deleted": serializers.BooleanField()},
            )
        },
    )
    def delete(self, request, subscription: str):
        reject_unknown(self.params, set())
        row = Subscription.objects.filter(account=self.account, id=subscription).first()
        if row is None:
            raise ResourceMissingError("subscription", subscription)
        discount = row.discounts.filter(removed_at__isnull=True).order_by("-id").first()
        if discount is None:
            raise ResourceMissingError("discount", subscription, param="subscription")
        discount_remove(account=self.account, discount=discount, actor=self.actor)
        return self.respond({"id": discount.id, "object": "discount", "deleted": True})


class SubscriptionSearchApi(ApiView):
    resource = "subscriptions"

    @extend_schema(
        operation_id="GetSubscriptionsSearch",
        summary="Search subscriptions (created, status, metadata)",
        responses={200: search_result("SubscriptionSearchResult", SubscriptionSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, {"query", "limit", "page"})
        query = search.parse(
            get_str(self.params, "query", required=True, max_length=2000), SEARCH_FIELDS
        )
        return self.respond(
            search.search_page(
                subscription_search(account=self.account, query=query),
                limit=get_int(
                    self.params, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT
                ),
                page=get_str(self.params, "page", max_length=200),
                prefix="sub",
                url="/v1/subscriptions/search",
                render=subscription_render,
            )
        )


class SubscriptionResumeApi(ApiView):
    resource = "subscriptions"

    @extend_schema(
        operation_id="PostSubscriptionsSubscriptionResume",
        summary="Resume a paused subscription",
        request=PARAMS,
        responses={200: SubscriptionSchema},
    )
    def post(self, request, subscription: str):
        reject_unknown(
            self.params, {"billing_cycle_anchor", "proration_behavior", "proration_date"}
        )
        at = get_timestamp(self.params, "proration_date")
        row = subscription_resume(
            account=self.account,
            subscription_id=subscription,
            actor=self.actor,
            billing_cycle_anchor=get_str(
                self.params, "billing_cycle_anchor", choices=["now", "unchanged"]
            )
            or "now",
            proration_behavior=get_str(
                self.params,
                "proration_behavior",
                choices=["create_prorations", "always_invoice", "none"],
            )
            or "create_prorations",
            proration_date=at,
        )
        return self.respond(subscription_render(row))
