"""A customer's balance transactions, notes and tax ids (``/v1/customers/:id/…``)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.core.api.pagination import (
    created_filter,
    paginate,
)
from apps.core.api.params import get_int, get_metadata, get_str, reject_unknown
from apps.core.api.schema import list_object, object_schema
from apps.core.errors import ResourceMissingError
from apps.customers.api.views import DELETED, LIST_PARAMS, PARAMS, CustomerApi
from apps.customers.render import (
    balance_transaction_render,
    note_render,
    tax_id_render,
)
from apps.customers.selectors import (
    balance_transaction_list,
    note_list,
    tax_id_list,
)
from apps.customers.services import (
    balance_transaction_update,
    customer_balance_adjust,
    note_create,
    note_delete,
    note_update,
    tax_id_create,
    tax_id_delete,
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


class BalanceTransactionListApi(CustomerApi):
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


class BalanceTransactionDetailApi(CustomerApi):
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


class NoteListApi(CustomerApi):
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


class NoteDetailApi(CustomerApi):
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


class TaxIdListApi(CustomerApi):
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


class TaxIdDetailApi(CustomerApi):
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
