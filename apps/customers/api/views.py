"""``/v1/customers`` and its nested ledgers, notes and tax ids."""

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, inline_serializer
from rest_framework import serializers

from apps.core import search
from apps.core.api.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    created_filter,
    paginate,
)
from apps.core.api.params import get_int, get_list, get_metadata, get_str, reject_unknown
from apps.core.api.schema import list_object, object_schema, search_result
from apps.core.api.views import ApiView
from apps.core.errors import ResourceMissingError
from apps.customers.models import Customer
from apps.customers.payment_method_render import payment_method_render
from apps.customers.render import (
    balance_transaction_render,
    customer_render,
    note_render,
    tax_id_render,
)
from apps.customers.selectors import (
    balance_transaction_list,
    customer_get,
    customer_list,
    customer_search,
    note_list,
    tax_id_list,
)
from apps.customers.services import (
    balance_transaction_update,
    customer_balance_adjust,
    customer_create,
    customer_delete,
    customer_update,
    note_create,
    note_delete,
    note_update,
    tax_id_create,
    tax_id_delete,
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
BalanceTransactionSchema = object_schema(
    "CustomerBalanceTransaction",
    "customer_balance_transaction",
    amount=serializers.IntegerField(),
    currency=serializers.CharField(),
    ending_balance=serializers.IntegerField(),
    type=serializers.CharField(),
)
NoteSchema = object_schema(
    "CustomerNote", "customer_note", body=serializers.CharField(), author=serializers.DictField()
)
TaxIdSchema = object_schema(
    "TaxId", "tax_id", type=serializers.CharField(), value=serializers.CharField()
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


def _render_customer(view: ApiView, customer: Customer, *, balance: int | None = None) -> dict:
    data = customer_render(customer, balance=balance)
    expand = get_list(view.params, "expand")
    if "sources" in expand and customer.deleted_at is None:
        rows = customer.payment_methods.exclude(source_object="payment_method").order_by("-id")
        data["sources"] = {
            "object": "list",
            "data": [payment_method_render(row) for row in rows[:MAX_LIMIT]],
            "has_more": False,
            "url": f"/v1/customers/{customer.id}/sources",
        }
    if "tax_ids" in expand and customer.deleted_at is None:
        data["tax_ids"] = {
            "object": "list",
            "data": [tax_id_render(row) for row in customer.tax_ids.order_by("-id")[:MAX_LIMIT]],
            "has_more": False,
            "url": f"/v1/customers/{customer.id}/tax_ids",
        }
    return data


class _CustomerApi(ApiView):
    resource = "customers"

    def _customer(self, customer_id: str) -> Customer:
        customer = customer_get(account=self.account, customer_id=customer_id)
        if customer is None:
            raise ResourceMissingError("customer", customer_id)
        return customer


class CustomerListApi(_CustomerApi):
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
        customer = customer_create(account=self.account, params=self.params, actor=self.actor)
        # A new customer's balance is the initial one, if any: no need to read the ledger.
        initial = None if self.params.get("balance") else 0
        return self.respond(_render_customer(self, customer, balance=initial))


class CustomerSearchApi(_CustomerApi):
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


class CustomerDetailApi(_CustomerApi):
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
        return self.respond(_render_customer(self, row))

    @extend_schema(
        operation_id="PostCustomersCustomer",
        summary="Update a customer",
        request=PARAMS,
        responses={200: CustomerSchema},
    )
    def post(self, request, customer: str):
        reject_unknown(self.params, UPDATE_PARAMS)
        row = customer_update(
            account=self.account, customer_id=customer, params=self.params, actor=self.actor
        )
        return self.respond(_render_customer(self, row))

    @extend_schema(
        operation_id="DeleteCustomersCustomer",
        summary="Delete a customer",
        responses={200: DELETED},
    )
    def delete(self, request, customer: str):
        reject_unknown(self.params, set())
        row = customer_delete(account=self.account, customer_id=customer, actor=self.actor)
        return self.respond({"id": row.id, "object": "customer", "deleted": True})


class BalanceTransactionListApi(_CustomerApi):
    @extend_schema(
        operation_id="GetCustomersCustomerBalanceTransactions",
        summary="List a customer's balance transactions",
        responses={200: list_object("CustomerBalanceTransactionList", BalanceTransactionSchema)},
    )
    def get(self, request, customer: str):
        reject_unknown(self.params, LIST_PARAMS | {"created"})
        owner = self._customer(customer)
        rows = created_filter(
            balance_transaction_list(account=self.account, customer=owner), self.params
        )
        return self.respond(
            paginate(
                rows.select_related("account"),
                self.params,
                url=f"/v1/customers/{owner.id}/balance_transactions",
                render=balance_transaction_render,
            )
        )

    @extend_schema(
        operation_id="PostCustomersCustomerBalanceTransactions",
        summary="Adjust a customer's balance (negative amounts credit the customer)",
        request=PARAMS,
        responses={200: BalanceTransactionSchema},
    )
    def post(self, request, customer: str):
        reject_unknown(self.params, {"amount", "currency", "description", "metadata"})
        row = customer_balance_adjust(
            account=self.account,
            customer=self._customer(customer),
            amount=get_int(self.params, "amount", required=True),
            currency=get_str(self.params, "currency", required=True, max_length=3),
            description=get_str(self.params, "description", max_length=350) or "",
            metadata=get_metadata(self.params),
            actor=self.actor,
        )
        return self.respond(balance_transaction_render(row))


class BalanceTransactionDetailApi(_CustomerApi):
    def _row(self, customer: str, transaction: str):
        owner = self._customer(customer)
        row = (
            balance_transaction_list(account=self.account, customer=owner)
            .filter(id=transaction)
            .first()
        )
        if row is None:
            raise ResourceMissingError("customer balance transaction", transaction)
        return owner, row

    @extend_schema(
        operation_id="GetCustomersCustomerBalanceTransactionsTransaction",
        summary="Retrieve a customer balance transaction",
        responses={200: BalanceTransactionSchema},
    )
    def get(self, request, customer: str, transaction: str):
        reject_unknown(self.params, set())
        return self.respond(balance_transaction_render(self._row(customer, transaction)[1]))

    @extend_schema(
        operation_id="PostCustomersCustomerBalanceTransactionsTransaction",
        summary="Update a balance transaction's description or metadata",
        request=PARAMS,
        responses={200: BalanceTransactionSchema},
    )
    def post(self, request, customer: str, transaction: str):
        reject_unknown(self.params, {"description", "metadata"})
        owner, _ = self._row(customer, transaction)
        row = balance_transaction_update(
            account=self.account,
            customer=owner,
            transaction_id=transaction,
            description=get_str(self.params, "description", max_length=350),
            metadata=get_metadata(self.params),
            actor=self.actor,
        )
        return self.respond(balance_transaction_render(row))


class NoteListApi(_CustomerApi):
    @extend_schema(
        operation_id="GetCustomersCustomerNotes",
        summary="List notes on a customer",
        responses={200: list_object("CustomerNoteList", NoteSchema)},
    )
    def get(self, request, customer: str):
        reject_unknown(self.params, LIST_PARAMS)
        owner = self._customer(customer)
        return self.respond(
            paginate(
                note_list(account=self.account, customer=owner),
                self.params,
                url=f"/v1/customers/{owner.id}/notes",
                render=note_render,
            )
        )

    @extend_schema(
        operation_id="PostCustomersCustomerNotes",
        summary="Write a note on a customer",
        request=inline_serializer(name="NoteRequest", fields={"body": serializers.CharField()}),
        responses={200: NoteSchema},
    )
    def post(self, request, customer: str):
        reject_unknown(self.params, {"body"})
        note = note_create(
            account=self.account,
            customer=self._customer(customer),
            body=self.params.get("body"),
            actor=self.actor,
        )
        return self.respond(note_render(note))


class NoteDetailApi(_CustomerApi):
    def _note(self, customer: str, note: str):
        owner = self._customer(customer)
        row = note_list(account=self.account, customer=owner).filter(id=note).first()
        if row is None:
            raise ResourceMissingError("note", note)
        return owner, row

    @extend_schema(
        operation_id="GetCustomersCustomerNotesNote",
        summary="Retrieve a note",
        responses={200: NoteSchema},
    )
    def get(self, request, customer: str, note: str):
        reject_unknown(self.params, set())
        return self.respond(note_render(self._note(customer, note)[1]))

    @extend_schema(
        operation_id="PostCustomersCustomerNotesNote",
        summary="Edit a note",
        request=inline_serializer(
            name="NoteUpdateRequest", fields={"body": serializers.CharField()}
        ),
        responses={200: NoteSchema},
    )
    def post(self, request, customer: str, note: str):
        reject_unknown(self.params, {"body"})
        owner, _ = self._note(customer, note)
        row = note_update(
            account=self.account,
            customer=owner,
            note_id=note,
            body=self.params.get("body"),
            actor=self.actor,
        )
        return self.respond(note_render(row))

    @extend_schema(
        operation_id="DeleteCustomersCustomerNotesNote",
        summary="Delete a note",
        responses={200: DELETED},
    )
    def delete(self, request, customer: str, note: str):
        reject_unknown(self.params, set())
        owner, _ = self._note(customer, note)
        note_delete(account=self.account, customer=owner, note_id=note, actor=self.actor)
        return self.respond({"id": note, "object": "customer_note", "deleted": True})


class TaxIdListApi(_CustomerApi):
    @extend_schema(
        operation_id="GetCustomersCustomerTaxIds",
        summary="List a customer's tax ids",
        responses={200: list_object("TaxIdList", TaxIdSchema)},
    )
    def get(self, request, customer: str):
        reject_unknown(self.params, LIST_PARAMS)
        owner = self._customer(customer)
        return self.respond(
            paginate(
                tax_id_list(account=self.account, customer=owner).select_related("account"),
                self.params,
                url=f"/v1/customers/{owner.id}/tax_ids",
                render=tax_id_render,
            )
        )

    @extend_schema(
        operation_id="PostCustomersCustomerTaxIds",
        summary="Add a tax id to a customer",
        request=inline_serializer(
            name="TaxIdRequest",
            fields={"type": serializers.CharField(), "value": serializers.CharField()},
        ),
        responses={200: TaxIdSchema},
    )
    def post(self, request, customer: str):
        reject_unknown(self.params, {"type", "value"})
        row = tax_id_create(
            account=self.account,
            customer=self._customer(customer),
            type=self.params.get("type"),
            value=self.params.get("value"),
            actor=self.actor,
        )
        return self.respond(tax_id_render(row))


class TaxIdDetailApi(_CustomerApi):
    @extend_schema(
        operation_id="GetCustomersCustomerTaxIdsId",
        summary="Retrieve a tax id",
        responses={200: TaxIdSchema},
    )
    def get(self, request, customer: str, id: str):
        reject_unknown(self.params, set())
        row = (
            tax_id_list(account=self.account, customer=self._customer(customer))
            .filter(id=id)
            .first()
        )
        if row is None:
            raise ResourceMissingError("tax_id", id)
        return self.respond(tax_id_render(row))

    @extend_schema(
        operation_id="DeleteCustomersCustomerTaxIdsId",
        summary="Delete a tax id",
        responses={200: DELETED},
    )
    def delete(self, request, customer: str, id: str):
        reject_unknown(self.params, set())
        tax_id_delete(
            account=self.account, customer=self._customer(customer), tax_id_id=id, actor=self.actor
        )
        return self.respond({"id": id, "object": "tax_id", "deleted": True})
