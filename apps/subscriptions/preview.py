"""The invoices of a subscription not yet created: computed, never written (issue #4).

The creation's own planning (apps.subscriptions.planning) gives the first invoice, the
renewal's gives the next one, on unsaved items; discounts, the customer's credit balance and the
account's zero-total setting are applied as ``invoice_from_lines`` and ``invoice_finalize`` apply
them. So, for the same start (``starts_at``), the preview is what ``subscription_create`` then
bills. Coupons and promotion codes are checked exactly as on creation, and not redeemed.
"""

from dataclasses import dataclass
from datetime import datetime

from apps.accounts.models import Account
from apps.catalog.selectors import tax_rates_applicable
from apps.core import clock
from apps.core.errors import InvalidRequestError
from apps.customers.models import Customer
from apps.customers.selectors import customer_balance
from apps.invoices.discounts import coupon_for, discount_in_force
from apps.invoices.engine.periods import boundary
from apps.invoices.engine.planner import TRIAL_REMAINDER, Line
from apps.invoices.engine.settlement import Settlement, invoice_settle
from apps.invoices.engine.stages import Choices
from apps.invoices.engine.staging import BALANCE, Totals
from apps.invoices.models import Discount
from apps.invoices.services import collection_previewed, invoice_totals
from apps.invoices.stage_choices import stage_choices
from apps.subscriptions.currency import subscription_plan
from apps.subscriptions.models import BillingSettings, Subscription, SubscriptionItem
from apps.subscriptions.planning import (
    CreatePlan,
    ItemRequest,
    first_lines,
    next_lines,
    next_period,
    starts_at_check,
)
from apps.subscriptions.terms import item_terms


@dataclass(frozen=True)
class InvoicePlan:
    lines: list[Line]
    discounts: list[int]
    period: tuple[datetime, datetime]
    # When the invoice is made (and, charging automatically, paid).
    at: datetime
    subtotal: int
    total: int
    # Finalizing it with the customer's balance (None when no invoice is made: nothing to bill,
    # or a zero total the account does not keep).
    settlement: Settlement | None
    # The totals as billing.compute_bill gave them (its taxes, per line and per rate).
    totals: Totals | None = None

    @property
    def created(self) -> bool:
        return self.settlement is not None

    @property
    def amount_due(self) -> int:
        return self.settlement.amount_due if self.settlement else 0

    @property
    def credit(self) -> int:
        """What the customer's balance takes off the total (credit used, or less)."""
        return self.total - self.amount_due if self.settlement else 0

    @property
    def ending_balance(self) -> int | None:
        return self.settlement.ending_balance if self.settlement else None


@dataclass(frozen=True)
class NewSubscriptionPreview:
    plan: CreatePlan
    customer: Customer
    currency: str
    collection_method: str
    days_until_due: int | None
    first: InvoicePlan
    next: InvoicePlan
    discount: Discount | None
    item_ids: list[str]


def _coupon_discount(
    *, account, customer, currency, coupon_id, promotion_code, now
) -> Discount | None:
    """The discount the creation would apply (unsaved), checked as discount_apply checks it."""
    if not coupon_id and not promotion_code:
        return None
    if coupon_id and promotion_code:
        raise InvalidRequestError(
            "Pass a coupon or a promotion_code.", param="coupon", code="parameter_missing"
        )
    # The same checks as discount_apply's, on rows only read: a preview locks nothing.
    coupon, promo = coupon_for(
        account, coupon_id=coupon_id, promotion_code=promotion_code, customer=customer, lock=False
    )
    if coupon.currency and coupon.currency != currency:
        raise InvalidRequestError(
            f"The coupon is in {coupon.currency}; the subscription bills in {currency}.",
            param="coupon",
        )
    end = None
    if coupon.duration == "repeating":
        end = boundary(now, "month", 1, coupon.duration_in_months)
    return Discount(
        account=account, coupon=coupon, promotion_code=promo, customer=customer, start=now, end=end
    )


def _invoice(
    lines, *, discount, period, at, balance, currency, keep_zero, choices: Choices, taxes=("", ())
) -> InvoicePlan:
    """``taxes``: the account id and the subscription's default tax rate ids."""
    discounts, totals = invoice_totals(
        discount,
        [(line.amount, line.kind, line.price_id, line.proration) for line in lines],
        currency=currency,
        balance=balance,
        choices=choices,
        account_id=taxes[0],
        line_rates=[line.tax_rates for line in lines],
        default_rates=taxes[1],
    )
    subtotal, total = totals.subtotal, totals.total
    settlement = (
        invoice_settle(total=total, balance=balance, currency=currency, choice=choices.of(BALANCE))
        if lines and (total != 0 or keep_zero)
        else None
    )
    return InvoicePlan(lines, discounts, period, at, subtotal, total, settlement, totals)


def _in_force(discount: Discount | None, at: datetime, *, first: bool) -> Discount | None:
    if discount is None or (discount.end is not None and discount.end <= at):
        return None
    if not first and discount.coupon.duration == "once":
        return None  # the first period spent it (apps.invoices.discounts.discount_period_used)
    return discount


def _items_unsaved(
    account: Account,
    customer: Customer,
    items: list[ItemRequest],
    plan: CreatePlan,
    trial_settings: dict | None,
) -> list[SubscriptionItem]:
    """The new subscription's items as the planner sees them, of an unsaved subscription."""
    subscription = Subscription(
        account=account,
        customer=customer,
        currency=plan.currency,
        trial_settings=trial_settings or {},
    )
    return [
        SubscriptionItem(
            id=f"si_preview_{index}",
            account=account,
            subscription=subscription,
            price=item.price,
            quantity=item.quantity,
            trial_end=end,
            custom_unit_amount=item.custom_unit_amount,
            tax_rates=list(item.tax_rates),
        )
        for index, (item, end) in enumerate(zip(items, plan.item_trial_ends, strict=True))
    ]


def _renewal_items(
    rows: list[SubscriptionItem],
    customer: Customer,
    trial_settings: dict | None,
    settings: BillingSettings,
    renews_at: datetime,
) -> list[SubscriptionItem]:
    """The items the first renewal bills: without a payment method, an item whose trial has
    ended by then may be removed or paused (apps.subscriptions.services.trials)."""
    behavior = "create_invoice"
    if not (customer.default_payment_method_id or customer.default_source_id):
        chosen = ((trial_settings or {}).get("end_behavior") or {}).get("missing_payment_method")
        behavior = chosen or settings.trial_missing_payment_method
    return [
        row
        for row in rows
        if behavior == "create_invoice" or row.trial_end is None or row.trial_end > renews_at
    ]


def _collection(first: InvoicePlan, account, currency, method, days, choices: Choices):
    """The first invoice's collection method and days until due, as finalizing will decide them
    (``payments.collection``); as given when no invoice is made."""
    if not first.created:
        return method, days
    return collection_previewed(
        account,
        total=first.total,
        amount_due=first.amount_due,
        currency=currency,
        collection_method=method,
        days_until_due=days,
        choices=choices,
    )


def _renewal_lines(lines: list[Line], settings: BillingSettings) -> list[Line]:
    """The first renewal's lines, less the trial remainders billed when each trial ends (an
    account setting)."""
    if settings.invoice_trial_end_immediately:
        return [line for line in lines if line.kind != TRIAL_REMAINDER]
    return lines


def _renewal_invoice(
    plan: CreatePlan,
    renewing: list,
    *,
    discount,
    balance: int,
    settings: BillingSettings,
    choices: Choices,
    taxes: tuple,
):
    """The first renewal's invoice: the next period's lines of the ``renewing`` item terms."""
    renewal = next_period(plan)
    return _invoice(
        _renewal_lines(next_lines(plan, renewing, choices=choices), settings),
        discount=_in_force(discount, renewal[0], first=False),
        period=renewal,
        at=renewal[0],
        balance=balance,
        currency=plan.currency,
        keep_zero=settings.zero_total_invoices,
        choices=choices,
        taxes=taxes,
    )


def _preview_reads(
    account: Account, customer: Customer, currency: str, *, coupon: tuple, now: datetime
) -> tuple[Discount | None, BillingSettings, int]:
    """What a new subscription's preview reads: the discount its ``coupon`` (coupon id,
    promotion code) would apply, the account's billing settings (or their defaults: a preview
    does not create the row) and the customer's balance."""
    added = _coupon_discount(
        account=account,
        customer=customer,
        currency=currency,
        coupon_id=coupon[0],
        promotion_code=coupon[1],
        now=now,
    )
    settings = BillingSettings.objects.filter(account=account).first() or BillingSettings()
    return added, settings, customer_balance(customer)


def _taxes_of(account: Account, default_tax_rates: list[str] | None) -> tuple:
    """What ``_invoice`` taxes with: the account id and the checked default tax rate ids."""
    ids = default_tax_rates or []
    return account.id, tax_rates_applicable(account=account, ids=ids, param="default_tax_rates")


def subscription_create_preview(
    *,
    account: Account,
    customer: Customer,
    items: list[ItemRequest],
    starts_at: datetime | None = None,
    trial_end: datetime | None = None,
    billing_cycle_anchor: datetime | None = None,
    proration_behavior: str = "create_prorations",
    coupon_id: str | None = None,
    promotion_code: str | None = None,
    collection_method: str = "charge_automatically",
    days_until_due: int | None = None,
    trial_settings: dict | None = None,
    currency: str | None = None,
    choices: Choices | None = None,
    default_tax_rates: list[str] | None = None,
) -> NewSubscriptionPreview:
    """The first invoice (what the creation bills now) and the next one (the first renewal)."""
    now = clock.now(test_clock_id=customer.test_clock_id)
    taxes = _taxes_of(account, default_tax_rates)
    choices = stage_choices(account) if choices is None else choices
    starts_at = starts_at_check(starts_at, now=now)
    plan = subscription_plan(
        account=account,
        customer=customer,
        items=items,
        starts_at=starts_at,
        currency=currency,
        trial_end=trial_end,
        billing_cycle_anchor=billing_cycle_anchor,
        proration_behavior=proration_behavior,
    )
    currency = plan.currency
    rows = _items_unsaved(account, customer, items, plan, trial_settings)
    added, settings, balance = _preview_reads(
        account, customer, currency, coupon=(coupon_id, promotion_code), now=now
    )
    discount = added or discount_in_force(customer=customer, subscription=None, at=now)
    starting = [item_terms(row, currency=currency, on=starts_at) for row in rows]
    first = _invoice(
        first_lines(plan, starting, choices=choices),
        discount=_in_force(discount, now, first=True),
        period=plan.period,
        at=now,
        balance=balance,
        currency=currency,
        keep_zero=settings.zero_total_invoices,
        choices=choices,
        taxes=taxes,
    )
    renewal = next_period(plan)
    if added is None:
        discount = discount_in_force(customer=customer, subscription=None, at=renewal[0])
    billing = _renewal_items(rows, customer, trial_settings, settings, renewal[0])
    following = _renewal_invoice(
        plan,
        [item_terms(row, currency=currency, on=renewal[0]) for row in billing],
        discount=discount,
        balance=balance if first.ending_balance is None else first.ending_balance,
        settings=settings,
        choices=choices,
        taxes=taxes,
    )
    method, days = _collection(first, account, currency, collection_method, days_until_due, choices)
    return NewSubscriptionPreview(
        plan=plan,
        customer=customer,
        currency=currency,
        collection_method=method,
        days_until_due=days,
        first=first,
        next=following,
        discount=discount if any(first.discounts) else None,
        item_ids=[row.id for row in rows],
    )
