"""How the statuses of subscriptions and the states of their items move: one table of allowed
moves each, and the functions that make them (``subscription_move``, ``subscriptions_move`` for a
batch, ``subscription_status_set`` for a move inside a broader change, ``item_move``), writing
each subscription move's event and audit entry in the caller's transaction. No other code
assigns a subscription's status or an item's ``trial_settled_at``, ``paused_at`` or
``deleted_at`` (a test holds it so); rows are created in their first status.

A status a subscription keeps is no move (a renewal of an active subscription, a trial moved):
nothing to check. The moves are drawn in the README (Customers and payments), with the
payment intent's.
"""

from collections import defaultdict
from datetime import datetime

from apps.accounts.audit import change_record, changes_record
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError
from apps.invoices.models import Discount
from apps.subscriptions.enums import SubscriptionItemState as I
from apps.subscriptions.enums import SubscriptionStatus as S
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.render import subscription_render

# status -> the statuses it may move to.
SUBSCRIPTION_MOVES: dict[str, frozenset[str]] = {
    # The first payment failed or waits (→ incomplete), was refused (→ incomplete_expired); it
    # is paid (→ active), the 23 hours pass (→ incomplete_expired).
    S.INCOMPLETE: frozenset({S.ACTIVE, S.TRIALING, S.PAUSED, S.CANCELED, S.INCOMPLETE_EXPIRED}),
    # Canceling an expired subscription ends it for good.
    S.INCOMPLETE_EXPIRED: frozenset({S.CANCELED}),
    S.TRIALING: frozenset(
        {S.ACTIVE, S.INCOMPLETE, S.INCOMPLETE_EXPIRED, S.PAST_DUE, S.PAUSED, S.CANCELED}
    ),
    S.ACTIVE: frozenset(
        {S.TRIALING, S.INCOMPLETE, S.INCOMPLETE_EXPIRED, S.PAST_DUE, S.UNPAID, S.PAUSED, S.CANCELED}
    ),
    # Dunning: its open invoices paid (→ active), its retries spent (→ unpaid or canceled).
    S.PAST_DUE: frozenset({S.ACTIVE, S.TRIALING, S.UNPAID, S.PAUSED, S.CANCELED}),
    S.UNPAID: frozenset({S.ACTIVE, S.TRIALING, S.PAUSED, S.CANCELED}),
    # Every item paused at its trial's end; resumed by the API or by an item that bills again.
    S.PAUSED: frozenset({S.ACTIVE, S.TRIALING, S.CANCELED}),
    S.CANCELED: frozenset(),
}


def subscription_event(before: str, to: str) -> str:
    """The event a subscription moving (or keeping its status) from ``before`` to ``to``
    records: Stripe names an end, a pause and a resume; anything else is an update."""
    if to in (S.CANCELED, S.INCOMPLETE_EXPIRED):
        return "customer.subscription.deleted"
    if to == S.PAUSED:
        return "customer.subscription.paused"
    if before == S.PAUSED:
        return "customer.subscription.resumed"
    return "customer.subscription.updated"


# (from, to) -> the event the move records.
SUBSCRIPTION_EVENTS: dict[tuple[str, str], str] = {
    (before, to): subscription_event(before, to)
    for before, targets in SUBSCRIPTION_MOVES.items()
    for to in targets
}


def _allowed(subscription: Subscription, to: str) -> None:
    before = subscription.status
    if to != before and to not in SUBSCRIPTION_MOVES[before]:
        raise InvalidRequestError(
            f"Subscription {subscription.id} is {before}; it cannot become {to}.",
            code="subscription_unexpected_state",
        )


def subscription_status_set(subscription: Subscription, to: str) -> None:
    """Move ``subscription`` to ``to`` (refused with ``subscription_unexpected_state`` when the
    table does not allow it) inside a broader change whose event the caller records with what
    else changed (a renewal's new period, a resume, a trial's end or restart); the caller
    saves it."""
    _allowed(subscription, to)
    subscription.status = to


def subscription_move(
    subscription: Subscription,
    to: str,
    *,
    actor: Actor,
    previous: dict | None = None,
    fields: tuple[str, ...] | None = None,
) -> None:
    """Move the locked ``subscription`` to ``to`` (refused with ``subscription_unexpected_state``
    when the table does not allow it), save it with what else the caller set on it (only its
    status and ``fields`` when given), and record the move's event and audit entry;
    ``previous``: what the event says changed, as it was (default: the status it had)."""
    before = subscription.status
    _allowed(subscription, to)
    subscription.status = to
    if fields is None:
        subscription.save()
    else:
        subscription.save(update_fields=["status", *fields, "updated_at"])
    change_record(
        account=subscription.account,
        actor=actor,
        type=subscription_event(before, to),
        object_type="subscription",
        data_object=subscription_render(subscription),
        previous={"status": before} if previous is None else previous,
    )


def subscriptions_move(*, account, moves: list[tuple[Subscription, str]], actor: Actor) -> None:
    """Move each subscription of ``moves`` (one account's, locked) to its status and record each
    move's event (with the status it had) and audit entry in multi-row writes, their items and
    discounts read once for all; nothing moves when one move is refused. The caller writes the
    rows in the same transaction."""
    if not moves:
        return
    for subscription, to in moves:
        _allowed(subscription, to)
    ids = [subscription.id for subscription, _ in moves]
    items = defaultdict(list)
    for item in (
        SubscriptionItem.objects.filter(subscription_id__in=ids, deleted_at__isnull=True)
        .select_related("price__account")
        .order_by("id")
    ):
        items[item.subscription_id].append(item)
    discounts = defaultdict(list)
    for subscription_id, discount_id in (
        Discount.objects.filter(subscription_id__in=ids, removed_at__isnull=True)
        .order_by("id")
        .values_list("subscription_id", "id")
    ):
        discounts[subscription_id].append(discount_id)
    changes = []
    for subscription, to in moves:
        before = subscription.status
        subscription.status = to
        data = subscription_render(
            subscription, items=items[subscription.id], discount_ids=discounts[subscription.id]
        )
        changes.append((subscription_event(before, to), "subscription", data, {"status": before}))
    changes_record(account=account, actor=actor, changes=changes)


# state -> the states an item may move to (a state it keeps is no move).
ITEM_MOVES: dict[str, frozenset[str]] = {
    # Its trial settled (→ active, or paused or deleted by the trial's end behaviour), or it is
    # removed.
    I.TRIALING: frozenset({I.ACTIVE, I.PAUSED, I.DELETED}),
    # A trial (re)started by the subscription's trial_end, or removed.
    I.ACTIVE: frozenset({I.TRIALING, I.DELETED}),
    # Resumed, or removed.
    I.PAUSED: frozenset({I.ACTIVE, I.DELETED}),
    I.DELETED: frozenset(),
}


def item_state(item: SubscriptionItem) -> str:
    if item.deleted_at is not None:
        return I.DELETED
    if item.paused_at is not None:
        return I.PAUSED
    if item.trial_end is not None and item.trial_settled_at is None:
        return I.TRIALING
    return I.ACTIVE


def item_move(
    item: SubscriptionItem, to: str, *, at: datetime, settled_at: datetime | None = None
) -> None:
    """Move ``item`` to the state ``to`` at ``at`` (refused with
    ``subscription_item_unexpected_state`` when the table does not allow it): deleted or paused
    from ``at``, a trial settled at ``at`` (active) or restarted (trialing: the caller sets its
    ``trial_end``), a pause lifted. ``settled_at``: when the trial's end that pauses or removes
    it was dealt with. The item's event is its subscription's; the caller saves it."""
    before = item_state(item)
    if to != before and to not in ITEM_MOVES[before]:
        raise InvalidRequestError(
            f"Subscription item {item.id} is {before}; it cannot become {to}.",
            code="subscription_item_unexpected_state",
        )
    if to == I.DELETED:
        item.deleted_at = at
    elif to == I.PAUSED:
        item.paused_at = at
    elif to == I.TRIALING:
        item.trial_settled_at = None
    elif before == I.PAUSED:
        item.paused_at = None
    elif before == I.TRIALING:
        item.trial_settled_at = at
    if settled_at is not None:
        item.trial_settled_at = settled_at
