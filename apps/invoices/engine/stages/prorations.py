"""``billing.prorations``: the built-in ways of prorating a change (pure).

The input lists the items the change touches, each ``before`` and ``after`` it, inside the
period ``[start, end)`` that holds the change instant ``at``. Every built-in bills the unused
share ``f`` of the period: a credit ``−round(old × f)`` for the terms before and a debit
``+round(new × f)`` for the terms after, each line rounded on its own
(``apps.core.money.round_minor``), where old and new are what a whole period costs
(``period_amount``) times the terms' ``proration_rate``. Nothing is prorated for metered terms,
nor for terms still in trial at ``at``. They differ in ``f`` and in what they keep:

- ``by_second`` (the default): ``f = (end − at) / (end − start)`` in seconds, exact.
- ``custom_interval``: the remaining time and the period are each counted in whole units (days,
  weeks or calendar months), rounded to the nearest unit (half a unit rounds up; the period
  counts at least one unit), and ``f = remaining units / period units`` (at most 1).
- ``none``: no proration lines.
- ``minimum_threshold``: the default's lines, unless their net is a debit under ``minimum``:
  then every line of the change is waived. A net credit is always given; a net at or above the
  minimum is billed unchanged.

What was paid caps every line (``paid_cap``): each item lists what it was charged for the rest
of the period (``paid``: its line on the period's invoice, after discounts, and the debits of
earlier changes, each from its own start to the period's end). A line on terms the item was
charged for (same price and quantity) is no more than the latest such charge prorated to what
is left of it, so a credit never gives back more than was paid for the unused time (a ``once``
coupon spent by the period still discounts its credit), and a change undone at the same
instant nets to nothing (going back to terms already paid for the period costs what they cost).
"""

from collections.abc import Callable
from datetime import UTC, datetime
from fractions import Fraction

from apps.invoices.engine.periods import boundary
from apps.invoices.engine.planner import PRORATION_CREDIT, ItemTerms, change_lines
from apps.invoices.engine.proration import prorate
from apps.invoices.engine.stages.types import ConfigField, Implementation

STAGE = "billing.prorations"
UNITS = ("day", "week", "month")


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _terms(item: str, terms: dict | None) -> ItemTerms | None:
    if terms is None:
        return None
    rate = terms["proration_rate"]
    return ItemTerms(
        item_id=item,
        price_id=terms["price"],
        quantity=terms["quantity"],
        period_amount=terms["period_amount"],
        usage_type=terms["usage_type"],
        trial_end=None if terms["trial_end"] is None else _utc(terms["trial_end"]),
        proration_rate=Fraction(rate["numerator"], rate["denominator"]),
    )


def paid_cap(
    amount: int, terms: dict, paid: list[dict], *, at: int, share_from: Callable[[int], Fraction]
) -> int:
    """``amount`` (a line on ``terms``, negative for a credit) no larger than the latest of the
    item's charges ``paid`` on the same terms, prorated from its start to ``at``
    (``share_from(t)``: the unused share of the period from ``t``)."""
    same = [
        charge
        for charge in paid
        if (charge["price"], charge["quantity"]) == (terms["price"], terms["quantity"])
        and charge["period"]["start"] <= at
    ]
    if not same:
        return amount
    start = max(charge["period"]["start"] for charge in same)
    whole = share_from(start)
    if whole <= 0:
        return amount
    charged = min(charge["amount"] for charge in same if charge["period"]["start"] == start)
    cap = max(prorate(charged, share_from(at) / whole), 0)
    return -min(-amount, cap) if amount < 0 else min(amount, cap)


def lines_at_share(request: dict, share_from: Callable[[int], Fraction]) -> list[dict]:
    """The credit and debit lines of every touched item for the unused share of the period
    from ``at`` (``share_from(t)``: the share from ``t``; apps.invoices.engine.planner
    .change_lines), each capped by what the item was paid (``paid_cap``), in the input's order."""
    at = request["at"]
    period = (_utc(request["period"]["start"]), _utc(request["period"]["end"]))
    share = share_from(at)
    lines = []
    for entry in request["items"]:
        before = _terms(entry["item"], entry["before"])
        after = _terms(entry["item"], entry["after"])
        for line in change_lines(before, after, period=period, at=_utc(at), share=share):
            side = entry["before"] if line.kind == PRORATION_CREDIT else entry["after"]
            lines.append(
                {
                    "item": line.item_id,
                    "kind": line.kind,
                    "price": line.price_id,
                    "amount": paid_cap(
                        line.amount, side, entry.get("paid", []), at=at, share_from=share_from
                    ),
                    "quantity": line.quantity,
                    "period": {"start": at, "end": request["period"]["end"]},
                }
            )
    return lines


def by_second(request: dict, config: dict) -> dict:
    start, end = request["period"]["start"], request["period"]["end"]
    return {"lines": lines_at_share(request, lambda t: Fraction(end - t, end - start))}


def units_between(start: int, end: int, unit: str) -> int:
    """``[start, end)`` counted in whole ``unit``s, to the nearest (a half rounds up)."""
    if unit != "month":
        length = 86_400 * (7 if unit == "week" else 1)
        whole, rest = divmod(end - start, length)
        return whole + (1 if 2 * rest >= length else 0)
    first, last = _utc(start), _utc(end)
    whole = 0
    while boundary(first, "month", 1, whole + 1) <= last:
        whole += 1
    step_start = boundary(first, "month", 1, whole)
    step = boundary(first, "month", 1, whole + 1) - step_start
    return whole + (1 if 2 * (last - step_start) >= step else 0)


def custom_interval(request: dict, config: dict) -> dict:
    start, end = request["period"]["start"], request["period"]["end"]
    unit = config["unit"]
    total = max(units_between(start, end, unit), 1)

    def share_from(moment: int) -> Fraction:
        return Fraction(min(units_between(moment, end, unit), total), total)

    return {"lines": lines_at_share(request, share_from)}


def none(request: dict, config: dict) -> dict:
    return {"lines": []}


def minimum_threshold(request: dict, config: dict) -> dict:
    lines = request["default"]["lines"]
    net = sum(line["amount"] for line in lines)
    if 0 < net < config["minimum"]:
        return {"lines": []}
    return {"lines": lines}


def check(request: dict, output: dict) -> str:
    """Each line belongs to a touched item's side (a credit to its terms before, a debit to its
    terms after) and lies inside the period from the change on."""
    sides = {"proration_credit": "before", "proration_debit": "after"}
    entries = {entry["item"]: entry for entry in request["items"]}
    at, end = request["at"], request["period"]["end"]
    for line in output["lines"]:
        entry = entries.get(line["item"])
        if entry is None or entry[sides[line["kind"]]] is None:
            return f"Line for {line['item']} ({line['kind']}) matches no item of the change."
        if not at <= line["period"]["start"] <= line["period"]["end"] <= end:
            return f"Line for {line['item']} lies outside the rest of the period."
    return ""


IMPLEMENTATIONS = (
    Implementation(
        stage=STAGE,
        key="by_second",
        version=1,
        title="Prorate by the second",
        description="The unused share of the period, to the second (Stripe's default).",
        config=(),
        run=by_second,
    ),
    Implementation(
        stage=STAGE,
        key="custom_interval",
        version=1,
        title="Prorate by custom interval",
        description=(
            "The remaining time and the period counted in whole days, weeks or months (to the "
            "nearest unit), so prorated amounts are clean and predictable."
        ),
        config=(
            ConfigField(
                name="unit",
                kind="enum",
                label="Unit",
                default="day",
                choices=UNITS,
                help="The time unit the remaining time and the period are counted in.",
            ),
        ),
        run=custom_interval,
    ),
    Implementation(
        stage=STAGE,
        key="none",
        version=1,
        title="No prorations",
        description="Changes create no proration lines.",
        config=(),
        run=none,
    ),
    Implementation(
        stage=STAGE,
        key="minimum_threshold",
        version=1,
        title="Minimum proration threshold",
        description=(
            "A change whose net is a debit under the minimum is not prorated; credits are "
            "always given."
        ),
        config=(
            ConfigField(
                name="minimum",
                kind="monetary_amount",
                label="Minimum",
                default=0,
                help="Net debits under this amount are waived.",
            ),
        ),
        run=minimum_threshold,
    ),
)
