"""What every change to a draft goes through: the draft locked, its lines of invoice items
rebuilt from its items and its totals recomputed by one function, ``invoice_totals_recompute``,
and an item's amount worked out from an amount, a unit amount or a one-time price.

Used by one-off invoices (``apps.invoices.one_off``) and invoice items
(``apps.invoices.invoice_items``).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from apps.accounts.audit import change_record, previous_of
from apps.accounts.models import Account
from apps.catalog.models import Price
from apps.catalog.selectors import price_amount
from apps.core.actor import Actor
from apps.core.errors import ApplicationError, InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock
from apps.customers.selectors import customer_balance
from apps.invoices.engine.staging import stages_recorded
from apps.invoices.models import Invoice, InvoiceItem, InvoiceLine
from apps.invoices.services import (
    invoice_item_render,
    invoice_render,
    invoice_taxes_set,
    invoice_totals,
)
from apps.invoices.stage_choices import stage_choices

MAX_LINES = 250


@dataclass(frozen=True)
class ItemTerms:
    amount: int
    quantity: int
    price_id: str | None
    # The price's product name: the description of an item given none.
    description: str = ""


def item_terms(
    *,
    currency: str,
    on: datetime,
    price: Price | None = None,
    quantity: int = 1,
    amount: int | None = None,
    unit_amount: Decimal | None = None,
    param: str = "",
) -> ItemTerms:
    """An item's total: ``quantity`` of a one-time ``price``, ``quantity`` × ``unit_amount``, or
    ``amount`` itself (the total of one unit). ``param`` prefixes the names errors point at."""

    def name(field: str) -> str:
        return f"{param}[{field}]" if param else field

    if price is not None:
        if amount is not None or unit_amount is not None:
            raise InvalidRequestError("Pass a price or an amount, not both.", param=name("amount"))
        if price.type != "one_time":
            raise InvalidRequestError(
                f"The price specified is set to type={price.type} but this field only accepts "
                "prices with type=one_time.",
                param=name("price"),
            )
        if not price.active:
            raise InvalidRequestError(f"The price {price.id} is not active.", param=name("price"))
        try:
            total = price_amount(price, quantity=quantity, currency=currency, on=on.date())
        except ApplicationError as error:
            error.param = name(error.param or "price")
            raise
        return ItemTerms(total, quantity, price.id, price.product.name if price.product_id else "")
    if unit_amount is not None:
        if amount is not None:
            raise InvalidRequestError(
                "Pass amount or unit_amount_decimal, not both.", param=name("amount")
            )
        if unit_amount != unit_amount.to_integral_value():
            raise InvalidRequestError(
                "unit_amount_decimal must be a whole number of minor units here.",
                param=name("unit_amount_decimal"),
            )
        return ItemTerms(int(unit_amount) * quantity, quantity, None)
    if amount is None:
        raise InvalidRequestError(
            "Pass an amount, a unit_amount_decimal or a price.",
            param=name("amount"),
            code="parameter_missing",
        )
    if quantity != 1:
        raise InvalidRequestError(
            "amount is the item's total; to bill several units pass unit_amount_decimal or a "
            "price with the quantity.",
            param=name("quantity"),
        )
    return ItemTerms(amount, 1, None)


def invoice_item_record(
    item: InvoiceItem, type: str, actor: Actor, *, previous: dict | None = None
) -> None:
    change_record(
        account=item.account,
        actor=actor,
        type=type,
        object_type="invoiceitem",
        data_object=invoice_item_render(item),
        previous=previous,
    )


def invoice_locked(account: Account, invoice_id: str, *, param: str = "id") -> Invoice:
    """The account's invoice, row-locked for the caller's transaction."""
    invoice = row_lock(
        Invoice.objects.select_related("account", "customer", "discount__coupon").filter(
            account=account, id=invoice_id
        )
    )
    if invoice is None:
        raise ResourceMissingError("invoice", invoice_id, param=param)
    return invoice


def line_id_of(item: InvoiceItem) -> str:
    """The line an invoice item becomes keeps the item's id (``ii_x`` → ``il_x``), so a draft's
    lines can be rebuilt from its items without their ids changing."""
    return f"il_{item.id.split('_', 1)[1]}"


def invoice_totals_recompute(invoice: Invoice) -> None:
    """A draft's lines of invoice items rebuilt from its items; its subtotal, the discount of
    each line (the invoice's discount, by the per-line rule), total and amount due from all its
    lines. Runs in the caller's transaction, which locked the draft."""
    if invoice.status != "draft":
        raise InvalidRequestError(
            f"Invoice {invoice.id} is {invoice.status}; only a draft's lines can change.",
            code="invoice_not_editable",
        )
    InvoiceLine.objects.filter(invoice=invoice, subscription_item_id__isnull=True).delete()
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            id=line_id_of(item),
            account_id=invoice.account_id,
            invoice=invoice,
            price_id=item.price_id,
            kind=item.kind,
            period_start=item.period_start,
            period_end=item.period_end,
            amount=item.amount,
            currency=item.currency,
            quantity=item.quantity,
            proration=item.proration,
            description=item.description,
            tax_rates=item.tax_rates,
        )
        for item in InvoiceItem.objects.filter(invoice=invoice).order_by("id")
    )
    # Subscription lines first, then the items' in the order they were made: an amount_off
    # coupon is spent across the lines in this order.
    lines = sorted(
        invoice.lines.all(), key=lambda line: (line.subscription_item_id is None, line.id)
    )
    discounts, totals = invoice_totals(
        invoice.discount,
        [(line.amount, line.kind, line.price_id, line.proration) for line in lines],
        currency=invoice.currency,
        balance=customer_balance(invoice.customer),
        choices=stage_choices(invoice.account),
        account_id=invoice.account_id,
        line_rates=[line.tax_rates for line in lines],
        default_rates=invoice.default_tax_rates,
    )
    changed = []
    for line, amount, taxes in zip(lines, discounts, totals.line_taxes, strict=True):
        if (line.discount_amount, line.tax_amounts) != (amount, taxes):
            line.discount_amount, line.tax_amounts = amount, list(taxes)
            changed.append(line)
    InvoiceLine.objects.bulk_update(changed, ["discount_amount", "tax_amounts"])
    invoice.subtotal = totals.subtotal
    invoice.total_discount = totals.total_discount
    invoice.total = totals.total
    invoice_taxes_set(invoice, totals)
    invoice.amount_due = invoice.total
    invoice.stages = {**invoice.stages, **stages_recorded([totals.stage])}
    invoice.save(
        update_fields=[
            "subtotal",
            "total_discount",
            "total",
            "tax",
            "total_tax_amounts",
            "subtotal_excluding_tax",
            "amount_due",
            "stages",
            "updated_at",
        ]
    )


def draft_changed(invoice: Invoice, *, before: dict, actor: Actor) -> None:
    """Recompute a locked draft and record ``invoice.updated`` if what it shows changed."""
    invoice_totals_recompute(invoice)
    after = invoice_render(invoice)
    previous = previous_of(before, after)
    if previous:
        change_record(
            account=invoice.account,
            actor=actor,
            type="invoice.updated",
            object_type="invoice",
            data_object=after,
            previous=previous,
        )


def lines_limit_check(invoice: Invoice, adding: int) -> None:
    if invoice.lines.count() + adding > MAX_LINES:
        raise InvalidRequestError(
            f"An invoice has at most {MAX_LINES} lines.", param="invoice", code="invoice_too_large"
        )
