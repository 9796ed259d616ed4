"""Subscription billing: the account's billing settings, and a subscription's draft invoice made
of the planner's lines plus the customer's pending items."""

from datetime import datetime

from django.db import IntegrityError, transaction

from apps.accounts.audit import audit_record
from apps.accounts.models import Account
from apps.catalog.models import Price
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import InvalidRequestError
from apps.core.ids import new_secret
from apps.core.locks import row_lock, rows_lock
from apps.customers.selectors import customer_balance
from apps.invoices.discounts import discount_in_force, discount_used
from apps.invoices.engine.planner import TRIAL_REMAINDER, Line
from apps.invoices.engine.stages import Choices
from apps.invoices.engine.staging import Totals, stages_recorded
from apps.invoices.lines_render import invoice_render_known
from apps.invoices.models import Discount, Invoice, InvoiceItem, InvoiceLine
from apps.invoices.services import (
    invoice_line_rows,
    invoice_record,
    invoice_tax_fields,
    invoice_totals,
)
from apps.invoices.stage_choices import stage_choices
from apps.subscriptions.models import BillingSettings, Subscription
from apps.subscriptions.planning import PRORATION_BEHAVIORS

MISSING_PAYMENT_METHOD = ("create_invoice", "cancel", "pause")
# ``invoice_from_lines``'s ``discount`` when the caller has not read it: read it there.
_READ = object()


class AlreadyInvoiced(Exception):
    """The period's lines exist already: the renewal ran before (idempotent)."""


def billing_settings(account) -> BillingSettings:
    settings, _ = BillingSettings.objects.get_or_create(account=account)
    return settings


def _lines_not_billed(lines: list[Line]) -> list[Line]:
    """``lines`` without the trial remainders invoiced already, when their trial ended (an
    account setting)."""
    billed = set(
        InvoiceLine.objects.filter(
            subscription_item_id__in=[
                line.item_id for line in lines if line.kind == TRIAL_REMAINDER
            ],
            kind=TRIAL_REMAINDER,
        ).values_list("subscription_item_id", "period_start", "period_end")
    )
    return [
        line
        for line in lines
        if line.kind != TRIAL_REMAINDER
        or (line.item_id, line.period_start, line.period_end) not in billed
    ]


def _pending_items(subscription: Subscription) -> list[InvoiceItem]:
    """The customer's pending items of ``subscription``, locked until they are invoiced."""
    (items,) = rows_lock(
        InvoiceItem.objects.filter(
            account=subscription.account,
            customer_id=subscription.customer_id,
            invoice__isnull=True,
            subscription_id=subscription.id,
        )
    )
    return items


def invoice_stages(
    lines: list[Line], pending: list[InvoiceItem], totals: Totals, waived: dict
) -> dict:
    """``Invoice.stages`` of an invoice of ``lines`` and ``pending`` items totalled by
    ``totals``: the stages that made its lines (a pending proration's, from when it was made),
    those of the changes that left no line (``waived``: ``Subscription.pending_stages``) and
    its totals."""
    return stages_recorded(
        [line.stage for line in lines]
        + [record for item in pending for record in item.stages.items()]
        + list(waived.items())
        + [totals.stage]
    )


def _lines_write(
    invoice: Invoice,
    subscription: Subscription,
    lines: list[Line],
    pending: list[InvoiceItem],
    discounts: list[int],
    totals: Totals,
    *,
    fresh: bool,
) -> list[InvoiceLine]:
    """The new invoice's line rows, in one insert (a line key billed before, a unique
    constraint, raises AlreadyInvoiced), and its pending items moved onto it. ``fresh``: the
    subscription's items were made in this transaction, so no line key of theirs was billed:
    the rows are left to the caller's insert with the invoice (``invoice_made_write``)."""
    rows = invoice_line_rows(
        invoice=invoice,
        currency=subscription.currency,
        lines=lines,
        pending=pending,
        discounts=discounts,
        line_taxes=totals.line_taxes,
    )
    if fresh:
        return rows
    try:
        with transaction.atomic():
            InvoiceLine.objects.bulk_create(rows)
    except IntegrityError as exc:
        raise AlreadyInvoiced(subscription.id) from exc
    InvoiceItem.objects.filter(pk__in=[item.pk for item in pending]).update(invoice=invoice)
    return rows


def _totals(
    subscription: Subscription,
    discount: Discount | None,
    lines: list[Line],
    pending: list[InvoiceItem],
    balance: int | None,
    choices: Choices | None,
) -> tuple[list[int], Totals]:
    """``invoice_totals`` of an invoice of ``lines`` and ``pending`` items (``balance``, None:
    read; ``choices``, None: the account's)."""
    return invoice_totals(
        discount,
        [(line.amount, line.kind, line.price_id, line.proration) for line in lines]
        + [(item.amount, item.kind, item.price_id, item.proration) for item in pending],
        currency=subscription.currency,
        balance=customer_balance(subscription.customer) if balance is None else balance,
        choices=stage_choices(subscription.account) if choices is None else choices,
        account_id=subscription.account_id,
        line_rates=[line.tax_rates for line in lines] + [item.tax_rates for item in pending],
        default_rates=subscription.default_tax_rates,
    )


def invoice_from_lines(
    *,
    subscription: Subscription,
    lines: list[Line],
    period: tuple[datetime, datetime],
    billing_reason: str,
    actor: Actor = SYSTEM,
    include_pending: bool = True,
    finalizes_at: datetime | None = None,
    choices: Choices | None = None,
    discount: Discount | None | object = _READ,
    balance: int | None = None,
    fresh_prices: list[Price] | None = None,
) -> Invoice | None:
    """A draft invoice of the planner's lines plus the customer's pending items, its totals
    computed as ``choices`` (None: the account's) chooses.

    Runs inside the caller's transaction (which locked the subscription). A zero-total invoice
    is not created unless the account asks for them. Raises AlreadyInvoiced when a line's key
    was billed before. ``finalizes_at``: when the auto-advancing draft is finalized by the sweep
    (a renewal's); None for an invoice its caller finalizes at once. ``discount``: the
    discount in force now, when the caller has just read it (``discount_in_force``);
    ``balance``: the customer's balance, likewise. ``fresh_prices``: the subscription and its
    items (these prices) are made in this transaction, so no item is pending and no line was
    billed; the renders use what is in memory (``invoice_render_known``), and the invoice, its
    lines and the subscription (``latest_invoice`` set) are left for the caller to insert
    (``invoice_made_write``)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invoice_from_lines runs in the caller's transaction")
    account = subscription.account
    lines = _lines_not_billed(lines)
    fresh = fresh_prices is not None
    pending = _pending_items(subscription) if include_pending and not fresh else []
    waived = subscription.pending_stages if include_pending else {}
    if not lines and not pending:
        return None
    now = clock.now(test_clock_id=subscription.customer.test_clock_id)
    if discount is _READ:
        discount = discount_in_force(
            customer=subscription.customer, subscription=subscription, at=now
        )
    discounts, totals = _totals(subscription, discount, lines, pending, balance, choices)
    subtotal, total = totals.subtotal, totals.total
    if total == 0 and not billing_settings(account).zero_total_invoices:
        return None
    invoice = Invoice(
        account=account,
        customer=subscription.customer,
        subscription=subscription,
        status="draft",
        billing_reason=billing_reason,
        currency=subscription.currency,
        period_start=period[0],
        period_end=period[1],
        subtotal=subtotal,
        total_discount=totals.total_discount,
        total=total,
        **invoice_tax_fields(totals, subscription.default_tax_rates),
        amount_due=total,
        discount=discount if any(discounts) else None,
        collection_method=subscription.collection_method,
        automatically_finalizes_at=finalizes_at,
        hosted_token=new_secret(32),
        created_at=now,
        stages=invoice_stages(lines, pending, totals, waived),
    )
    if not fresh:
        invoice.save(force_insert=True)
    rows = _lines_write(invoice, subscription, lines, pending, discounts, totals, fresh=fresh)
    if fresh:
        invoice_render_known(invoice, lines=rows, prices=fresh_prices)
    subscription.latest_invoice_id = invoice.id
    if waived:
        subscription.pending_stages = {}
    if not fresh:  # a fresh subscription is inserted after, with its latest invoice
        subscription.save(update_fields=["latest_invoice_id", "pending_stages", "updated_at"])
    if invoice.discount_id:
        discount_used(discount, now)
    invoice_record(invoice, "invoice.created", actor)
    return invoice


def billing_settings_update(*, account: Account, values: dict, actor: Actor):
    """The account's billing choices; each change is audited."""
    if values.get("default_proration_behavior") not in (None, *PRORATION_BEHAVIORS):
        raise InvalidRequestError(
            f"default_proration_behavior is one of {', '.join(PRORATION_BEHAVIORS)}.",
            param="default_proration_behavior",
        )
    if values.get("trial_missing_payment_method") not in (None, *MISSING_PAYMENT_METHOD):
        raise InvalidRequestError(
            f"trial_missing_payment_method is one of {', '.join(MISSING_PAYMENT_METHOD)}.",
            param="trial_missing_payment_method",
        )
    for name in ("upcoming_invoice_days", "will_be_due_days"):
        if name in values and not 0 <= int(values[name]) <= 60:
            raise InvalidRequestError(f"{name} is between 0 and 60 days.", param=name)
    with transaction.atomic():
        settings = row_lock(BillingSettings.objects.filter(pk=billing_settings(account).pk))
        changes = {}
        for name, value in values.items():
            if getattr(settings, name) != value:
                changes[name] = [getattr(settings, name), value]
                setattr(settings, name, value)
        settings.save()
        if changes:
            audit_record(
                account=account,
                actor=actor,
                action="billing_settings.updated",
                object_type="billing_settings",
                object_id=account.id,
                changes=changes,
            )
    return settings
