"""The billing stages run on the planner's values (pure): what the pipeline calls so that a
change, a renewal, a preview and a test-clock advance all go through the same chosen
implementations (apps.invoices.engine.stages).

Times cross a stage as epoch seconds counted so that the shares are the planner's exactly
(``(end − at)`` and ``(end − start)`` in whole seconds, as engine.proration counts them), and
come back as the caller's own datetimes. Lines a stage made or kept carry its record
(``Line.stage``), which the invoice keeps in ``Invoice.stages``.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from apps.invoices.engine.planner import ItemCharge, ItemTerms, Line, proration_description
from apps.invoices.engine.proration import fraction_remaining
from apps.invoices.engine.stages import Choice, Choices, StageResult, stage_run

PRORATIONS = "billing.prorations"
ITEM_HANDLING = "billing.recurring_billing_item_handling"
COMPUTE_BILL = "billing.compute_bill"
BALANCE = "billing.customer_balance_application"
COLLECTION = "payments.collection"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def epoch(value: datetime) -> int:
    return (value - _EPOCH) // _SECOND


def _grouped(prices: list[str], stage: str, choices: Choices) -> list[tuple[Choice, list[int]]]:
    """The positions of ``prices`` grouped by the implementation chosen for each price."""
    groups: dict[tuple, tuple[Choice, list[int]]] = {}
    for index, price in enumerate(prices):
        choice = choices.of(stage, price)
        key = (choice.key, choice.version, sorted(choice.config.items()))
        groups.setdefault(repr(key), (choice, []))[1].append(index)
    return list(groups.values())


def _terms(terms: ItemTerms | None) -> dict | None:
    if terms is None:
        return None
    return {
        "price": terms.price_id,
        "unit_amount": terms.period_amount // terms.quantity if terms.quantity else 0,
        "quantity": terms.quantity,
        "period_amount": terms.period_amount,
        "proration_rate": {
            "numerator": terms.proration_rate.numerator,
            "denominator": terms.proration_rate.denominator,
        },
        "usage_type": terms.usage_type,
        "trial_end": None if terms.trial_end is None else epoch(terms.trial_end),
    }


@dataclass(frozen=True)
class Prorated:
    lines: list[Line]
    # The records of the runs that made no line (a waived proration): no pending item carries
    # them, so the subscription keeps them for the invoice that would have had the lines.
    waived: list[tuple[str, dict]]


def changes_lines(
    pairs: list[tuple[ItemTerms | None, ItemTerms | None]],
    *,
    period: tuple[datetime, datetime],
    at: datetime,
    currency: str,
    choices: Choices,
    paid: Mapping[str, list[ItemCharge]] | None = None,
) -> list[Line]:
    """The proration lines of one change (``changes_prorate``), for a caller that keeps no
    record of a run that made none."""
    return changes_prorate(
        pairs, period=period, at=at, currency=currency, choices=choices, paid=paid
    ).lines


def _charges(charges: list[ItemCharge], *, period, at: datetime) -> list[dict]:
    """An item's charges for the rest of ``period`` (those ending with it and starting by
    ``at``), in the stage's epoch seconds counted back from the period's end."""
    start, end = period
    end_s = epoch(end)
    return [
        {
            "price": charge.price_id,
            "quantity": charge.quantity,
            "amount": charge.amount,
            "period": {"start": end_s - (end - charge.period_start) // _SECOND, "end": end_s},
        }
        for charge in charges
        if charge.period_end == end and start <= charge.period_start <= at
    ]


def changes_prorate(
    pairs: list[tuple[ItemTerms | None, ItemTerms | None]],
    *,
    period: tuple[datetime, datetime],
    at: datetime,
    currency: str,
    choices: Choices,
    paid: Mapping[str, list[ItemCharge]] | None = None,
) -> Prorated:
    """The proration lines of one change at ``at`` (each item's terms before and after it),
    through ``billing.prorations`` as chosen for each item's price, in the pairs' order, and
    the records of the runs that made none; ``paid``: what each item (by id) was charged for
    the rest of the period (none known: nothing caps the lines)."""
    paid = paid or {}
    start, end = period
    fraction_remaining(start, end, at)  # raises when ``at`` is not in the period
    changed: list[tuple[ItemTerms | None, ItemTerms | None]] = []
    for old, new in pairs:
        if old == new:
            continue
        if old is not None and new is not None and old.item_id != new.item_id:
            changed += [(old, None), (None, new)]
        else:
            changed.append((old, new))
    end_s = epoch(end)
    start_s, at_s = end_s - (end - start) // _SECOND, end_s - (end - at) // _SECOND
    times = {at_s: at, end_s: end, start_s: start}

    def when(seconds: int) -> datetime:
        return times[seconds] if seconds in times else datetime.fromtimestamp(seconds, UTC)

    placed: list[tuple[int, Line]] = []
    waived: list[tuple[str, dict]] = []
    prices = [(new or old).price_id for old, new in changed]
    for choice, indexes in _grouped(prices, PRORATIONS, choices):
        request = {
            "currency": currency,
            "at": at_s,
            "period": {"start": start_s, "end": end_s},
            "items": [
                {
                    "item": (changed[i][0] or changed[i][1]).item_id,
                    "before": _terms(changed[i][0]),
                    "after": _terms(changed[i][1]),
                    "paid": _charges(
                        paid.get((changed[i][0] or changed[i][1]).item_id, []),
                        period=period,
                        at=at,
                    ),
                }
                for i in indexes
            ],
        }
        result = stage_run(PRORATIONS, choice, request)
        record = (PRORATIONS, result.record())
        if not result.output["lines"]:
            waived.append(record)
        by_item = {(changed[i][0] or changed[i][1]).item_id: i for i in indexes}
        for out in result.output["lines"]:
            index = by_item[out["item"]]
            old, new = changed[index]
            terms = old if out["kind"] == "proration_credit" else new
            line = Line(
                terms.item_id,
                out["kind"],
                when(out["period"]["start"]),
                when(out["period"]["end"]),
                out["amount"],
                out["quantity"],
                out["price"],
                proration_description(terms, out["kind"]),
                stage=record,
                tax_rates=terms.tax_rates,
            )
            placed.append((index, line))
    lines = [line for _, line in sorted(placed, key=lambda pair: pair[0])]
    return Prorated(lines, waived)


def recurring_lines(
    lines: list[Line], *, period: tuple[datetime, datetime], currency: str, choices: Choices
) -> list[Line]:
    """The recurring lines a renewal creates, through ``billing.recurring_billing_item_handling``
    as chosen for each line's price, in their order."""
    ids = [f"{line.item_id}/{line.kind}/{epoch(line.period_start)}" for line in lines]
    kept: set[int] = set()
    marked: dict[int, tuple[str, dict]] = {}
    for choice, indexes in _grouped([line.price_id for line in lines], ITEM_HANDLING, choices):
        request = {
            "currency": currency,
            "period": {"start": epoch(period[0]), "end": epoch(period[1])},
            "items": [
                {
                    "id": ids[i],
                    "item": lines[i].item_id,
                    "price": lines[i].price_id,
                    "kind": lines[i].kind,
                    "amount": lines[i].amount,
                    "quantity": lines[i].quantity,
                    "period": {
                        "start": epoch(lines[i].period_start),
                        "end": epoch(lines[i].period_end),
                    },
                }
                for i in indexes
            ],
        }
        result = stage_run(ITEM_HANDLING, choice, request)
        created = {item["id"] for item in result.output["items"] if item["strategy"] == "create"}
        for i in indexes:
            marked[i] = (ITEM_HANDLING, result.record())
            if ids[i] in created:
                kept.add(i)
    return [replace(line, stage=marked[i]) for i, line in enumerate(lines) if i in kept]


@dataclass(frozen=True)
class Totals:
    subtotal: int
    total_discount: int
    tax: int
    total: int
    stage: tuple[str, dict]
    subtotal_excluding_tax: int = 0
    total_excluding_tax: int = 0
    # Each rate's tax over the invoice and each line's taxes, in line order
    # ({"tax_rate", "amount", "inclusive", "taxable_amount"}).
    total_tax_amounts: tuple = ()
    line_taxes: tuple = ()


def bill_totals(
    lines: list[tuple[int, bool]],
    line_discounts: list[int],
    *,
    discount: dict | None,
    currency: str,
    balance: int,
    choice: Choice,
    line_rates: list[list[str]] | None = None,
    tax_rates: dict[str, dict] | None = None,
) -> Totals:
    """An invoice's totals through ``billing.compute_bill``: its lines as ``(amount,
    proration)``, what the discount ``discount`` (``{"id", "coupon", "percent_off",
    "amount_off"}``) takes from each, the ids of the tax rates applying to each
    (``line_rates``, None: none) with the rates themselves (``tax_rates``: id →
    ``{"id", "percentage", "inclusive"}``), and the customer's balance."""
    discount_id = discount["id"] if discount else None
    line_rates = line_rates or [[] for _ in lines]
    tax_rates = tax_rates or {}
    named = dict.fromkeys(rate_id for ids in line_rates for rate_id in ids)
    request = {
        "currency": currency,
        "lines": [
            {
                "id": f"line_{index}",
                "amount": amount,
                "proration": proration,
                "discount_amounts": ([{"discount": discount_id, "amount": taken}] if taken else []),
                "tax_rates": list(rates),
            }
            for index, ((amount, proration), taken, rates) in enumerate(
                zip(lines, line_discounts, line_rates, strict=True)
            )
        ],
        "discounts": [discount] if discount else [],
        "tax_rates": [tax_rates[rate_id] for rate_id in named],
        "customer_balance": balance,
    }
    result = stage_run(COMPUTE_BILL, choice, request)
    out = result.output
    return Totals(
        subtotal=out["subtotal"],
        total_discount=sum(entry["amount"] for entry in out["total_discount_amounts"]),
        tax=out["tax"],
        total=out["total"],
        stage=(COMPUTE_BILL, result.record()),
        subtotal_excluding_tax=out["subtotal_excluding_tax"],
        total_excluding_tax=out["total_excluding_tax"],
        total_tax_amounts=tuple(out["total_tax_amounts"]),
        line_taxes=tuple(line["tax_amounts"] for line in out["lines"]),
    )


def collection_plan(
    *,
    total: int,
    amount_due: int,
    currency: str,
    collection_method: str,
    days_until_due: int | None,
    retry_plan: dict,
    choice: Choice,
) -> StageResult:
    """How a finalized invoice is collected, through ``payments.collection``."""
    request = {
        "currency": currency,
        "total": total,
        "amount_due": amount_due,
        "collection_method": collection_method,
        "days_until_due": days_until_due,
        "account": {"retry_plan": retry_plan},
    }
    return stage_run(COLLECTION, choice, request)


def stages_recorded(records) -> dict:
    """``Invoice.stages`` of stage records ``(stage id, record)``, None skipped: one per stage,
    a fallback's first when any run of the stage fell back."""
    recorded: dict[str, dict] = {}
    for record in records:
        if record is None:
            continue
        stage, entry = record
        if stage not in recorded or (entry["fallback"] and not recorded[stage]["fallback"]):
            recorded[stage] = entry
    return recorded
