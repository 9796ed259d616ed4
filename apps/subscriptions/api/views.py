"""``/v1/subscriptions``: create (items with their own trials), retrieve, list, update, cancel."""

from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.core import clock, search
from apps.core.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, equal_filters, paginate
from apps.core.api.params import (
    get_bool,
    get_currency,
    get_ids,
    get_int,
    get_metadata,
    get_str,
    get_timestamp,
    reject_unknown,
)
from apps.core.api.schema import list_object, object_schema, search_result
from apps.core.api.views import ApiView
from apps.core.errors import ResourceMissingError
from apps.customers.selectors import customer_get
from apps.invoices.discounts import discount_apply, discount_remove
from apps.subscriptions.api.params import (
    SETTINGS,
    anchor_parse,
    cancellation_details_parse,
    discount_params,
    item_changes_parse,
    new_items_parse,
    settings_parse,
    trial_parse,
)
from apps.subscriptions.models import Subscription
from apps.subscriptions.planning import PRORATION_BEHAVIORS
from apps.subscriptions.selectors import SEARCH_FIELDS, subscription_search
from apps.subscriptions.services import (
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
                "currency",
                "items",
                "plan",
                "quantity",
                "collection_method",
                "days_until_due",
                "metadata",
                "payment_behavior",
                "trial_settings",
                "trial_end",
                "trial_period_days",
                "billing_cycle_anchor",
                "proration_behavior",
                "default_tax_rates",
            }
            | DISCOUNTS,
        )
        customer_id = get_str(self.params, "customer", required=True, max_length=64)
        # With its default payment method and source: the first invoice's charge is made to one.
        customer = customer_get(account=self.account, customer_id=customer_id, with_defaults=True)
        if customer is None:
            raise ResourceMissingError("customer", customer_id, param="customer")
        now = clock.now(test_clock_id=customer.test_clock_id)
        items = new_items_parse(self.account, self.params, now=now)
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
            currency=get_currency(self.params, "currency"),
            default_tax_rates=get_ids(self.params, "default_tax_rates"),
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
            settings = settings_parse(self.params, proration_behavior=behavior)
            if settings is not None:
                subscription_update_settings(
                    account=self.account,
                    subscription_id=row.id,
                    settings=settings,
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
        row = subscription_cancel(
            account=self.account,
            subscription_id=self._subscription(subscription).id,
            details=cancellation_details_parse(self.params.get("cancellation_details")),
            actor=self.actor,
            prorate=get_bool(self.params, "prorate", default=False),
            invoice_now=get_bool(self.params, "invoice_now", default=False),
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
