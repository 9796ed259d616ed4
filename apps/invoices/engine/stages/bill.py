"""``billing.compute_bill``: an invoice's totals from its lines (pure).

``standard`` (the default) taxes each line on its amount after its discounts (``net``), with the
rates the line names, each rounded by ``round_minor`` on its own:

- an inclusive rate ``p`` is inside the amount already: its tax is
  ``round(net × p / (100 + P))``, ``P`` the sum of the line's inclusive rates (for one rate,
  ``net − net / (1 + p/100)``), and it adds nothing to the total;
- an exclusive rate ``p`` adds ``round(taxable × p / 100)`` to the total, ``taxable`` being
  the net less the line's inclusive taxes (the net itself with no inclusive rate).

Every rate on a line reports that ``taxable`` as its ``taxable_amount``. ``subtotal`` is the sum
of the lines; ``subtotal_excluding_tax`` the same with each line's inclusive tax on its amount
before discounts taken out; ``total_discount_amounts`` sums what each discount takes from the
lines (in the order the discounts first appear); ``tax`` is every line's taxes;
``total = subtotal − discounts + exclusive taxes`` and ``total_excluding_tax = total − tax``.
With no tax rates the tax is 0 and ``total = subtotal − discounts``.
"""

from fractions import Fraction

from apps.core.money import round_minor
from apps.invoices.engine.stages.types import Implementation

STAGE = "billing.compute_bill"


def line_taxes(net: int, rates: list[dict]) -> list[dict]:
    """The taxes of one line of ``net`` (its amount after discounts) under ``rates``
    (``{"id", "percentage", "inclusive"}``), in the order given."""
    inclusive_sum = sum(
        (Fraction(rate["percentage"]) for rate in rates if rate["inclusive"]), Fraction(0)
    )
    inclusive = {
        rate["id"]: round_minor(net * Fraction(rate["percentage"]) / (100 + inclusive_sum))
        for rate in rates
        if rate["inclusive"]
    }
    taxable = net - sum(inclusive.values())
    return [
        {
            "tax_rate": rate["id"],
            "amount": inclusive[rate["id"]]
            if rate["inclusive"]
            else round_minor(taxable * Fraction(rate["percentage"]) / 100),
            "inclusive": rate["inclusive"],
            "taxable_amount": taxable,
        }
        for rate in rates
    ]


def _totals_by_rate(taxed: list[list[dict]]) -> list[dict]:
    by_rate: dict[str, dict] = {}
    for taxes in taxed:
        for tax in taxes:
            entry = by_rate.setdefault(tax["tax_rate"], {**tax, "amount": 0, "taxable_amount": 0})
            entry["amount"] += tax["amount"]
            entry["taxable_amount"] += tax["taxable_amount"]
    return list(by_rate.values())


def standard(request: dict, config: dict) -> dict:
    rates = {rate["id"]: rate for rate in request["tax_rates"]}
    subtotal = sum(line["amount"] for line in request["lines"])
    by_discount: dict[str | None, int] = {}
    taxed, excluding = [], 0
    for line in request["lines"]:
        taken = 0
        for entry in line["discount_amounts"]:
            by_discount[entry["discount"]] = by_discount.get(entry["discount"], 0) + entry["amount"]
            taken += entry["amount"]
        line_rates = [rates[rate_id] for rate_id in line["tax_rates"]]
        taxed.append(line_taxes(line["amount"] - taken, line_rates))
        before_discounts = line_taxes(line["amount"], line_rates)
        excluding += line["amount"] - sum(t["amount"] for t in before_discounts if t["inclusive"])
    tax = sum(t["amount"] for taxes in taxed for t in taxes)
    added = sum(t["amount"] for taxes in taxed for t in taxes if not t["inclusive"])
    total = subtotal - sum(by_discount.values()) + added
    return {
        "subtotal": subtotal,
        "subtotal_excluding_tax": excluding,
        "total_discount_amounts": [
            {"discount": discount, "amount": amount} for discount, amount in by_discount.items()
        ],
        "total_excluding_tax": total - tax,
        "tax": tax,
        "total_tax_amounts": _totals_by_rate(taxed),
        "lines": [
            {"id": line["id"], "tax_amounts": taxes}
            for line, taxes in zip(request["lines"], taxed, strict=True)
        ],
        "total": total,
    }


def check(request: dict, output: dict) -> str:
    """The output's lines are the input's, in order, each taxed only by rates it names, and the
    totals add up."""
    if [line["id"] for line in output["lines"]] != [line["id"] for line in request["lines"]]:
        return "The output lists other lines than the input."
    for line, out in zip(request["lines"], output["lines"], strict=True):
        if any(tax["tax_rate"] not in line["tax_rates"] for tax in out["tax_amounts"]):
            return f"Line {line['id']} is taxed by a rate it does not name."
    if output["tax"] != sum(t["amount"] for line in output["lines"] for t in line["tax_amounts"]):
        return "tax is not the sum of the lines' taxes."
    if output["total_excluding_tax"] != output["total"] - output["tax"]:
        return "total_excluding_tax is not total − tax."
    return ""


IMPLEMENTATIONS = (
    Implementation(
        stage=STAGE,
        key="standard",
        version=1,
        title="Standard totals",
        description="Subtotal less discounts, plus exclusive taxes; taxes per line.",
        config=(),
        run=standard,
    ),
)
