"""``/v1/customers`` (its balance transactions, notes and tax ids: ``subresources.py``)."""

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, inline_serializer
from rest_framework import serializers

from apps.core import search
from apps.core.api.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    created_filter,
    paginate,
)
from apps.core.api.params import get_int, get_str, reject_unknown
from apps.core.api.schema import list_object, object_schema, search_result
from apps.core.api.views import ApiView
from apps.core.errors import ResourceMissingError
from apps.customers.api.params import customer_create_parse, customer_update_parse
from apps.customers.models import Customer
from apps.customers.render import (
    customer_render,
)
from apps.customers.selectors import (
    customer_get,
    customer_list,
    customer_search,
)
from apps.customers.services import (
    customer_create,
    customer_delete,
    customer_update,
)

CUSTOMER_FIELDS = {
    "address",
    "description",
    "email",
    "invoice_prefix",
    "invoice_settings",
    "metadata",
    "name",
    "phone",
    "preferred_locales",
    "shipping",
    "tax_exempt",
}
CREATE_PARAMS = CUSTOMER_FIELDS | {
    "balance",
    "currency",
    "payment_method",
    "source",
    "tax_id_data",
    "test_clock",
}
UPDATE_PARAMS = CUSTOMER_FIELDS | {"default_source", "source"}
LIST_PARAMS = {"limit", "starting_after", "ending_before"}


CustomerSchema = object_schema(
    "Customer",
    "customer",
    email=serializers.CharField(allow_null=True),
    name=serializers.CharField(allow_null=True),
    balance=serializers.IntegerField(),
    currency=serializers.CharField(allow_null=True),
    default_source=serializers.CharField(allow_null=True),
    invoice_settings=serializers.DictField(),
    metadata=serializers.DictField(child=serializers.CharField()),
    created=serializers.IntegerField(),
    livemode=serializers.BooleanField(),
    test_clock=serializers.CharField(allow_null=True),
)
DELETED = inline_serializer(
    name="DeletedObject",
    fields={
        "id": serializers.CharField(),
        "object": serializers.CharField(),
        "deleted": serializers.BooleanField(),
    },
)
CUSTOMER_OR_DELETED = PolymorphicProxySerializer(
    component_name="CustomerOrDeleted",
    serializers=[CustomerSchema, DELETED],
    resource_type_field_name=None,
)
SEARCH_RESULT = search_result("CustomerSearchResult", CustomerSchema)
PARAMS = inline_serializer(
    name="CustomerParams", fields={"metadata": serializers.DictField(required=False)}
)


class CustomerApi(ApiView):
    resource = "customers"

    def _customer(self, customer_id: str) -> Customer:
        customer = customer_get(account=self.account, customer_id=customer_id)
        if customer is None:
            raise ResourceMissingError("customer", customer_id)
        return customer


class CustomerListApi(CustomerApi):
    @extend_schema(
        operation_id="GetCustomers",
        summary="List customers",
        responses={200: list_object("CustomerList", CustomerSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, LIST_PARAMS | {"email", "created", "test_clock"})
        customers = created_filter(
            customer_list(
                account=self.account,
                email=get_str(self.params, "email", max_length=512),
                test_clock=get_str(self.params, "test_clock", max_length=64),
            ),
            self.params,
        )
        return self.respond(
            paginate(
                customers.select_related("account"),
                self.params,
                url="/v1/customers",
                render=customer_render,
            )
        )

    @extend_schema(
        operation_id="PostCustomers",
        summary="Create a customer",
        request=PARAMS,
        responses={200: CustomerSchema},
    )
    def post(self, request):
        reject_unknown(self.params, CREATE_PARAMS)
        customer = customer_create(
            account=self.account, **customer_create_parse(self.params), actor=self.actor
        )
        # A new customer's balance is the initial one, if any: no need to read the ledger.
        initial = None if self.params.get("balance") else 0
        return self.respond(customer_render(customer, balance=initial))


class CustomerSearchApi(CustomerApi):
    @extend_schema(
        operation_id="GetCustomersSearch",
        summary="Search customers",
        responses={200: SEARCH_RESULT},
    )
    def get(self, request):
        reject_unknown(self.params, {"query", "limit", "page"})
        query = search.parse(get_str(self.params, "query", required=True, max_length=2000))
        limit = get_int(self.params, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
        rows = customer_search(account=self.account, query=query).select_related("account")
        return self.respond(
            search.search_page(
                rows,
                limit=limit,
                page=get_str(self.params, "page", max_length=200),
                prefix="cus",
                url="/v1/customers/search",
                render=customer_render,
            )
        )


class CustomerDetailApi(CustomerApi):
    @extend_schema(
        operation_id="GetCustomersCustomer",
        summary="Retrieve a customer (a deleted one answers its deleted stub)",
        responses={200: CUSTOMER_OR_DELETED},
    )
    def get(self, request, customer: str):
        reject_unknown(self.params, set())
        row = customer_get(account=self.account, customer_id=customer, include_deleted=True)
        if row is None:
            raise ResourceMissingError("customer", customer)
        return self.respond(customer_render(row))

    @extend_schema(
        operation_id="PostCustomersCustomer",
        summary="Update a customer",
        request=PARAMS,
        responses={200: CustomerSchema},
    )
    def post(self, request, customer: str):
        reject_unknown(self.params, UPDATE_PARAMS)
        row = customer_update(
            account=self.account,
            customer_id=customer,
            **customer_update_parse(self.params),
            actor=self.actor,
        )
        return self.respond(customer_render(row))

    @extend_schema(
        operation_id="DeleteCustomersCustomer",
        summary="Delete a customer",
        responses={200: DELETED},
    )
    def delete(self, request, customer: str):
        reject_unknown(self.params, set())
        row = customer_delete(account=self.account, customer_id=customer, actor=self.actor)
        return self.respond({"id": row.id, "object": "customer", "deleted": True})
