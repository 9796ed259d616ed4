"""Creating a subscription and billing its first invoice (apps.subscriptions.planning decides
what)."""

from datetime import datetime

from django.db import transaction

from apps.accounts.audit import changes_batched
from apps.accounts.models import Account
from apps.catalog.selectors import tax_rates_applicable
from apps.core import clock
from apps.core.actor import Actor
from apps.core.errors import CardError, InvalidRequestError
from apps.customers.models import Customer
from apps.customers.selectors import customer_balance
from apps.invoices.discounts import discount_apply, discount_in_force, discount_used
from apps.invoices.engine.stages import Choices
from apps.invoices.models import Invoice
from apps.invoices.services import invoice_finalize, invoice_made_write, invoice_void
from apps.invoices.services.payments_begun import PaymentsBegun
from apps.invoices.stage_choices import stage_choices
from apps.subscriptions.currency import subscription_plan
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.planning import (
    CreatePlan,
    ItemRequest,
    first_lines,
    starts_at_check,
)
from apps.subscriptions.render import subscription_children_known, subscription_record
from apps.subscriptions.services.billing import invoice_from_lines
from apps.subscriptions.services.collection import (
    invoice_collect_begin,
    invoice_collect_complete,
)
from apps.subscriptions.terms import item_terms
from apps.subscriptions.transitions import subscription_move

PAYMENT_BEHAVIORS = ("allow_incomplete", "default_incomplete", "error_if_incomplete")
COLLECTION_METHODS = ("charge_automatically", "send_invoice")


def _rows_insert(
    *,
    account: Account,
    customer: Customer,
    plan: CreatePlan,
    items: list[ItemRequest],
    starts_at: datetime,
    collection_method: str,
    days_until_due: int | None,
    metadata: dict[str, str] | None,
    trial_settings: dict | None,
    default_tax_rates: list[str],
) -> tuple[Subscription, list[SubscriptionItem]]:
    """The subscription, in the status its plan gives (trialing or active), and its items;
    ``default_tax_rates`` are checked first (the account's active rates). The subscription is
    left for ``subscription_create`` to insert once its first invoice is known (its
    ``latest_invoice`` in the insert: the foreign keys to it are checked at commit)."""
    rates = tax_rates_applicable(account=account, ids=default_tax_rates, param="default_tax_rates")
    subscription = Subscription(
        account=account,
        customer=customer,
        status=plan.status,
        currency=plan.currency,
        interval=plan.interval,
        interval_count=plan.interval_count,
        billing_cycle_anchor=plan.anchor,
        current_period_start=plan.period[0],
        current_period_end=plan.period[1],
        collection_method=collection_method,
        days_until_due=days_until_due,
        metadata=metadata or {},
        trial_settings=trial_settings or {},
        trial_start=plan.trial[0] if plan.trial is not None else None,
        trial_end=plan.trial[1] if plan.trial is not None else None,
        default_tax_rates=rates,
        created_at=starts_at,
    )
    rows = [
        SubscriptionItem.objects.create(
            account=account,
            subscription=subscription,
            price=item.price,
            quantity=item.quantity,
            trial_end=item_trial_end,
            custom_unit_amount=item.custom_unit_amount,
            tax_rates=list(item.tax_rates),
            created_at=starts_at,
        )
        for item, item_trial_end in zip(items, plan.item_trial_ends, strict=True)
    ]
    return subscription, rows


def _first_payment_move(subscription: Subscription, status: str, actor: Actor) -> None:
    """The subscription leaves the active status its creation recorded: incomplete, or
    incomplete_expired (ended now)."""
    fields: tuple[str, ...] = ()
    with transaction.atomic():
        if status == SubscriptionStatus.INCOMPLETE_EXPIRED:
            subscription.ended_at = clock.now(test_clock_id=subscription.customer.test_clock_id)
            fields = ("ended_at",)
        subscription_move(
            subscription,
            status,
            actor=actor,
            previous={"status": SubscriptionStatus.ACTIVE},
            fields=fields,
        )


def _first_invoice_collect(
    subscription: Subscription,
    invoice,
    choices: Choices,
    begun: PaymentsBegun | None,
    *,
    payment_behavior: str,
    actor: Actor,
) -> None:
    """After the creation's transaction: the first invoice finalized and left for the customer
    (``default_incomplete``), or its collection (begun in the creation's transaction:
    ``invoice_collect_begin``) completed; a failed first payment leaves the subscription
    incomplete, or undoes it (``error_if_incomplete``)."""
    account = subscription.account
    if payment_behavior == "default_incomplete":
        # The first invoice is finalized and left for the customer to pay (e.g. on a page).
        invoice_finalize(invoice_id=invoice.id, account=account, actor=actor, choices=choices)
        _first_payment_move(subscription, SubscriptionStatus.INCOMPLETE, actor)
        return
    if invoice_collect_complete(invoice, begun, actor):
        return
    if payment_behavior == "error_if_incomplete":
        # As if it had not been created: the invoice is voided, the subscription expires.
        invoice_void(account=account, invoice_id=invoice.id, actor=actor)
        _first_payment_move(subscription, SubscriptionStatus.INCOMPLETE_EXPIRED, actor)
        raise CardError(
            "The first payment failed, so the subscription was not created.",
            code="card_declined",
            extra={"decline_code": "generic_decline"},
        )
    _first_payment_move(subscription, SubscriptionStatus.INCOMPLETE, actor)


def _choices_check(*, payment_behavior: str, collection_method: str) -> None:
    if payment_behavior not in PAYMENT_BEHAVIORS:
        raise InvalidRequestError(
            f"payment_behavior is one of {', '.join(PAYMENT_BEHAVIORS)}.", param="payment_behavior"
        )
    if collection_method not in COLLECTION_METHODS:
        raise InvalidRequestError(
            f"collection_method is one of {', '.join(COLLECTION_METHODS)}.",
            param="collection_method",
        )


def _discount_applied(
    subscription: Subscription, *, coupon_id: str | None, promotion_code: str | None, actor: Actor
) -> list[str]:
    """The new subscription's own discount, when the request names a coupon or a promotion
    code: its id (none: [])."""
    if not (coupon_id or promotion_code):
        return []
    discount = discount_apply(
        account=subscription.account,
        customer=subscription.customer,
        subscription=subscription,
        actor=actor,
        coupon_id=coupon_id,
        promotion_code=promotion_code,
    )
    return [discount.id]


def _first_invoice(
    subscription: Subscription,
    plan: CreatePlan,
    rows: list[SubscriptionItem],
    starts_at: datetime,
    choices: Choices,
    actor: Actor,
    balance: int,
) -> Invoice | None:
    """The first period's invoice of the new subscription's items (in the request's order, as
    the preview plans them). The discount in force as the first period begins discounts it,
    and a ``once`` coupon is spent by the period even when no invoice is made (one read of the
    discount for both). ``balance``: the customer's, read in this transaction."""
    customer = subscription.customer
    starting = [item_terms(row, currency=plan.currency, on=starts_at) for row in rows]
    lines = first_lines(plan, starting, choices=choices)
    now = clock.now(test_clock_id=customer.test_clock_id)
    discount = discount_in_force(customer=customer, subscription=subscription, at=now)
    invoice = invoice_from_lines(
        subscription=subscription,
        lines=lines,
        period=plan.period,
        billing_reason="subscription_create",
        actor=actor,
        choices=choices,
        discount=discount,
        balance=balance,
        fresh_prices=[row.price for row in rows],
    )
    if discount is not None:
        discount_used(discount, now)
    return invoice


def subscription_create(
    *,
    account: Account,
    customer: Customer,
    items: list[ItemRequest],
    actor: Actor,
    collection_method: str = "charge_automatically",
    days_until_due: int | None = None,
    metadata: dict[str, str] | None = None,
    coupon_id: str | None = None,
    promotion_code: str | None = None,
    payment_behavior: str = "allow_incomplete",
    trial_settings: dict | None = None,
    trial_end: datetime | None = None,
    billing_cycle_anchor: datetime | None = None,
    proration_behavior: str = "create_prorations",
    starts_at: datetime | None = None,
    currency: str | None = None,
    choices: Choices | None = None,
    default_tax_rates: list[str] | None = None,
) -> Subscription:
    """Create and bill the first invoice (apps.subscriptions.planning decides what), the
    billing stages run as ``choices`` (None: the account's) chooses.

    ``starts_at`` pins the start to a moment shortly before now (a dashboard page's preview
    time), so the creation bills exactly what the preview showed."""
    _choices_check(payment_behavior=payment_behavior, collection_method=collection_method)
    starts_at = starts_at_check(starts_at, now=clock.now(test_clock_id=customer.test_clock_id))
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
    begun = None
    with transaction.atomic(), changes_batched(account=account, actor=actor):
        subscription, rows = _rows_insert(
            account=account,
            customer=customer,
            plan=plan,
            items=items,
            starts_at=starts_at,
            collection_method=collection_method,
            days_until_due=days_until_due,
            metadata=metadata,
            trial_settings=trial_settings,
            default_tax_rates=default_tax_rates or [],
        )
        discount_ids = _discount_applied(
            subscription, coupon_id=coupon_id, promotion_code=promotion_code, actor=actor
        )
        subscription_children_known(
            subscription, items=sorted(rows, key=lambda row: row.id), discount_ids=discount_ids
        )
        choices = stage_choices(account) if choices is None else choices
        balance = customer_balance(customer)
        invoice = _first_invoice(subscription, plan, rows, starts_at, choices, actor, balance)
        # Every column is set (invoice_from_lines set latest_invoice): one insert.
        subscription.save(force_insert=True)
        subscription_record(subscription, "customer.subscription.created", actor)
        if invoice is not None and payment_behavior != "default_incomplete":
            # Finalized, claimed and its charge pending, committed before the processor call.
            begun = invoice_collect_begin(subscription, invoice, actor, choices, balance=balance)
        elif invoice is not None:
            invoice_made_write(account=account, invoice=invoice, balance=None, actor=actor)
    if invoice is not None:
        _first_invoice_collect(
            subscription, invoice, choices, begun, payment_behavior=payment_behavior, actor=actor
        )
    return subscription
