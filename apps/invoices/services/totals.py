"""An invoice's totals from its lines (the ``billing.compute_bill`` stage), and how an invoice
not yet finalized will be collected (``payments.collection``), for previews."""

from apps.invoices.engine.stages import Choices
from apps.invoices.engine.staging import (
    COLLECTION,
    COMPUTE_BILL,
    Totals,
    bill_totals,
    collection_plan,
)
from apps.invoices.services.lines import line_discounts_of
from apps.invoices.stage_choices import retry_plan


def discount_terms(discount) -> dict | None:
    """A discount as ``billing.compute_bill`` is given it."""
    if discount is None:
        return None
    coupon = discount.coupon
    return {
        "id": discount.id or "",
        "coupon": coupon.coupon_id,
        "percent_off": None if coupon.percent_off is None else str(coupon.percent_off),
        "amount_off": coupon.amount_off,
    }


def invoice_totals(
    discount,
    lines: list[tuple[int, str, str | None, bool]],
    *,
    currency: str,
    balance: int,
    choices: Choices,
) -> tuple[list[int], Totals]:
    """Each (amount, kind, price id, proration) line's discount, and the invoice's totals
    through ``billing.compute_bill`` as ``choices`` chooses."""
    discounts = line_discounts_of(
        discount, [(amount, kind, price) for amount, kind, price, _ in lines]
    )
    totals = bill_totals(
        [(amount, proration) for amount, _, _, proration in lines],
        discounts,
        discount=discount_terms(discount),
        currency=currency,
        balance=balance,
        choice=choices.of(COMPUTE_BILL),
    )
    return discounts, totals


def collection_previewed(
    account,
    *,
    total: int,
    amount_due: int,
    currency: str,
    collection_method: str,
    days_until_due: int | None,
    choices: Choices,
) -> tuple[str, int | None]:
    """The collection method and days until due finalizing will give an invoice of these
    figures (``payments.collection``, as finalizing runs it)."""
    result = collection_plan(
        total=total,
        amount_due=amount_due,
        currency=currency,
        collection_method=collection_method,
        days_until_due=days_until_due,
        retry_plan=retry_plan(account),
        choice=choices.of(COLLECTION),
    )
    return result.output["collection_method"], result.output["days_until_due"]
