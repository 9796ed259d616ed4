"""``/v1/charges`` and ``/v1/refunds``."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from apps.core.api.pagination import created_filter, equal_filters, paginate
from apps.core.api.params import (
    get_bool,
    get_int,
    get_metadata,
    get_str,
    metadata_merge,
    reject_unknown,
)
from apps.core.api.schema import list_object, object_schema
from apps.core.api.views import ApiView
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.customers.api.payment_method_params import charge_card_parse
from apps.customers.services.payment_methods import (
    payment_method_from_card,
    payment_method_resolve,
)
from apps.payments.api.common import (
    LIST_PARAMS,
    PARAMS,
    customer_default_payment_method,
    customer_param,
)
from apps.payments.enums import RefundReason
from apps.payments.render import (
    charge_render,
    refund_render,
)
from apps.payments.selectors import (
    charge_get,
    charge_list,
    payment_intent_list,
    refund_list,
)
from apps.payments.services import (
    ChargeRequest,
    amount_validate,
    charge_capture,
    charge_create,
    charge_update,
    refund_create,
    refund_update,
)

ChargeSchema = object_schema(
    "Charge",
    "charge",
    amount=serializers.IntegerField(),
    amount_refunded=serializers.IntegerField(),
    captured=serializers.BooleanField(),
    currency=serializers.CharField(),
    customer=serializers.CharField(allow_null=True),
    outcome=serializers.DictField(allow_null=True),
    paid=serializers.BooleanField(),
    payment_method_details=serializers.DictField(),
    source=serializers.DictField(allow_null=True),
    status=serializers.ChoiceField(choices=["succeeded", "pending", "failed"]),
)
RefundSchema = object_schema(
    "Refund",
    "refund",
    amount=serializers.IntegerField(),
    charge=serializers.CharField(),
    status=serializers.CharField(),
)


class ChargeListApi(ApiView):
    resource = "charges"

    @extend_schema(
        operation_id="GetCharges",
        summary="List charges",
        responses={200: list_object("ChargeList", ChargeSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, LIST_PARAMS | {"customer", "payment_intent"})
        rows = equal_filters(
            created_filter(charge_list(account=self.account), self.params),
            self.params,
            {"customer": "customer_id", "payment_intent": "payment_intent_id"},
        )
        return self.respond(paginate(rows, self.params, url="/v1/charges", render=charge_render))

    @extend_schema(
        operation_id="PostCharges",
        summary="Create a charge (source=, payment_method= or the legacy card hash)",
        request=PARAMS,
        responses={200: ChargeSchema},
    )
    def post(self, request):
        reject_unknown(
            self.params,
            {
                "amount",
                "currency",
                "customer",
                "source",
                "payment_method",
                "card",
                "capture",
                "description",
                "metadata",
                "receipt_email",
                "statement_descriptor",
            },
        )
        amount, currency = amount_validate(
            get_int(self.params, "amount", required=True), self.params.get("currency")
        )
        given = [name for name in ("source", "payment_method", "card") if self.params.get(name)]
        # Charged to its default when nothing else is given: read with the customer.
        customer = customer_param(self, with_defaults=not given)
        if len(given) > 1:
            raise InvalidRequestError(
                "Pass only one of source, payment_method and card.", param=given[1]
            )
        if not given and customer is None:
            raise InvalidRequestError(
                "Must provide source or customer.", param="source", code="parameter_missing"
            )
        if not given:
            payment_method = customer_default_payment_method(customer)
        elif given[0] == "card":
            payment_method = payment_method_from_card(
                account=self.account, card=charge_card_parse(self.params["card"]), actor=self.actor
            )
        else:
            payment_method = payment_method_resolve(
                account=self.account,
                value=self.params[given[0]],
                customer=customer,
                actor=self.actor,
                param=given[0],
            )
        charge = charge_create(
            account=self.account,
            request=ChargeRequest(
                amount=amount,
                currency=currency,
                payment_method=payment_method,
                customer=customer,
                capture=get_bool(self.params, "capture", default=True),
                via_source=given[:1] != ["payment_method"],
                description=get_str(self.params, "description", max_length=1000) or "",
                metadata=get_metadata(self.params),
                receipt_email=get_str(self.params, "receipt_email", max_length=512) or "",
                statement_descriptor=get_str(self.params, "statement_descriptor", max_length=22)
                or "",
            ),
            actor=self.actor,
        )
        return self.respond(charge_render(charge, refunds=[]))


class _ChargeApi(ApiView):
    resource = "charges"

    def _charge(self, charge_id: str):
        charge = charge_get(account=self.account, charge_id=charge_id)
        if charge is None:
            raise ResourceMissingError("charge", charge_id)
        return charge


class ChargeDetailApi(_ChargeApi):
    @extend_schema(
        operation_id="GetChargesCharge", summary="Retrieve a charge", responses={200: ChargeSchema}
    )
    def get(self, request, charge: str):
        reject_unknown(self.params, set())
        return self.respond(charge_render(self._charge(charge)))

    @extend_schema(
        operation_id="PostChargesCharge",
        summary="Update a charge",
        request=PARAMS,
        responses={200: ChargeSchema},
    )
    def post(self, request, charge: str):
        reject_unknown(
            self.params, {"description", "metadata", "receipt_email", "fraud_details", "shipping"}
        )
        row = self._charge(charge)
        fields: dict[str, Any] = {}
        if "description" in self.params:
            fields["description"] = get_str(self.params, "description", max_length=1000) or ""
        if "receipt_email" in self.params:
            fields["receipt_email"] = get_str(self.params, "receipt_email", max_length=512) or ""
        if "metadata" in self.params:
            fields["metadata"] = metadata_merge(row.metadata, get_metadata(self.params))
        if "fraud_details" in self.params:
            details = self.params["fraud_details"]
            report = details.get("user_report") if isinstance(details, dict) else None
            if report not in ("fraudulent", "safe", ""):
                raise InvalidRequestError(
                    "fraud_details[user_report] must be fraudulent or safe.",
                    param="fraud_details[user_report]",
                )
            fields["fraud_details"] = {"user_report": report} if report else {}
        updated = charge_update(
            account=self.account, charge_id=row.id, fields=fields, actor=self.actor
        )
        return self.respond(charge_render(updated))


class ChargeCaptureApi(_ChargeApi):
    @extend_schema(
        operation_id="PostChargesChargeCapture",
        summary="Capture an uncaptured charge (partially, with amount)",
        request=PARAMS,
        responses={200: ChargeSchema},
    )
    def post(self, request, charge: str):
        reject_unknown(self.params, {"amount", "receipt_email", "statement_descriptor"})
        self._charge(charge)
        row = charge_capture(
            account=self.account,
            charge_id=charge,
            amount=get_int(self.params, "amount"),
            actor=self.actor,
        )
        return self.respond(charge_render(row))


class RefundListApi(ApiView):
    resource = "refunds"

    @extend_schema(
        operation_id="GetRefunds",
        summary="List refunds",
        responses={200: list_object("RefundList", RefundSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, LIST_PARAMS | {"charge", "payment_intent"})
        rows = equal_filters(
            created_filter(refund_list(account=self.account), self.params),
            self.params,
            {"charge": "charge_id", "payment_intent": "charge__payment_intent_id"},
        )
        return self.respond(paginate(rows, self.params, url="/v1/refunds", render=refund_render))

    @extend_schema(
        operation_id="PostRefunds",
        summary="Refund a charge, in full or in part",
        request=PARAMS,
        responses={200: RefundSchema},
    )
    def post(self, request):
        reject_unknown(self.params, {"charge", "payment_intent", "amount", "reason", "metadata"})
        charge_id = get_str(self.params, "charge", max_length=64)
        intent_id = get_str(self.params, "payment_intent", max_length=64)
        if intent_id and not charge_id:
            intent = payment_intent_list(account=self.account).filter(id=intent_id).first()
            if intent is None:
                raise ResourceMissingError("payment_intent", intent_id, param="payment_intent")
            if intent.latest_charge_id is None:
                raise InvalidRequestError(
                    f"PaymentIntent {intent_id} has no successful charge to refund.",
                    param="payment_intent",
                )
            charge_id = intent.latest_charge_id
        if not charge_id:
            raise InvalidRequestError(
                "Missing required param: charge.", param="charge", code="parameter_missing"
            )
        refund = refund_create(
            account=self.account,
            charge_id=charge_id,
            amount=get_int(self.params, "amount"),
            reason=get_str(self.params, "reason", choices=list(RefundReason.values)) or "",
            metadata=get_metadata(self.params),
            actor=self.actor,
        )
        return self.respond(refund_render(refund))


class RefundDetailApi(ApiView):
    resource = "refunds"

    @extend_schema(
        operation_id="GetRefundsRefund", summary="Retrieve a refund", responses={200: RefundSchema}
    )
    def get(self, request, refund: str):
        reject_unknown(self.params, set())
        row = refund_list(account=self.account).filter(id=refund).first()
        if row is None:
            raise ResourceMissingError("refund", refund)
        return self.respond(refund_render(row))

    @extend_schema(
        operation_id="PostRefundsRefund",
        summary="Update a refund's metadata",
        request=PARAMS,
        responses={200: RefundSchema},
    )
    def post(self, request, refund: str):
        reject_unknown(self.params, {"metadata"})
        row = refund_update(
            account=self.account,
            refund_id=refund,
            metadata=get_metadata(self.params),
            actor=self.actor,
        )
        return self.respond(refund_render(row))
