"""``/v1/balance`` and ``/v1/balance_transactions``."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.core.api.pagination import created_filter, equal_filters, paginate
from apps.core.api.params import (
    reject_unknown,
)
from apps.core.api.schema import list_object, object_schema
from apps.core.api.views import ApiView
from apps.core.errors import ResourceMissingError
from apps.payments.api.common import (
    LIST_PARAMS,
)
from apps.payments.render import (
    balance_transaction_render,
)
from apps.payments.selectors import (
    balance,
    balance_transaction_list,
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
                # Held for connected accounts' negative balances: Ledgerline holds none.
                "connect_reserved": [
                    {"amount": 0, "currency": c} for c, v in sorted(totals.items())
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
