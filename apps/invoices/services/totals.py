"""An invoice's totals from its lines (the ``billing.compute_bill`` stage), and how an invoice
not yet finalized will be collected (``payments.collection``), for previews."""

from apps.catalog.selectors import tax_rate_terms
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


def rates_effective(own: list, defaults) -> list[list[str]]:
    """The tax rate ids applying to each line: its own (``own``, in line order), else the
    invoice's ``defaults`` (Stripe: a line's tax_rates override default_tax_rates)."""
    return [list(rates) if rates else list(defaults) for rates in own]


def invoice_totals(
    discount,
    lines: list[tuple[int, str, str | None, bool]],
    *,
    currency: str,
    balance: int,
    choices: Choices,
    account_id: str = "",
    line_rates: list | None = None,
    default_rates=(),
) -> tuple[list[int], Totals]:
    """Each (amount, kind, price id, proration) line's discount, and the invoice's totals
    through ``billing.compute_bill`` as ``choices`` chooses, each line taxed by its own tax rate
    ids (``line_rates``, in line order; None: none) or else by ``default_rates`` (the rates are
    read only when some apply)."""
    discounts = line_discounts_of(
        discount, [(amount, kind, price) for amount, kind, price, _ in lines]
    )
    applying = rates_effective(line_rates or [()] * len(lines), default_rates)
    totals = bill_totals(
        [(amount, proration) for amount, _, _, proration in lines],
        discounts,
        discount=discount_terms(discount),
        currency=currency,
        balance=balance,
        choice=choices.of(COMPUTE_BILL),
        line_rates=applying,
        tax_rates=tax_rate_terms(
            account_id=account_id, ids={rate for rates in applying for rate in rates}
        ),
    )
    return discounts, totals


def invoice_tax_fields(totals: Totals, default_rates) -> dict:
    """A new invoice's tax columns: its totals' taxes and the default rates it applied."""
    return {
        "tax": totals.tax,
        "total_tax_amounts": list(totals.total_tax_amounts),
        "subtotal_excluding_tax": totals.subtotal_excluding_tax,
        "default_tax_rates": list(default_rates),
    }


def invoice_taxes_set(invoice, totals: Totals) -> None:
    """The invoice's tax figures from its totals (unsaved)."""
    invoice.tax = totals.tax
    invoice.total_tax_amounts = list(totals.total_tax_amounts)
    invoice.subtotal_excluding_tax = totals.subtotal_excluding_tax


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
