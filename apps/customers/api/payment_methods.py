"""``/v1/payment_methods``, ``/v1/customers/:id/payment_methods``, ``/v1/customers/:id/sources``,
``/v1/sources`` and ``/v1/tokens``: one model, the shapes Stripe gives each."""

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
from apps.customers.enums import PaymentMethodType, SourceObject
from apps.customers.models import Customer, PaymentMethod
from apps.customers.payment_method_render import payment_method_render, token_render
from apps.customers.selectors import customer_get
from apps.customers.services.payment_methods import (
    bank_account_verify,
    customer_source_add,
    is_test_payment_method,
    payment_method_attach,
    payment_method_create,
    payment_method_detach,
    payment_method_update,
    source_create,
    token_create,
    token_get,
)

PM_CREATE_PARAMS = {
    "type",
    "card",
    "sepa_debit",
    "us_bank_account",
    "paypal",
    "billing_details",
    "metadata",
}
PM_UPDATE_PARAMS = {"billing_details", "card", "metadata", "allow_redisplay"}
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
LIST_PARAMS = {"limit", "starting_after", "ending_before"}


PaymentMethodSchema = object_schema(
    "PaymentMethod",
    "payment_method",
    type=serializers.ChoiceField(choices=PaymentMethodType.choices),
    customer=serializers.CharField(allow_null=True),
    billing_details=serializers.DictField(),
    created=serializers.IntegerField(),
    livemode=serializers.BooleanField(),
    metadata=serializers.DictField(child=serializers.CharField()),
)
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
PM_CREATE_REQUEST = inline_serializer(
    name="PaymentMethodCreateRequest",
    fields={
        "type": serializers.ChoiceField(choices=PaymentMethodType.choices),
        "card": serializers.DictField(
            required=False, help_text="number, exp_month, exp_year, cvc; or token"
        ),
        "sepa_debit": serializers.DictField(required=False, help_text="iban"),
        "us_bank_account": serializers.DictField(required=False),
        "billing_details": serializers.DictField(required=False),
        "metadata": serializers.DictField(child=serializers.CharField(), required=False),
    },
)
ATTACH_REQUEST = inline_serializer(
    name="PaymentMethodAttachRequest", fields={"customer": serializers.CharField()}
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
GENERIC_REQUEST = inline_serializer(
    name="PaymentMethodParams", fields={"metadata": serializers.DictField(required=False)}
)


class _CustomerScoped(ApiView):
    resource = "payment_methods"

    def _customer(self, customer_id: str) -> Customer:
        customer = customer_get(account=self.account, customer_id=customer_id)
        if customer is None:
            raise ResourceMissingError("customer", customer_id)
        return customer

    def _row(self, row_id: str, *, customer: Customer | None = None, kind: str = "PaymentMethod"):
        rows = PaymentMethod.objects.filter(account=self.account, id=row_id)
        if customer is not None:
            rows = rows.filter(customer=customer)
        row = rows.first()
        if row is None:
            raise ResourceMissingError(kind, row_id)
        return row


class PaymentMethodListApi(_CustomerScoped):
    @extend_schema(
        operation_id="GetPaymentMethods",
        summary="List payment methods",
        responses={200: list_object("PaymentMethodList", PaymentMethodSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, LIST_PARAMS | {"customer", "type"})
        rows = PaymentMethod.objects.filter(
            account=self.account, source_object=SourceObject.PAYMENT_METHOD
        )
        customer_id = get_str(self.params, "customer", max_length=64)
        if customer_id:
            rows = PaymentMethod.objects.filter(
                account=self.account, customer=self._customer(customer_id)
            )
        kind = get_str(self.params, "type", choices=list(PaymentMethodType.values))
        if kind:
            rows = rows.filter(type=kind)
        return self.respond(
            paginate(
                rows,
                self.params,
                url="/v1/payment_methods",
                render=lambda pm: payment_method_render(pm, as_payment_method=True),
            )
        )

    @extend_schema(
        operation_id="PostPaymentMethods",
        summary="Create a payment method",
        request=PM_CREATE_REQUEST,
        responses={200: PaymentMethodSchema},
    )
    def post(self, request):
        reject_unknown(self.params, PM_CREATE_PARAMS)
        row = payment_method_create(account=self.account, params=self.params, actor=self.actor)
        return self.respond(payment_method_render(row))


class PaymentMethodDetailApi(_CustomerScoped):
    @extend_schema(
        operation_id="GetPaymentMethodsPaymentMethod",
        summary="Retrieve a payment method",
        responses={200: PaymentMethodSchema},
    )
    def get(self, request, payment_method: str):
        reject_unknown(self.params, set())
        return self.respond(
            payment_method_render(self._row(payment_method), as_payment_method=True)
        )

    @extend_schema(
        operation_id="PostPaymentMethodsPaymentMethod",
        summary="Update a payment method",
        request=GENERIC_REQUEST,
        responses={200: PaymentMethodSchema},
    )
    def post(self, request, payment_method: str):
        reject_unknown(self.params, PM_UPDATE_PARAMS)
        self._row(payment_method)
        row = payment_method_update(
            account=self.account,
            payment_method_id=payment_method,
            params=self.params,
            actor=self.actor,
        )
        return self.respond(payment_method_render(row, as_payment_method=True))


class PaymentMethodAttachApi(_CustomerScoped):
    @extend_schema(
        operation_id="PostPaymentMethodsPaymentMethodAttach",
        summary="Attach a payment method to a customer",
        request=ATTACH_REQUEST,
        responses={200: PaymentMethodSchema},
    )
    def post(self, request, payment_method: str):
        reject_unknown(self.params, {"customer"})
        if not is_test_payment_method(payment_method):
            self._row(payment_method)
        customer = self._customer(get_str(self.params, "customer", required=True, max_length=64))
        row = payment_method_attach(
            account=self.account,
            payment_method_id=payment_method,
            customer=customer,
            actor=self.actor,
        )
        return self.respond(payment_method_render(row))


class PaymentMethodDetachApi(_CustomerScoped):
    @extend_schema(
        operation_id="PostPaymentMethodsPaymentMethodDetach",
        summary="Detach a payment method from its customer",
        request=GENERIC_REQUEST,
        responses={200: PaymentMethodSchema},
    )
    def post(self, request, payment_method: str):
        reject_unknown(self.params, set())
        self._row(payment_method)
        row = payment_method_detach(
            account=self.account, payment_method_id=payment_method, actor=self.actor
        )
        return self.respond(payment_method_render(row))


class CustomerPaymentMethodListApi(_CustomerScoped):
    @extend_schema(
        operation_id="GetCustomersCustomerPaymentMethods",
        summary="List a customer's payment methods (sources included)",
        responses={200: list_object("CustomerPaymentMethodList", PaymentMethodSchema)},
    )
    def get(self, request, customer: str):
        reject_unknown(self.params, LIST_PARAMS | {"type"})
        owner = self._customer(customer)
        rows = PaymentMethod.objects.filter(account=self.account, customer=owner)
        kind = get_str(self.params, "type", choices=list(PaymentMethodType.values))
        if kind:
            rows = rows.filter(type=kind)
        return self.respond(
            paginate(
                rows,
                self.params,
                url=f"/v1/customers/{owner.id}/payment_methods",
                render=lambda pm: payment_method_render(pm, as_payment_method=True),
            )
        )


class CustomerPaymentMethodDetailApi(_CustomerScoped):
    @extend_schema(
        operation_id="GetCustomersCustomerPaymentMethodsPaymentMethod",
        summary="Retrieve a customer's payment method",
        responses={200: PaymentMethodSchema},
    )
    def get(self, request, customer: str, payment_method: str):
        reject_unknown(self.params, set())
        row = self._row(payment_method, customer=self._customer(customer))
        return self.respond(payment_method_render(row, as_payment_method=True))


class CustomerSourceListApi(_CustomerScoped):
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
            source=self.params.get("source"),
            metadata=get_metadata(self.params),
            actor=self.actor,
        )
        return self.respond(payment_method_render(row))


class CustomerSourceDetailApi(_CustomerScoped):
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
            params=self.params,
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


class CustomerSourceVerifyApi(_CustomerScoped):
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


class SourceCreateApi(_CustomerScoped):
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
                source_create(account=self.account, params=self.params, actor=self.actor)
            )
        )


class SourceDetailApi(_CustomerScoped):
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
        params = dict(self.params)
        if isinstance(params.get("owner"), dict):
            params["billing_details"] = params.pop("owner")
        row = payment_method_update(
            account=self.account, payment_method_id=source, params=params, actor=self.actor
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
        reject_unknown(self.params, {"card", "bank_account", "customer"})
        token, row = token_create(account=self.account, params=self.params, actor=self.actor)
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
