"""``/v1/charges``, ``/v1/refunds``, ``/v1/payment_intents``, ``/v1/balance`` and
``/v1/balance_transactions``."""

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
from apps.customers.selectors import customer_get
from apps.customers.services.payment_methods import (
    payment_method_from_card,
    payment_method_resolve,
)
from apps.payments.enums import RefundReason
from apps.payments.render import (
    balance_transaction_render,
    charge_render,
    payment_intent_render,
    refund_render,
)
from apps.payments.selectors import (
    balance,
    balance_transaction_list,
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
    payment_intent_cancel,
    payment_intent_capture,
    payment_intent_confirm,
    payment_intent_create,
    payment_intent_update,
    refund_create,
    refund_update,
)

LIST_PARAMS = {"limit", "starting_after", "ending_before", "created"}

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
PaymentIntentSchema = object_schema(
    "PaymentIntent",
    "payment_intent",
    amount=serializers.IntegerField(),
    currency=serializers.CharField(),
    status=serializers.CharField(),
    client_secret=serializers.CharField(),
    next_action=serializers.DictField(allow_null=True),
)
BalanceTransactionSchema = object_schema(
    "BalanceTransaction",
    "balance_transaction",
    amount=serializers.IntegerField(),
    fee=serializers.IntegerField(),
    net=serializers.IntegerField(),
    status=serializers.ChoiceField(choices=["available", "pending"]),
    available_on=serializers.IntegerField(),
)
BALANCE = inline_serializer(
    name="Balance",
    fields={
        "object": serializers.ChoiceField(choices=["balance"]),
        "available": serializers.ListField(child=serializers.DictField()),
        "pending": serializers.ListField(child=serializers.DictField()),
        "livemode": serializers.BooleanField(),
    },
)
PARAMS = inline_serializer(
    name="PaymentParams", fields={"metadata": serializers.DictField(required=False)}
)


def _customer(view: ApiView, required: bool = False) -> Customer | None:
    customer_id = get_str(view.params, "customer", required=required, max_length=64)
    if not customer_id:
        return None
    customer = customer_get(account=view.account, customer_id=customer_id)
    if customer is None:
        raise ResourceMissingError("customer", customer_id, param="customer")
    return customer


def _customer_default(customer: Customer) -> PaymentMethod:
    payment_method = customer.default_source or customer.default_payment_method
    if payment_method is None:
        raise InvalidRequestError(
            f"Cannot charge a customer that has no active card: {customer.id}.",
            param="card",
            code="missing",
        )
    return payment_method


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
        customer = _customer(self)
        given = [name for name in ("source", "payment_method", "card") if self.params.get(name)]
        if len(given) > 1:
            raise InvalidRequestError(
                "Pass only one of source, payment_method and card.", param=given[1]
            )
        if not given and customer is None:
            raise InvalidRequestError(
                "Must provide source or customer.", param="source", code="parameter_missing"
            )
        if not given:
            payment_method = _customer_default(customer)
        elif given[0] == "card":
            payment_method = payment_method_from_card(
                account=self.account, card=self.params["card"], actor=self.actor
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


class BalanceApi(ApiView):
    resource = "balance"

    @extend_schema(
        operation_id="GetBalance",
        summary="The account's balance: available and pending per currency",
        responses={200: BALANCE},
    )
    def get(self, request):
        reject_unknown(self.params, set())
        totals = balance(account=self.account)
        if not totals:
            totals = {self.account.default_currency: {"available": 0, "pending": 0}}
        return self.respond(
            {
                "object": "balance",
                "available": [
                    {
                        "amount": v["available"],
                        "currency": c,
                        "source_types": {"card": v["available"]},
                    }
                    for c, v in sorted(totals.items())
                ],
                "pending": [
                    {"amount": v["pending"], "currency": c, "source_types": {"card": v["pending"]}}
                    for c, v in sorted(totals.items())
                ],
                "livemode": self.account.livemode,
            }
        )


class BalanceTransactionListApi(ApiView):
    resource = "balance"

    @extend_schema(
        operation_id="GetBalanceTransactions",
        summary="List balance transactions",
        responses={200: list_object("BalanceTransactionList", BalanceTransactionSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, LIST_PARAMS | {"type", "source", "currency"})
        rows = equal_filters(
            created_filter(balance_transaction_list(account=self.account), self.params),
            self.params,
            {"type": "type", "source": "source_id", "currency": "currency"},
        )
        return self.respond(
            paginate(
                rows, self.params, url="/v1/balance_transactions", render=balance_transaction_render
            )
        )


class BalanceTransactionDetailApi(ApiView):
    resource = "balance"

    @extend_schema(
        operation_id="GetBalanceTransactionsId",
        summary="Retrieve a balance transaction",
        responses={200: BalanceTransactionSchema},
    )
    def get(self, request, id: str):
        reject_unknown(self.params, set())
        row = balance_transaction_list(account=self.account).filter(id=id).first()
        if row is None:
            raise ResourceMissingError("balance transaction", id)
        return self.respond(balance_transaction_render(row))


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
        customer = _customer(self)
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
            off_session=get_bool(self.params, "off_session", default=False),
            setup_future_usage=get_str(
                self.params, "setup_future_usage", choices=["on_session", "off_session"]
            )
            or "",
            actor=self.actor,
        )
        if get_bool(self.params, "confirm", default=False):
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
