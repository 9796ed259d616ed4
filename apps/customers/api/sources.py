"""``/v1/customers/:id/sources``, ``/v1/sources`` and ``/v1/tokens``: the legacy shapes Stripe
gives a payment method."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.core.api.pagination import paginate
from apps.core.api.params import (
    client_secret_check,
    get_list,
    get_metadata,
    get_str,
    reject_unknown,
)
from apps.core.api.schema import list_object, object_schema
from apps.core.api.views import ApiView, client_ip
from apps.core.errors import ResourceMissingError
from apps.customers.api.payment_method_params import (
    reusable_source_update_parse,
    source_create_parse,
    source_update_parse,
    token_create_parse,
)
from apps.customers.api.payment_methods import GENERIC_REQUEST, LIST_PARAMS, CustomerScoped
from apps.customers.enums import SourceObject
from apps.customers.models import PaymentMethod
from apps.customers.payment_method_render import payment_method_render, token_render
from apps.customers.services.payment_methods import (
    bank_account_verify,
    customer_source_add,
    payment_method_detach,
    payment_method_update,
    source_create,
    token_create,
    token_get,
)
from apps.customers.services.payment_methods.inputs import source_entry

SOURCE_UPDATE_PARAMS = {
    "metadata",
    "name",
    "exp_month",
    "exp_year",
    "address_city",
    "address_country",
    "address_line1",
    "address_line2",
    "address_state",
    "address_zip",
    "owner",
}

SourceSchema = object_schema(
    "CustomerSource",
    "card",
    customer=serializers.CharField(allow_null=True),
    last4=serializers.CharField(),
    fingerprint=serializers.CharField(),
    metadata=serializers.DictField(child=serializers.CharField()),
)
TokenSchema = object_schema(
    "Token",
    "token",
    type=serializers.ChoiceField(choices=["card", "bank_account"]),
    used=serializers.BooleanField(),
    livemode=serializers.BooleanField(),
    created=serializers.IntegerField(),
)
DELETED_SOURCE = inline_serializer(
    name="DeletedSource",
    fields={
        "id": serializers.CharField(),
        "object": serializers.CharField(),
        "deleted": serializers.BooleanField(),
    },
)
SOURCE_ADD_REQUEST = inline_serializer(
    name="CustomerSourceCreateRequest",
    fields={
        "source": serializers.CharField(
            help_text="tok_…, btok_…, src_… or a card / bank_account hash"
        ),
        "metadata": serializers.DictField(child=serializers.CharField(), required=False),
    },
)


class CustomerSourceListApi(CustomerScoped):
    @extend_schema(
        operation_id="GetCustomersCustomerSources",
        summary="List a customer's sources",
        responses={200: list_object("CustomerSourceList", SourceSchema)},
    )
    def get(self, request, customer: str):
        reject_unknown(self.params, LIST_PARAMS | {"object"})
        owner = self._customer(customer)
        rows = PaymentMethod.objects.filter(account=self.account, customer=owner).exclude(
            source_object=SourceObject.PAYMENT_METHOD
        )
        kind = get_str(self.params, "object", choices=["card", "bank_account", "source"])
        if kind:
            rows = rows.filter(source_object=kind)
        return self.respond(
            paginate(
                rows,
                self.params,
                url=f"/v1/customers/{owner.id}/sources",
                render=payment_method_render,
            )
        )

    @extend_schema(
        operation_id="PostCustomersCustomerSources",
        summary="Add a source to a customer",
        request=SOURCE_ADD_REQUEST,
        responses={200: SourceSchema},
    )
    def post(self, request, customer: str):
        reject_unknown(self.params, {"source", "metadata", "validate"})
        row = customer_source_add(
            account=self.account,
            customer=self._customer(customer),
            source=source_entry(self.params.get("source")),
            metadata=get_metadata(self.params),
            actor=self.actor,
        )
        return self.respond(payment_method_render(row))


class CustomerSourceDetailApi(CustomerScoped):
    @extend_schema(
        operation_id="GetCustomersCustomerSourcesId",
        summary="Retrieve a customer's source",
        responses={200: SourceSchema},
    )
    def get(self, request, customer: str, id: str):
        reject_unknown(self.params, set())
        row = self._row(id, customer=self._customer(customer), kind="source")
        return self.respond(payment_method_render(row))

    @extend_schema(
        operation_id="PostCustomersCustomerSourcesId",
        summary="Update a customer's source",
        request=GENERIC_REQUEST,
        responses={200: SourceSchema},
    )
    def post(self, request, customer: str, id: str):
        reject_unknown(self.params, SOURCE_UPDATE_PARAMS)
        row = payment_method_update(
            account=self.account,
            payment_method_id=id,
            change=source_update_parse(self.params),
            actor=self.actor,
            customer=self._customer(customer),
        )
        return self.respond(payment_method_render(row))

    @extend_schema(
        operation_id="DeleteCustomersCustomerSourcesId",
        summary="Delete (detach) a customer's source",
        responses={200: DELETED_SOURCE},
    )
    def delete(self, request, customer: str, id: str):
        reject_unknown(self.params, set())
        row = payment_method_detach(
            account=self.account,
            payment_method_id=id,
            actor=self.actor,
            customer=self._customer(customer),
        )
        if row.source_object == SourceObject.SOURCE:
            return self.respond(payment_method_render(row))
        return self.respond({"id": row.id, "object": row.source_object, "deleted": True})


class CustomerSourceVerifyApi(CustomerScoped):
    @extend_schema(
        operation_id="PostCustomersCustomerSourcesIdVerify",
        summary="Verify a bank account with the two microdeposit amounts",
        request=inline_serializer(
            name="BankAccountVerifyRequest",
            fields={"amounts": serializers.ListField(child=serializers.IntegerField())},
        ),
        responses={200: SourceSchema},
    )
    def post(self, request, customer: str, id: str):
        reject_unknown(self.params, {"amounts"})
        row = bank_account_verify(
            account=self.account,
            customer=self._customer(customer),
            bank_account_id=id,
            amounts=get_list(self.params, "amounts"),
            actor=self.actor,
        )
        return self.respond(payment_method_render(row))


class SourceCreateApi(CustomerScoped):
    @extend_schema(
        operation_id="PostSources",
        summary="Create a reusable source (sepa_debit, paypal wallet, or card from a token)",
        request=GENERIC_REQUEST,
        responses={200: SourceSchema},
    )
    def post(self, request):
        reject_unknown(
            self.params, {"type", "sepa_debit", "owner", "token", "metadata", "usage", "currency"}
        )
        return self.respond(
            payment_method_render(
                source_create(
                    account=self.account,
                    request=source_create_parse(self.params),
                    actor=self.actor,
                )
            )
        )


class SourceDetailApi(CustomerScoped):
    def _source(self, source_id: str) -> PaymentMethod:
        row = self._row(source_id, kind="source")
        if row.source_object != SourceObject.SOURCE:
            raise ResourceMissingError("source", source_id)
        return row

    @extend_schema(
        operation_id="GetSourcesSource", summary="Retrieve a source", responses={200: SourceSchema}
    )
    def get(self, request, source: str):
        reject_unknown(self.params, {"client_secret"})
        row = self._source(source)
        client_secret_check(self.params, expected=row.client_secret, kind="source")
        return self.respond(payment_method_render(row))

    @extend_schema(
        operation_id="PostSourcesSource",
        summary="Update a source",
        request=GENERIC_REQUEST,
        responses={200: SourceSchema},
    )
    def post(self, request, source: str):
        reject_unknown(self.params, {"metadata", "owner"})
        self._source(source)
        row = payment_method_update(
            account=self.account,
            payment_method_id=source,
            change=reusable_source_update_parse(self.params),
            actor=self.actor,
        )
        return self.respond(payment_method_render(row))


class TokenCreateApi(ApiView):
    resource = "tokens"
    allow_publishable = True

    @extend_schema(
        operation_id="PostTokens",
        summary="Create a card or bank account token (test numbers in test mode)",
        request=GENERIC_REQUEST,
        responses={200: TokenSchema},
    )
    def post(self, request):
        # ``key``: the publishable key, when Stripe.js sends it as a parameter.
        reject_unknown(self.params, {"card", "bank_account", "customer", "key"})
        token, row = token_create(
            account=self.account, request=token_create_parse(self.params), actor=self.actor
        )
        return self.respond(token_render(token, row, client_ip=client_ip(request)))


class TokenDetailApi(ApiView):
    resource = "tokens"

    @extend_schema(
        operation_id="GetTokensToken", summary="Retrieve a token", responses={200: TokenSchema}
    )
    def get(self, request, token: str):
        reject_unknown(self.params, set())
        row = token_get(account=self.account, token=token)
        if row is None:
            raise ResourceMissingError("token", token)
        return self.respond(token_render(token, row))
