"""Changing a subscription's items: change, add and delete at once, with prorations."""

from datetime import datetime

from django.db import transaction

from apps.accounts.models import Account
from apps.catalog.models import Price
from apps.catalog.selectors import tax_rates_applicable
from apps.core import clock
from apps.core.actor import Actor
from apps.core.errors import ResourceMissingError
from apps.core.locks import row_lock
from apps.invoices.engine.stages import Choices
from apps.invoices.stage_choices import stage_choices
from apps.subscriptions.changes import ItemChange, change_plan
from apps.subscriptions.enums import SubscriptionItemState
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.planning import ItemRequest
from apps.subscriptions.services.collection import invoice_collect
from apps.subscriptions.services.cycles import cycle_restart, prorate_change
from apps.subscriptions.services.record import stages_pend
from apps.subscriptions.transitions import item_move


def subscription_items_change(
    *,
    account: Account,
    subscription_id: str,
    changes: list[ItemChange],
    actor: Actor,
    proration_behavior: str = "create_prorations",
    proration_date: datetime | None = None,
    choices: Choices | None = None,
) -> list[SubscriptionItem]:
    """Change, add and delete items at once (``items[N]`` of an update), as
    apps.subscriptions.changes plans them (with the billing stages ``choices`` choose, None:
    the account's): every proration at ``proration_date`` (else now),
    pending for the next invoice or invoiced at once with ``always_invoice``; a new interval
    (or free to paid) restarts the cycle and bills it now. Answers the changed rows, then the
    added ones (removed ones left out)."""
    with transaction.atomic():
        subscription = row_lock(
            Subscription.objects.select_related("customer", "account").filter(
                account=account, id=subscription_id
            )
        )
        if subscription is None:
            raise ResourceMissingError("subscription", subscription_id)
        now = clock.now(test_clock_id=subscription.customer.test_clock_id)
        at = proration_date or now
        choices = stage_choices(account) if choices is None else choices
        plan = change_plan(
            subscription=subscription,
            changes=changes,
            at=at,
            proration_behavior=proration_behavior,
            choices=choices,
        )
        for row in plan.updated:
            row.save(
                update_fields=["price", "quantity", "custom_unit_amount", "tax_rates", "updated_at"]
            )
        for row in plan.added:
            row.created_at = now
            row.save(force_insert=True)
        for row in plan.removed:
            item_move(row, SubscriptionItemState.DELETED, at=now)
            row.save(update_fields=["deleted_at", "updated_at"])
        if plan.lines or proration_behavior != "always_invoice":
            # A waived proration's record goes to the invoice that would have had its lines:
            # the next one, or the one made now (none is made when nothing is due).
            stages_pend(subscription, plan.waived)
        if plan.reset is not None:
            invoice = cycle_restart(
                subscription,
                lines=plan.lines,
                period=plan.reset,
                interval=plan.interval,
                actor=actor,
                choices=choices,
            )
        else:
            invoice = prorate_change(
                subscription, plan.lines, proration_behavior, at, now, actor, choices
            )
    if invoice is not None:
        invoice_collect(subscription, invoice, actor, choices)
    return [*plan.updated, *plan.added]


def subscription_item_update(
    *,
    account: Account,
    item_id: str,
    actor: Actor,
    price: Price | None = None,
    quantity: int | None = None,
    custom_unit_amount: int | None = None,
    proration_behavior: str = "create_prorations",
    proration_date: datetime | None = None,
    tax_rates: list[str] | None = None,
) -> SubscriptionItem:
    """Change an item's price, quantity, chosen amount (a pay-what-you-want price) or own tax
    rates (None: as they are; checked) mid-period (``subscription_items_change``)."""
    if tax_rates is not None:
        tax_rates = tax_rates_applicable(account=account, ids=tax_rates, param="tax_rates")
    subscription_items_change(
        account=account,
        subscription_id=_subscription_of(account, item_id),
        changes=[
            ItemChange(
                item_id=item_id,
                price=price,
                quantity=quantity,
                custom_unit_amount=custom_unit_amount,
                tax_rates=None if tax_rates is None else tuple(tax_rates),
            )
        ],
        proration_behavior=proration_behavior,
        proration_date=proration_date,
        actor=actor,
    )
    return SubscriptionItem.objects.select_related("subscription").get(account=account, id=item_id)


def subscription_item_add(
    *,
    account: Account,
    subscription_id: str,
    request: ItemRequest,
    actor: Actor,
    proration_behavior: str = "create_prorations",
    proration_date: datetime | None = None,
) -> SubscriptionItem:
    """Add an item mid-period (``subscription_items_change``); an item with its own trial
    prorates nothing until it ends."""
    (item,) = subscription_items_change(
        account=account,
        subscription_id=subscription_id,
        changes=[
            ItemChange(
                item_id=None,
                price=request.price,
                quantity=request.quantity,
                trial_end=request.trial_end,
                custom_unit_amount=request.custom_unit_amount,
                tax_rates=request.tax_rates,
            )
        ],
        proration_behavior=proration_behavior,
        proration_date=proration_date,
        actor=actor,
    )
    return item


def subscription_item_delete(
    *,
    account: Account,
    item_id: str,
    actor: Actor,
    proration_behavior: str = "create_prorations",
    proration_date: datetime | None = None,
    clear_usage: bool = False,
) -> None:
    """Remove an item (``subscription_items_change``); its unused time is credited unless
    ``proration_behavior`` is none. The last item cannot be removed (cancel the subscription
    instead)."""
    subscription_items_change(
        account=account,
        subscription_id=_subscription_of(account, item_id),
        changes=[ItemChange(item_id=item_id, deleted=True, clear_usage=clear_usage)],
        proration_behavior=proration_behavior,
        proration_date=proration_date,
        actor=actor,
    )


def _subscription_of(account: Account, item_id: str) -> str:
    subscription_id = (
        SubscriptionItem.objects.filter(account=account, id=item_id, deleted_at__isnull=True)
        .values_list("subscription_id", flat=True)
        .first()
    )
    if subscription_id is None:
        raise ResourceMissingError("subscription_item", item_id)
    return subscription_id
