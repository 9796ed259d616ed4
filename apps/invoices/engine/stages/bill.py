"""``billing.compute_bill``: an invoice's totals from its lines (pure).

``standard`` (the default): ``subtotal`` is the sum of the lines; ``total_discount_amounts``
sums what each discount takes from the lines (in the order the discounts first appear);
``total_excluding_tax = subtotal − discounts``; each exclusive tax rate adds
``round(total_excluding_tax × percentage / 100)`` to ``tax`` and to the total, each inclusive
one adds ``round(total_excluding_tax × percentage / (100 + percentage))`` to ``tax`` only (it is
inside the amounts already); ``total = total_excluding_tax + exclusive tax``. With no tax rates
(today) the tax is 0 and ``total = subtotal − discounts``.
"""

from fractions import Fraction

from apps.core.money import round_minor
from apps.invoices.engine.stages.types import Implementation

STAGE = "billing.compute_bill"


def standard(request: dict, config: dict) -> dict:
    subtotal = sum(line["amount"] for line in request["lines"])
    by_discount: dict[str | None, int] = {}
    for line in request["lines"]:
        for entry in line["discount_amounts"]:
            by_discount[entry["discount"]] = by_discount.get(entry["discount"], 0) + entry["amount"]
    excluding_tax = subtotal - sum(by_discount.values())
    tax = added = 0
    for rate in request["tax_rates"]:
        percentage = Fraction(rate["percentage"])
        if rate["inclusive"]:
            tax += round_minor(excluding_tax * percentage / (100 + percentage))
        else:
            share = round_minor(excluding_tax * percentage / 100)
            tax += share
            added += share
    return {
        "subtotal": subtotal,
        "total_discount_amounts": [
            {"discount": discount, "amount": amount} for discount, amount in by_discount.items()
        ],
        "total_excluding_tax": excluding_tax,
        "tax": tax,
        "total": excluding_tax + added,
    }


IMPLEMENTATIONS = (
    Implementation(
        stage=STAGE,
        key="standard",
        version=1,
        title="Standard totals",
        description="Subtotal less discounts, plus exclusive taxes.",
        config=(),
        run=standard,
    ),
)
