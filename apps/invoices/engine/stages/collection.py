"""``payments.collection``: how and when a finalized invoice is collected (pure).

- ``account_default`` (the default): the invoice's own collection method and days until due
  (the subscription's or the account's), and the account's retry plan.
- ``send_invoice_above``: an invoice whose amount due is above ``amount`` is sent, with
  ``days_until_due`` days to pay, instead of charged; others as ``account_default``. The retry
  plan stays the account's.

A retry plan other than the account's is kept on the invoice, and its failed payments are
retried on it (apps.collections.attempts).
"""

from apps.invoices.engine.stages.types import ConfigField, Implementation

STAGE = "payments.collection"


def account_default(request: dict, config: dict) -> dict:
    return {
        "collection_method": request["collection_method"],
        "days_until_due": request["days_until_due"],
        "retry_plan": request["account"]["retry_plan"],
    }


def send_invoice_above(request: dict, config: dict) -> dict:
    if request["amount_due"] > config["amount"]:
        return {
            "collection_method": "send_invoice",
            "days_until_due": config["days_until_due"],
            "retry_plan": request["account"]["retry_plan"],
        }
    return account_default(request, config)


def check(request: dict, output: dict) -> str:
    if output["collection_method"] == "send_invoice" and output["days_until_due"] is None:
        return "An invoice that is sent needs days_until_due."
    return ""


IMPLEMENTATIONS = (
    Implementation(
        stage=STAGE,
        key="account_default",
        version=1,
        title="The account's collection",
        description="Charge or send as the subscription and account say.",
        config=(),
        run=account_default,
    ),
    Implementation(
        stage=STAGE,
        key="send_invoice_above",
        version=1,
        title="Send large invoices",
        description="Invoices above an amount are sent with days to pay instead of charged.",
        config=(
            ConfigField(
                name="amount",
                kind="monetary_amount",
                label="Amount",
                default=0,
                help="Invoices whose amount due is above this are sent.",
            ),
            ConfigField(
                name="days_until_due",
                kind="integer",
                label="Days until due",
                default=30,
                help="Days the customer has to pay a sent invoice.",
            ),
        ),
        run=send_invoice_above,
    ),
)
