"""``/v1/setup_intents`` and its test helper that completes (or fails) a 3-D Secure step."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.core.api.pagination import created_filter, equal_filters, paginate
from apps.core.api.params import (
    client_secret_check,
    get_bool,
    get_list,
    get_metadata,
    get_str,
    metadata_merge,
    reject_unknown,
)
from apps.core.api.schema import list_object, object_schema
from apps.core.api.views import ApiView
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.customers.models import Customer, PaymentMethod
from apps.customers.services.payment_methods import payment_method_resolve
from apps.payments.api.common import LIST_PARAMS, PARAMS, customer_param
from apps.payments.models import SetupIntent
from apps.payments.render import setup_intent_render
from apps.payments.selectors import setup_intent_list
from apps.payments.services.setup_intents import (
    CANCELLATION_REASONS,
    PAYMENT_METHOD_TYPES,
    USAGES,
    SetupIntentChanges,
    setup_intent_authentication_fail,
    setup_intent_cancel,
    setup_intent_confirm,
    setup_intent_create,
    setup_intent_update,
)

SetupIntentSchema = object_schema(
    "SetupIntent",
    "setup_intent",
    status=serializers.CharField(),
    client_secret=serializers.CharField(),
    usage=serializers.CharField(),
    next_action=serializers.DictField(allow_null=True),
)
CREATE_PARAMS = {
    "customer",
    "payment_method",
    "payment_method_types",
    "usage",
    "confirm",
    "description",
    "metadata",
    "return_url",
}


def _payment_method(view: ApiView, customer: Customer | None) -> PaymentMethod | None:
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


def _types(view: ApiView) -> list[str] | None:
    if "payment_method_types" not in view.params:
        return None
    types = [str(t) for t in get_list(view.params, "payment_method_types")]
    unknown = sorted(set(types) - set(PAYMENT_METHOD_TYPES))
    if unknown or not types:
        raise InvalidRequestError(
            f"Invalid payment_method_types: setup intents save {', '.join(PAYMENT_METHOD_TYPES)}"
            " payment methods.",
            param="payment_method_types",
        )
    return types


class SetupIntentListApi(ApiView):
    resource = "setup_intents"

    @extend_schema(
        operation_id="GetSetupIntents",
        summary="List setup intents",
        responses={200: list_object("SetupIntentList", SetupIntentSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, LIST_PARAMS | {"customer", "payment_method"})
        rows = equal_filters(
            created_filter(setup_intent_list(account=self.account), self.params),
            self.params,
            {"customer": "customer_id", "payment_method": "payment_method_id"},
        )
        return self.respond(
            paginate(rows, self.params, url="/v1/setup_intents", render=setup_intent_render)
        )

    @extend_schema(
        operation_id="PostSetupIntents",
        summary="Create a setup intent (confirm=true to set up at once)",
        request=PARAMS,
        responses={200: SetupIntentSchema},
    )
    def post(self, request):
        reject_unknown(self.params, CREATE_PARAMS)
        customer = customer_param(self)
        setup = setup_intent_create(
            account=self.account,
            customer=customer,
            payment_method=_payment_method(self, customer),
            payment_method_types=_types(self) or ["card"],
            usage=get_str(self.params, "usage", choices=USAGES) or "off_session",
            description=get_str(self.params, "description", max_length=1000) or "",
            metadata=get_metadata(self.params) or {},
            actor=self.actor,
        )
        if get_bool(self.params, "confirm", default=False):
            setup = setup_intent_confirm(
                account=self.account, setup_id=setup.id, payment_method=None, actor=self.actor
            )
        return self.respond(setup_intent_render(setup))


class _SetupIntentApi(ApiView):
    resource = "setup_intents"

    def _setup(self, setup_id: str) -> SetupIntent:
        setup = setup_intent_list(account=self.account).filter(id=setup_id).first()
        if setup is None:
            raise ResourceMissingError("setup_intent", setup_id)
        return setup


class SetupIntentDetailApi(_SetupIntentApi):
    @extend_schema(
        operation_id="GetSetupIntentsIntent",
        summary="Retrieve a setup intent",
        responses={200: SetupIntentSchema},
    )
    def get(self, request, setup_intent: str):
        reject_unknown(self.params, {"client_secret"})
        row = self._setup(setup_intent)
        client_secret_check(self.params, expected=row.client_secret, kind="SetupIntent")
        return self.respond(setup_intent_render(row))

    @extend_schema(
        operation_id="PostSetupIntentsIntent",
        summary="Update a setup intent",
        request=PARAMS,
        responses={200: SetupIntentSchema},
    )
    def post(self, request, setup_intent: str):
        reject_unknown(
            self.params,
            {"customer", "payment_method", "payment_method_types", "description", "metadata"},
        )
        row = self._setup(setup_intent)
        fields = {}
        if "customer" in self.params:
            fields["customer"] = customer_param(self, required=True)
        if "payment_method" in self.params:
            payment_method = _payment_method(self, fields.get("customer", row.customer))
            if payment_method is None:
                raise InvalidRequestError(
                    "Missing required param: payment_method.", param="payment_method"
                )
            fields["payment_method"] = payment_method
        types = _types(self)
        if types is not None:
            fields["payment_method_types"] = types
        if "description" in self.params:
            fields["description"] = get_str(self.params, "description", max_length=1000) or ""
        if "metadata" in self.params:
            fields["metadata"] = metadata_merge(row.metadata, get_metadata(self.params))
        updated = setup_intent_update(
            account=self.account,
            setup_id=row.id,
            changes=SetupIntentChanges(**fields),
            actor=self.actor,
        )
        return self.respond(setup_intent_render(updated))


class SetupIntentConfirmApi(_SetupIntentApi):
    @extend_schema(
        operation_id="PostSetupIntentsIntentConfirm",
        summary="Confirm a setup intent",
        request=PARAMS,
        responses={200: SetupIntentSchema},
    )
    def post(self, request, setup_intent: str):
        reject_unknown(self.params, {"payment_method", "return_url", "client_secret"})
        row = self._setup(setup_intent)
        client_secret_check(self.params, expected=row.client_secret, kind="SetupIntent")
        updated = setup_intent_confirm(
            account=self.account,
            setup_id=row.id,
            payment_method=_payment_method(self, row.customer),
            actor=self.actor,
        )
        return self.respond(setup_intent_render(updated))


class SetupIntentCancelApi(_SetupIntentApi):
    @extend_schema(
        operation_id="PostSetupIntentsIntentCancel",
        summary="Cancel a setup intent",
        request=PARAMS,
        responses={200: SetupIntentSchema},
    )
    def post(self, request, setup_intent: str):
        reject_unknown(self.params, {"cancellation_reason"})
        row = self._setup(setup_intent)
        updated = setup_intent_cancel(
            account=self.account,
            setup_id=row.id,
            reason=get_str(self.params, "cancellation_reason", choices=CANCELLATION_REASONS),
            actor=self.actor,
        )
        return self.respond(setup_intent_render(updated))


class SetupIntentAuthenticateApi(_SetupIntentApi):
    @extend_schema(
        operation_id="PostTestHelpersSetupIntentsIntentAuthenticate",
        summary="Test mode: complete (or fail) the 3-D Secure step of a setup intent",
        request=inline_serializer(
            name="SetupAuthenticateRequest",
            fields={
                "outcome": serializers.ChoiceField(choices=["succeed", "fail"], required=False)
            },
        ),
        responses={200: SetupIntentSchema},
    )
    def post(self, request, setup_intent: str):
        reject_unknown(self.params, {"outcome"})
        row = self._setup(setup_intent)
        if self.account.livemode:
            raise InvalidRequestError("Test helpers are available in test mode only.")
        outcome = get_str(self.params, "outcome", choices=["succeed", "fail"]) or "succeed"
        if outcome == "fail":
            updated = setup_intent_authentication_fail(
                account=self.account, setup_id=row.id, actor=self.actor
            )
        elif row.status != "requires_action":
            raise InvalidRequestError(
                f"This SetupIntent's status is {row.status}; nothing to authenticate.",
                code="setup_intent_unexpected_state",
            )
        else:
            updated = setup_intent_confirm(
                account=self.account,
                setup_id=row.id,
                payment_method=None,
                actor=self.actor,
                authenticated=True,
            )
        return self.respond(setup_intent_render(updated))
