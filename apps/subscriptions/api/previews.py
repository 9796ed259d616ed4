"""``POST /v1/invoices/create_preview`` and the legacy ``GET /v1/invoices/upcoming`` (``/lines``).

With ``subscription``: its next invoice with proposed changes
(apps.subscriptions.invoice_preview). Without
one, with ``customer`` and items: the first invoice of a new subscription, as Stripe previews it
(apps.subscriptions.preview), planned by the same code as ``POST /v1/subscriptions``; with the
customer alone, what is pending for them (apps.subscriptions.customer_preview). Nothing is
written either way."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.catalog.selectors import tax_rates_applicable
from apps.core import clock
from apps.core.api.params import get_currency, get_ids, get_str, get_timestamp, reject_unknown
from apps.core.api.schema import list_object
from apps.core.api.views import ApiView
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.customers.selectors import customer_get
from apps.invoices.api.views import InvoiceSchema, LineSchema
from apps.subscriptions.api.params import (
    anchor_parse,
    discount_params,
    item_changes_parse,
    item_request_parse,
    items_parse,
    trial_parse,
)
from apps.subscriptions.customer_preview import customer_upcoming_preview
from apps.subscriptions.invoice_preview import invoice_preview
from apps.subscriptions.planning import PRORATION_BEHAVIORS
from apps.subscriptions.preview import (
    subscription_create_preview,
)
from apps.subscriptions.preview_render import subscription_create_preview_render
from apps.subscriptions.selectors import subscription_preview_get
from apps.subscriptions.services.trials import trial_settings_parse

PARAMS = inline_serializer(
    name="InvoicePreviewParams",
    fields={"subscription_details": serializers.DictField(required=False)},
)
BEHAVIORS = list(PRORATION_BEHAVIORS)


def _proposed_rates(params: dict, param: str) -> tuple[str, list[str]] | None:
    """The default tax rates a preview proposes, with the parameter naming them (None: the
    subscription's own)."""
    name = param.rsplit("[", 1)[-1].rstrip("]")
    ids = get_ids(params, name)
    return None if ids is None else (param, ids)


class _PreviewApi(ApiView):
    resource = "invoices"

    def _preview(
        self, *, subscription_id, items, items_param, proration_date, behavior, tax_rates=None
    ):
        found = subscription_preview_get(
            account=self.account, subscription_id=subscription_id or ""
        )
        if found is None:
            raise ResourceMissingError("subscription", subscription_id or "", param="subscription")
        subscription, reads = found
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        if tax_rates is not None:
            tax_rates = tax_rates_applicable(
                account=self.account, ids=tax_rates[1], param=tax_rates[0]
            )
        changes = item_changes_parse(self.account, items or [], now=now, prefix=items_param)
        if proration_date is not None and not (
            subscription.current_period_start <= proration_date <= subscription.current_period_end
        ):
            raise InvalidRequestError(
                "The proration date must lie within the current period.",
                param="subscription_proration_date",
            )
        return invoice_preview(
            subscription=subscription,
            changes=changes,
            proration_date=proration_date,
            proration_behavior=behavior or "create_prorations",
            reads=reads,
            default_tax_rates=tax_rates,
        )

    def _new_subscription(
        self, *, items, items_param: str, trial: dict, trial_param: str, anchor, behavior, **kw
    ) -> dict:
        """The first invoice of a subscription the customer does not have yet."""
        customer_id = get_str(self.params, "customer", max_length=64)
        if not customer_id:
            raise InvalidRequestError(
                "Pass a subscription, or a customer and the items of a new subscription.",
                param="subscription",
                code="parameter_missing",
            )
        customer = customer_get(account=self.account, customer_id=customer_id)
        if customer is None:
            raise ResourceMissingError("customer", customer_id, param="customer")
        if items in (None, "") and not any(trial.values()) and anchor is None:
            # The customer alone: what is pending for them (or invoice_upcoming_none).
            return customer_upcoming_preview(customer=customer)
        if items in (None, ""):
            raise InvalidRequestError(
                f"Missing required param: {items_param}.",
                param=items_param,
                code="parameter_missing",
            )
        now = clock.now(test_clock_id=customer.test_clock_id)
        requests = [
            item_request_parse(self.account, item, index, now=now, prefix=items_param)
            for item, index in items_parse(items)
        ]
        preview = subscription_create_preview(
            account=self.account,
            customer=customer,
            items=requests,
            starts_at=now,
            trial_end=trial_parse(trial, now=now, param=trial_param),
            billing_cycle_anchor=anchor,
            proration_behavior=behavior or "create_prorations",
            **kw,
            **discount_params(self.params),
        )
        return subscription_create_preview_render(preview)


class InvoiceCreatePreviewApi(_PreviewApi):
    @extend_schema(
        operation_id="PostInvoicesCreatePreview",
        summary="Preview the next invoice of a subscription with changes, or the first of a new "
        "one (writes nothing)",
        request=PARAMS,
        responses={200: InvoiceSchema},
    )
    def post(self, request):
        reject_unknown(
            self.params,
            {"customer", "subscription", "subscription_details", "coupon", "discounts", "currency"},
        )
        details = self.params.get("subscription_details") or {}
        if not isinstance(details, dict):
            raise InvalidRequestError(
                "Invalid hash: subscription_details", param="subscription_details"
            )
        subscription_id = get_str(self.params, "subscription", max_length=64)
        behavior = get_str(details, "proration_behavior", choices=BEHAVIORS)
        if subscription_id:
            return self.respond(
                self._preview(
                    subscription_id=subscription_id,
                    items=details.get("items"),
                    items_param="subscription_details[items]",
                    proration_date=get_timestamp(details, "proration_date"),
                    behavior=behavior,
                    tax_rates=_proposed_rates(details, "subscription_details[default_tax_rates]"),
                )
            )
        return self.respond(
            self._new_subscription(
                items=details.get("items"),
                items_param="subscription_details[items]",
                trial={
                    "trial_end": details.get("trial_end"),
                    "trial_period_days": details.get("trial_period_days"),
                },
                trial_param="subscription_details[trial_end]",
                anchor=anchor_parse(details),
                behavior=behavior,
                trial_settings=trial_settings_parse(details.get("trial_settings")),
                currency=get_currency(self.params, "currency"),
                default_tax_rates=get_ids(details, "default_tax_rates"),
            )
        )


class InvoiceUpcomingApi(_PreviewApi):
    """The legacy ``GET /v1/invoices/upcoming`` (and ``/lines``): the same previews."""

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
                "subscription_trial_end",
                "subscription_billing_cycle_anchor",
                "subscription_default_tax_rates",
                "coupon",
                "discounts",
                "limit",
            },
        )
        subscription_id = get_str(self.params, "subscription", max_length=64)
        behavior = get_str(self.params, "subscription_proration_behavior", choices=BEHAVIORS)
        if subscription_id:
            preview = self._preview(
                subscription_id=subscription_id,
                items=self.params.get("subscription_items"),
                items_param="subscription_items",
                proration_date=get_timestamp(self.params, "subscription_proration_date"),
                behavior=behavior,
                tax_rates=_proposed_rates(self.params, "subscription_default_tax_rates"),
            )
        else:
            preview = self._new_subscription(
                items=self.params.get("subscription_items"),
                items_param="subscription_items",
                trial={"trial_end": self.params.get("subscription_trial_end")},
                trial_param="subscription_trial_end",
                anchor=anchor_parse(self.params, "subscription_billing_cycle_anchor"),
                behavior=behavior,
                default_tax_rates=get_ids(self.params, "subscription_default_tax_rates"),
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
