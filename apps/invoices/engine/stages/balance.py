"""``billing.customer_balance_application``: how much of the customer's balance an invoice takes
(pure). The balance is Stripe's: negative is credit the customer holds, positive is what they
owe. The output's ``balance_change`` is what moves onto the balance, so
``amount_due = total − balance_change`` and ``ending_balance = customer_balance + balance_change``.
Rounding a three-decimal currency and the minimum charge come after, on ``amount_due``
(apps.invoices.engine.settlement).

- ``apply_all`` (the default, Stripe's): a credit invoice (negative total) puts its total on the
  balance; otherwise credit is applied up to the total, or what the customer owes is added.
- ``keep_reserve``: as ``apply_all``, but credit is applied only beyond ``reserve`` (the customer
  keeps that much credit).
- ``minimum_before_collection`` (Stripe's script of that name): when the total owed (the
  invoice's total plus the balance) is above 0 and under ``minimum``, nothing is due: the total
  is deferred to the customer's balance for the next period; at or above it, as ``apply_all``.
"""

from apps.invoices.engine.stages.types import ConfigField, Implementation

STAGE = "billing.customer_balance_application"


def _result(request: dict, change: int) -> dict:
    return {
        "balance_change": change,
        "amount_due": request["total"] - change,
        "ending_balance": request["customer_balance"] + change,
    }


def _applied(total: int, balance: int, reserve: int = 0) -> int:
    if total < 0:
        return total
    if balance < 0 and total > 0:
        return min(max(-balance - reserve, 0), total)
    if balance > 0:
        return -balance
    return 0


def apply_all(request: dict, config: dict) -> dict:
    return _result(request, _applied(request["total"], request["customer_balance"]))


def keep_reserve(request: dict, config: dict) -> dict:
    change = _applied(request["total"], request["customer_balance"], config["reserve"])
    return _result(request, change)


def minimum_before_collection(request: dict, config: dict) -> dict:
    total, balance = request["total"], request["customer_balance"]
    if total >= 0 and 0 < total + balance < config["minimum"]:
        return _result(request, total)
    return _result(request, _applied(total, balance))


def check(request: dict, output: dict) -> str:
    if output["amount_due"] != request["total"] - output["balance_change"]:
        return "amount_due is not the total less the balance change."
    if output["ending_balance"] != request["customer_balance"] + output["balance_change"]:
        return "ending_balance is not the balance plus the balance change."
    return ""


IMPLEMENTATIONS = (
    Implementation(
        stage=STAGE,
        key="apply_all",
        version=1,
        title="Apply the whole balance",
        description="Credit is applied up to the total; what the customer owes is added.",
        config=(),
        run=apply_all,
    ),
    Implementation(
        stage=STAGE,
        key="keep_reserve",
        version=1,
        title="Keep a credit reserve",
        description="Credit is applied, but the customer keeps the reserve.",
        config=(
            ConfigField(
                name="reserve",
                kind="monetary_amount",
                label="Reserve",
                default=0,
                help="Credit left on the customer's balance.",
            ),
        ),
        run=keep_reserve,
    ),
    Implementation(
        stage=STAGE,
        key="minimum_before_collection",
        version=1,
        title="Minimum amount before collection",
        description=(
            "When the total owed is under the minimum, it is deferred to the customer's "
            "balance for the next period."
        ),
        config=(
            ConfigField(
                name="minimum",
                kind="monetary_amount",
                label="Minimum",
                default=0,
                help="Totals owed under this amount are carried to the next invoice.",
            ),
        ),
        run=minimum_before_collection,
    ),
)
