"""An invoice's line rows: the planner's lines and pending items, with their discount shares."""

from apps.catalog.models import Price
from apps.core.bulk import instance_new
from apps.invoices.discounts import discount_amounts
from apps.invoices.engine.planner import Line
from apps.invoices.models import Invoice, InvoiceItem, InvoiceLine


def line_discounts_of(discount, lines: list[tuple[int, str, str | None]]) -> list[int]:
    """Per-line discounts of (amount, kind, price id) lines: the coupon's products are matched
    through the prices' products (one query)."""
    if discount is None:
        return [0] * len(lines)
    products = dict(
        Price.objects.filter(id__in={price for _, _, price in lines if price}).values_list(
            "id", "product_id"
        )
    )
    return discount_amounts(
        discount, [(amount, kind, products.get(price)) for amount, kind, price in lines]
    )


def invoice_line_rows(
    *,
    invoice: Invoice,
    currency: str,
    lines: list[Line],
    pending: list[InvoiceItem],
    discounts: list[int],
    line_taxes=None,
) -> list[InvoiceLine]:
    """The unsaved rows of an invoice: the planner's lines, then the pending invoice items, each
    with its share of the discount (``discounts`` in the same order), its own tax rates and its
    taxes (``line_taxes``, the totals' ``line_taxes``: None, none)."""
    rows = [
        instance_new(
            InvoiceLine,
            account_id=invoice.account_id,
            invoice=invoice,
            subscription_item_id=line.item_id,
            price_id=line.price_id,
            kind=line.kind,
            period_start=line.period_start,
            period_end=line.period_end,
            amount=line.amount,
            currency=currency,
            quantity=line.quantity,
            proration=line.proration,
            description=line.description,
            tax_rates=list(line.tax_rates),
        )
        for line in lines
    ] + [
        instance_new(
            InvoiceLine,
            account_id=invoice.account_id,
            invoice=invoice,
            subscription_item_id=None,
            price_id=item.price_id,
            kind=item.kind,
            period_start=item.period_start,
            period_end=item.period_end,
            amount=item.amount,
            currency=item.currency,
            quantity=item.quantity,
            proration=item.proration,
            description=item.description,
            tax_rates=list(item.tax_rates),
        )
        for item in pending
    ]
    for row, amount in zip(rows, discounts, strict=True):
        row.discount_amount = amount
    for row, taxes in zip(rows, line_taxes or [[]] * len(rows), strict=True):
        row.tax_amounts = list(taxes)
    return rows
