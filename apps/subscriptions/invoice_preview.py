"""The next invoice of a subscription, with proposed changes applied — computed, never written.

The change's lines come from the plan the update itself writes (apps.subscriptions.changes),
the next period's from the planner renewals use, so what a preview shows is what the change then
invoices (for the same ``proration_date``), line by line."""

from datetime import datetime

from apps.catalog.selectors import plans_of
from apps.core import clock
from apps.customers.selectors import customer_balance
from apps.invoices.discounts import discount_among
from apps.invoices.engine.periods import period_containing
from apps.invoices.engine.planner import Line, cycle_lines
from apps.invoices.engine.settlement import invoice_settle
from apps.invoices.engine.stages import Choices
from apps.invoices.engine.staging import BALANCE, recurring_lines
from apps.invoices.models import InvoiceItem
from apps.invoices.render import invoice_preview_base
from apps.invoices.services import collection_previewed, invoice_totals
from apps.invoices.stage_choices import stage_choices
from apps.invoices.taxes import tax_amounts_render, tax_rates_rendered, totals_tax_render
from apps.subscriptions.changes import ItemChange, change_plan
from apps.subscriptions.models import Subscription
from apps.subscriptions.selectors import PreviewReads
from apps.subscriptions.terms import item_terms


def line_preview_render(
    line: Line,
    currency: str,
    plans: dict[str, dict],
    taxes: list | tuple = (),
    rates: dict | None = None,
    *,
    livemode: bool,
    subscription_id: str | None,
) -> dict:
    """A line of a previewed invoice (no id and no invoice yet); ``plans``: the plan shape of
    its price (``plans_of``), if it has one; ``taxes``: its tax amounts, ``rates``: the tax
    rate objects by id."""
    rates = rates or {}
    return {
        "id": None,
        "object": "line_item",
        "amount": line.amount,
        "currency": currency,
        "description": line.description or None,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": None,
        "livemode": livemode,
        "metadata": {},
        "parent": {
            "type": "subscription_item_details",
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": line.proration,
                "proration_details": None,
                "subscription": subscription_id,
                "subscription_item": line.item_id or None,
            },
        },
        "period": {
            "start": clock.to_epoch(line.period_start),
            "end": clock.to_epoch(line.period_end),
        },
        "plan": plans.get(line.price_id),
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": {"price": line.price_id},
            "type": "price_details",
            "unit_amount_decimal": None,
        },
        "proration": line.proration,
        "quantity": line.quantity,
        "quantity_decimal": str(line.quantity),
        "subscription": subscription_id,
        "subtotal": line.amount,
        "tax_amounts": tax_amounts_render(taxes),
        "tax_rates": [rates[rate_id] for rate_id in line.tax_rates if rate_id in rates],
        "taxes": [],
    }


def invoice_item_line(item: InvoiceItem) -> Line:
    """A pending invoice item as the line an invoice takes it as."""
    return Line(
        item.subscription_item_id or "",
        item.kind,
        item.period_start,
        item.period_end,
        item.amount,
        item.quantity,
        item.price_id or "",
        item.description,
        tax_rates=tuple(item.tax_rates),
    )


def _pending_lines(subscription: Subscription) -> list[Line]:
    """The subscription's pending invoice items, as the lines its next invoice takes them."""
    return [
        invoice_item_line(item)
        for item in InvoiceItem.objects.filter(
            account=subscription.account,
            customer=subscription.customer,
            invoice__isnull=True,
            subscription_id=subscription.id,
        )
    ]


def _next_cycle(
    subscription: Subscription, items, period, choices: Choices
) -> tuple[tuple, list[Line]]:
    """The period after ``period`` and the lines ``items`` bill for it (as a renewal would,
    through ``billing.recurring_billing_item_handling``)."""
    next_period = period_containing(
        subscription.billing_cycle_anchor,
        subscription.interval,
        subscription.interval_count,
        period[1],
    )
    cycle = recurring_lines(
        cycle_lines(
            [item_terms(item, currency=subscription.currency, on=next_period[0]) for item in items],
            previous=period,
            period=next_period,
        ),
        period=next_period,
        currency=subscription.currency,
        choices=choices,
    )
    return next_period, cycle


def _settled(
    subscription: Subscription,
    lines: list[Line],
    discount,
    choices: Choices,
    balance: int,
    defaults: list[str],
):
    """Each line's discount, the totals (``billing.compute_bill``) and the settlement with the
    customer's ``balance`` (``billing.customer_balance_application``), as finalizing settles it
    (a credit total goes to the balance, nothing is then due), and how finalizing will collect
    it (``payments.collection``)."""
    discounts, totals = invoice_totals(
        discount,
        [(line.amount, line.kind, line.price_id, line.proration) for line in lines],
        currency=subscription.currency,
        balance=balance,
        choices=choices,
        account_id=subscription.account_id,
        line_rates=[line.tax_rates for line in lines],
        default_rates=defaults,
    )
    settled = invoice_settle(
        total=totals.total,
        balance=balance,
        currency=subscription.currency,
        choice=choices.of(BALANCE),
    )
    method, _ = collection_previewed(
        subscription.account,
        total=totals.total,
        amount_due=settled.amount_due,
        currency=subscription.currency,
        collection_method=subscription.collection_method,
        days_until_due=subscription.days_until_due,
        choices=choices,
    )
    return discounts, totals, settled, method


def _taxes_render(
    subscription: Subscription, lines: list[Line], totals, defaults: list[str], prices
):
    """The preview's tax fields (its default rates as tax rate objects, its tax figures) and its
    lines rendered with their taxes and plans; the rates are read once, when some apply, and the
    plans only of the lines' ``prices`` not loaded already (a pending item's)."""
    named = {rate_id for line in lines for rate_id in line.tax_rates}
    rates = {
        rate["id"]: rate
        for rate in tax_rates_rendered(subscription.account_id, sorted(named | set(defaults)))
    }
    fields = {
        "default_tax_rates": [rates[rate_id] for rate_id in defaults if rate_id in rates],
        **totals_tax_render(totals),
    }
    plans = plans_of(
        account=subscription.account,
        price_ids=[line.price_id for line in lines],
        known=prices,
    )
    rendered = [
        line_preview_render(
            line,
            subscription.currency,
            plans,
            taxes,
            rates,
            livemode=subscription.account.livemode,
            subscription_id=subscription.id,
        )
        for line, taxes in zip(lines, totals.line_taxes, strict=True)
    ]
    return fields, rendered


def preview_lines(rendered: list[dict]) -> dict:
    """A preview's ``lines``: every line, as the one page there is."""
    return {
        "object": "list",
        "data": rendered,
        "has_more": False,
        "url": "/v1/invoices/create_preview/lines",
    }


def _preview_parent(subscription: Subscription, proration_date: datetime | None) -> dict:
    return {
        "type": "subscription_details",
        "quote_details": None,
        "subscription_details": {
            "metadata": subscription.metadata,
            "subscription": subscription.id,
            "subscription_proration_date": clock.to_epoch(proration_date),
        },
    }


def invoice_preview(
    *,
    subscription: Subscription,
    changes: list[ItemChange],
    proration_date: datetime | None = None,
    proration_behavior: str = "create_prorations",
    choices: Choices | None = None,
    reads: PreviewReads | None = None,
    default_tax_rates: list[str] | None = None,
) -> dict:
    """The invoice the change makes (or the next one), every stage run as ``choices`` (None:
    the account's) chooses, as the change and renewal run them, with proposed checked
    ``default_tax_rates`` (None: its own). ``reads``: what ``subscription_preview_get`` learnt:
    pending items, discounts and tax ids are read only when there are some, the balance not at
    all."""
    now = clock.now(test_clock_id=subscription.customer.test_clock_id)
    at = proration_date or now
    period = (subscription.current_period_start, subscription.current_period_end)
    choices = stage_choices(subscription.account) if choices is None else choices
    plan = change_plan(
        subscription=subscription,
        changes=changes,
        at=at,
        proration_behavior=proration_behavior,
        choices=choices,
        discounts=None if reads is None or reads.has_discounts else [],
    )
    pending_lines = _pending_lines(subscription) if reads is None or reads.has_pending else []
    next_period, cycle = _next_cycle(subscription, plan.after, period, choices)
    # always_invoice bills the prorations (and pending items) at once: that invoice is the preview;
    # so does a change that restarts the cycle (a new interval, or free to paid).
    immediate = proration_behavior == "always_invoice" or plan.reset is not None
    lines = pending_lines + plan.lines + ([] if immediate else cycle)
    if plan.reset is not None:
        period = plan.reset
    discount = discount_among(plan.discounts, subscription, at if immediate else next_period[0])
    balance = customer_balance(subscription.customer) if reads is None else reads.balance
    defaults = subscription.default_tax_rates if default_tax_rates is None else default_tax_rates
    discounts, totals, settled, method = _settled(
        subscription, lines, discount, choices, balance, defaults
    )
    # The items' prices, loaded by the plan (each with the subscription's account).
    prices = [item.price for item in plan.before + plan.after if item.price_id]
    taxes, rendered_lines = _taxes_render(subscription, lines, totals, defaults, prices)
    return {
        **invoice_preview_base(
            account=subscription.account,
            customer=subscription.customer,
            at=at,
            tax_ids=None if reads is None or reads.has_tax_ids else [],
        ),
        "id": None,
        "object": "invoice",
        "amount_due": settled.amount_due,
        "amount_paid": 0,
        "amount_remaining": settled.amount_due,
        "billing_reason": "subscription_update" if immediate else "upcoming",
        "collection_method": method,
        "currency": subscription.currency,
        "customer": subscription.customer_id,
        "ending_balance": settled.ending_balance,
        "lines": preview_lines(rendered_lines),
        "next_payment_attempt": clock.to_epoch(at if immediate else next_period[0])
        if method == "charge_automatically"
        else None,
        "parent": _preview_parent(subscription, at if proration_date else None),
        "period_end": clock.to_epoch(period[1] if immediate else next_period[0]),
        "period_start": clock.to_epoch(at if immediate else period[0]),
        "starting_balance": settled.starting_balance,
        "status": "draft",
        "subscription": subscription.id,
        "subscription_proration_date": clock.to_epoch(at) if proration_date else None,
        "subtotal": totals.subtotal,
        "total_discount_amounts": (
            [{"amount": sum(discounts), "discount": discount.id}] if any(discounts) else []
        ),
        "total": totals.total,
        **taxes,
    }
