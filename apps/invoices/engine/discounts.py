"""Discounts on invoice lines (pure).

A coupon takes ``percent_off`` of each discountable line (rounded half away from zero per line),
or ``amount_off`` once across the discountable lines, in their order, never below zero.
Proration lines are not discountable: Stripe bakes discounts into prorations instead
(``proration_rate``); a coupon limited to some products discounts only their lines.
"""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from apps.core.money import round_minor
from apps.invoices.engine.planner import PRORATION_CREDIT, PRORATION_DEBIT, TRIAL_REMAINDER

NOT_DISCOUNTABLE = (PRORATION_CREDIT, PRORATION_DEBIT, TRIAL_REMAINDER)


@dataclass(frozen=True)
class CouponTerms:
    percent_off: Decimal | None = None
    amount_off: int | None = None
    # Product ids the coupon is limited to; None for every product.
    products: frozenset[str] | None = None


@dataclass(frozen=True)
class DiscountableLine:
    amount: int
    kind: str
    product_id: str | None


def line_discounts(lines: list[DiscountableLine], coupon: CouponTerms) -> list[int]:
    """The discount of each line (a non-negative amount to subtract), in the lines' order."""
    eligible = [
        line.amount > 0
        and line.kind not in NOT_DISCOUNTABLE
        and (coupon.products is None or line.product_id in coupon.products)
        for line in lines
    ]
    if coupon.percent_off is not None:
        share = Fraction(coupon.percent_off) / 100
        return [
            min(line.amount, round_minor(line.amount * share)) if ok else 0
            for line, ok in zip(lines, eligible, strict=True)
        ]
    left = coupon.amount_off or 0
    out = []
    for line, ok in zip(lines, eligible, strict=True):
        take = min(left, line.amount) if ok else 0
        out.append(take)
        left -= take
    return out


def proration_rate(coupon: CouponTerms | None, product_id: str | None) -> Fraction:
    """The share of an item's price its prorations bill under ``coupon``: ``1 − percent_off``
    when the coupon is a percentage for the item's product, else the whole.

    An amount-off coupon leaves prorations whole: it takes a fixed sum off an invoice, once,
    rather than a share of each item's price, and the invoices it discounts still take it in
    full, so baking it into prorations as well would give it twice."""
    if coupon is None or coupon.percent_off is None:
        return Fraction(1)
    if coupon.products is not None and product_id not in coupon.products:
        return Fraction(1)
    return 1 - Fraction(coupon.percent_off) / 100
