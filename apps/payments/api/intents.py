"""``/v1/payment_intents`` and its test helper that authenticates one."""

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.core import clock
from apps.core.api.pagination import created_filter, equal_filters, paginate
from apps.core.api.params import (
    client_secret_check,
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
from apps.customers.models import Customer, PaymentMethod
from apps.customers.services.payment_methods import (
    payment_method_resolve,
)
from apps.payments.api.common import (
    LIST_PARAMS,
    PARAMS,
    customer_param,
)
from apps.payments.render import (
    payment_intent_render,
)
from apps.payments.selectors import (
    payment_intent_list,
)
from apps.payments.services import (
    amount_validate,
    payment_intent_cancel,
    payment_intent_capture,
    payment_intent_confirm,
    payment_intent_create,
    payment_intent_update,
)

PaymentIntentSchema = object_schema(
    "PaymentIntent",
    "payment_intent",
    amount=serializers.IntegerField(),
    currency=serializers.CharField(),
    status=serializers.CharField(),
    client_secret=serializers.CharField(),
    next_action=serializers.DictField(allow_null=True),
)


def _intent_payment_method(view: ApiView, customer: Customer | None) -> PaymentMethod | None:
    value = get_str(view.params, "payment_method", max_length=64)
    if not value:
        return None
    return payment_method_resolve(
        account=view.account,
        value=value,
        customer=customer,
        actor=view.actor,
        param="payment_method",
    )


class PaymentIntentListApi(ApiView):
    resource = "charges"

    @extend_schema(
        operation_id="GetPaymentIntents",
        summary="List payment intents",
        responses={200: list_object("PaymentIntentList", PaymentIntentSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, LIST_PARAMS | {"customer"})
        rows = equal_filters(
            created_filter(payment_intent_list(account=self.account), self.params),
            self.params,
            {"customer": "customer_id"},
        )
        return self.respond(
            paginate(rows, self.params, url="/v1/payment_intents", render=payment_intent_render)
        )

    @extend_schema(
        operation_id="PostPaymentIntents",
        summary="Create a payment intent (confirm=true to pay at once)",
        request=PARAMS,
        responses={200: PaymentIntentSchema},
    )
    def post(self, request):
        reject_unknown(
            self.params,
            {
                "amount",
                "currency",
                "customer",
                "payment_method",
                "confirm",
                "capture_method",
                "description",
                "metadata",
                "off_session",
                "setup_future_usage",
                "payment_method_types",
                "automatic_payment_methods",
                "return_url",
            },
        )
        amount, currency = amount_validate(
            get_int(self.params, "amount", required=True), self.params.get("currency")
        )
        off_session = get_bool(self.params, "off_session", default=False)
        confirm = get_bool(self.params, "confirm", default=False)
        if off_session and not confirm:
            # Stripe: off-session means "charge now without the customer", so only on confirm.
            raise InvalidRequestError(
                "off_session can only be passed when confirm=true.", param="off_session"
            )
        customer = customer_param(self)
        intent = payment_intent_create(
            account=self.account,
            amount=amount,
            currency=currency,
            customer=customer,
            payment_method=_intent_payment_method(self, customer),
            capture_method=get_str(
                self.params, "capture_method", choices=["automatic", "automatic_async", "manual"]
            )
            or "automatic",
            description=get_str(self.params, "description", max_length=1000) or "",
            metadata=get_metadata(self.params) or {},
            off_session=off_session,
            setup_future_usage=get_str(
                self.params, "setup_future_usage", choices=["on_session", "off_session"]
            )
            or "",
            actor=self.actor,
        )
        if confirm:
            intent = payment_intent_confirm(
                account=self.account, intent_id=intent.id, payment_method=None, actor=self.actor
            )
        return self.respond(payment_intent_render(intent))


class _IntentApi(ApiView):
    resource = "charges"

    def _intent(self, intent_id: str):
        intent = payment_intent_list(account=self.account).filter(id=intent_id).first()
        if intent is None:
            raise ResourceMissingError("payment_intent", intent_id)
        return intent


class PaymentIntentDetailApi(_IntentApi):
    @extend_schema(
        operation_id="GetPaymentIntentsIntent",
        summary="Retrieve a payment intent",
        responses={200: PaymentIntentSchema},
    )
    def get(self, request, intent: str):
        reject_unknown(self.params, {"client_secret"})
        row = self._intent(intent)
        client_secret_check(self.params, expected=row.client_secret, kind="PaymentIntent")
        return self.respond(payment_intent_render(row))

    @extend_schema(
        operation_id="PostPaymentIntentsIntent",
        summary="Update a payment intent",
        request=PARAMS,
        responses={200: PaymentIntentSchema},
    )
    def post(self, request, intent: str):
        reject_unknown(
            self.params, {"amount", "currency", "description", "metadata", "payment_method"}
        )
        row = self._intent(intent)
        fields: dict[str, Any] = {}
        if "amount" in self.params or "currency" in self.params:
            fields["amount"], fields["currency"] = amount_validate(
                get_int(self.params, "amount", default=row.amount),
                self.params.get("currency") or row.currency,
            )
        if "description" in self.params:
            fields["description"] = get_str(self.params, "description", max_length=1000) or ""
        if "metadata" in self.params:
            fields["metadata"] = metadata_merge(row.metadata, get_metadata(self.params))
        if "payment_method" in self.params:
            fields["payment_method"] = _intent_payment_method(self, row.customer)
        updated = payment_intent_update(
            account=self.account, intent_id=row.id, fields=fields, actor=self.actor
        )
        return self.respond(payment_intent_render(updated))


class PaymentIntentConfirmApi(_IntentApi):
    @extend_schema(
        operation_id="PostPaymentIntentsIntentConfirm",
        summary="Confirm a payment intent",
        request=PARAMS,
        responses={200: PaymentIntentSchema},
    )
    def post(self, request, intent: str):
        reject_unknown(
            self.params, {"payment_method", "off_session", "return_url", "client_secret"}
        )
        row = self._intent(intent)
        client_secret_check(self.params, expected=row.client_secret, kind="PaymentIntent")
        updated = payment_intent_confirm(
            account=self.account,
            intent_id=row.id,
            payment_method=_intent_payment_method(self, row.customer),
            off_session=get_bool(self.params, "off_session"),
            actor=self.actor,
        )
        return self.respond(payment_intent_render(updated))


class PaymentIntentCaptureApi(_IntentApi):
    @extend_schema(
        operation_id="PostPaymentIntentsIntentCapture",
        summary="Capture a payment intent (manual capture)",
        request=PARAMS,
        responses={200: PaymentIntentSchema},
    )
    def post(self, request, intent: str):
        reject_unknown(self.params, {"amount_to_capture"})
        self._intent(intent)
        updated = payment_intent_capture(
            account=self.account,
            intent_id=intent,
            amount=get_int(self.params, "amount_to_capture"),
            actor=self.actor,
        )
        return self.respond(payment_intent_render(updated))


class PaymentIntentCancelApi(_IntentApi):
    @extend_schema(
        operation_id="PostPaymentIntentsIntentCancel",
        summary="Cancel a payment intent",
        request=PARAMS,
        responses={200: PaymentIntentSchema},
    )
    def post(self, request, intent: str):
        reject_unknown(self.params, {"cancellation_reason"})
        self._intent(intent)
        updated = payment_intent_cancel(
            account=self.account,
            intent_id=intent,
            reason=get_str(self.params, "cancellation_reason", max_length=40),
            actor=self.actor,
        )
        return self.respond(payment_intent_render(updated))


class PaymentIntentAuthenticateApi(_IntentApi):
    @extend_schema(
        operation_id="PostTestHelpersPaymentIntentsIntentAuthenticate",
        summary="Test mode: complete (or fail) the 3-D Secure step of a payment intent",
        request=inline_serializer(
            name="AuthenticateRequest",
            fields={
                "outcome": serializers.ChoiceField(choices=["succeed", "fail"], required=False)
            },
        ),
        responses={200: PaymentIntentSchema},
    )
    def post(self, request, intent: str):
        reject_unknown(self.params, {"outcome"})
        row = self._intent(intent)
        if self.account.livemode:
            raise InvalidRequestError("Test helpers are available in test mode only.")
        if row.status != "requires_action":
            raise InvalidRequestError(
                f"This PaymentIntent's status is {row.status}; nothing to authenticate.",
                code="payment_intent_unexpected_state",
            )
        outcome = get_str(self.params, "outcome", choices=["succeed", "fail"]) or "succeed"
        if outcome == "fail":
            updated = payment_intent_update(
                account=self.account,
                intent_id=row.id,
                fields={
                    "status": "requires_payment_method",
                    "last_payment_error": {
                        "type": "card_error",
                        "code": "payment_intent_authentication_failure",
                        "message": "The customer did not complete 3-D Secure authentication.",
                        "created": clock.to_epoch(clock.now()),
                    },
                },
                actor=self.actor,
            )
            return self.respond(payment_intent_render(updated))
        updated = payment_intent_confirm(
            account=self.account,
            intent_id=row.id,
            payment_method=None,
            actor=self.actor,
            authenticated=True,
        )
        return self.respond(payment_intent_render(updated))
