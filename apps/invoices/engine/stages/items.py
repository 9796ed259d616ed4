"""``billing.recurring_billing_item_handling``: whether each recurring line a renewal is about
to invoice is created (pure).

- ``create_all`` (the default): every line is created.
- ``skip_zero_amount``: a line of amount 0 is skipped (reason ``zero_amount``); the rest are
  created.
"""

from apps.invoices.engine.stages.types import Implementation

STAGE = "billing.recurring_billing_item_handling"


def create_all(request: dict, config: dict) -> dict:
    return {
        "items": [
            {"id": item["id"], "strategy": "create", "reason": ""} for item in request["items"]
        ]
    }


def skip_zero_amount(request: dict, config: dict) -> dict:
    return {
        "items": [
            {"id": item["id"], "strategy": "skip", "reason": "zero_amount"}
            if item["amount"] == 0
            else {"id": item["id"], "strategy": "create", "reason": ""}
            for item in request["items"]
        ]
    }


def check(request: dict, output: dict) -> str:
    """One decision for each line of the input, and none for anything else."""
    given = sorted(item["id"] for item in request["items"])
    decided = sorted(item["id"] for item in output["items"])
    return "" if given == decided else "The decisions do not match the input's lines one to one."


IMPLEMENTATIONS = (
    Implementation(
        stage=STAGE,
        key="create_all",
        version=1,
        title="Create every item",
        description="Every recurring line is invoiced.",
        config=(),
        run=create_all,
    ),
    Implementation(
        stage=STAGE,
        key="skip_zero_amount",
        version=1,
        title="Skip zero-amount items",
        description="Recurring lines of amount 0 are left off the invoice.",
        config=(),
        run=skip_zero_amount,
    ),
)
