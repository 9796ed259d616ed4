"""``/v1/payment_methods`` and ``/v1/customers/:id/payment_methods``; the sources and tokens
backed by the same model are in ``sources.py``."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.core.api.pagination import paginate
from apps.core.api.params import (
    get_str,
    reject_unknown,
)
from apps.core.api.schema import list_object, object_schema
from apps.core.api.views import ApiView
from apps.core.errors import ResourceMissingError
from apps.customers.api.payment_method_params import (
    payment_method_create_parse,
    payment_method_update_parse,
)
from apps.customers.enums import PaymentMethodType, SourceObject
from apps.customers.models import Customer, PaymentMethod
from apps.customers.payment_method_render import payment_method_render
from apps.customers.selectors import customer_get
from apps.customers.services.payment_methods import (
    is_test_payment_method,
    payment_method_attach,
    payment_method_create,
    payment_method_detach,
    payment_method_update,
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
GENERIC_REQUEST = inline_serializer(
    name="PaymentMethodParams", fields={"metadata": serializers.DictField(required=False)}
)


class CustomerScoped(ApiView):
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


class PaymentMethodListApi(CustomerScoped):
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
        row = payment_method_create(
            account=self.account,
            request=payment_method_create_parse(self.params),
            actor=self.actor,
        )
        return self.respond(payment_method_render(row))


class PaymentMethodDetailApi(CustomerScoped):
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
            change=payment_method_update_parse(self.params),
            actor=self.actor,
        )
        return self.respond(payment_method_render(row, as_payment_method=True))


class PaymentMethodAttachApi(CustomerScoped):
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


class PaymentMethodDetachApi(CustomerScoped):
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


class CustomerPaymentMethodListApi(CustomerScoped):
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


class CustomerPaymentMethodDetailApi(CustomerScoped):
    @extend_schema(
        operation_id="GetCustomersCustomerPaymentMethodsPaymentMethod",
        summary="Retrieve a customer's payment method",
        responses={200: PaymentMethodSchema},
    )
    def get(self, request, customer: str, payment_method: str):
        reject_unknown(self.params, set())
        row = self._row(payment_method, customer=self._customer(customer))
        return self.respond(payment_method_render(row, as_payment_method=True))
