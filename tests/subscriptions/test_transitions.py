"""Status moves of subscriptions and state moves of their items: every move a table allows is
made (a subscription's with its event), every other one is refused and changes nothing, and no
other code assigns a subscription's status or an item's state."""

import re
from datetime import timedelta
from pathlib import Path

import pytest

from apps.accounts.models import AuditLogEntry
from apps.core import clock
from apps.core.actor import SYSTEM
from apps.core.errors import InvalidRequestError
from apps.core.models import Event
from apps.invoices.engine.periods import utc
from apps.subscriptions.enums import SubscriptionItemState as I
from apps.subscriptions.enums import SubscriptionStatus as S
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.services.lifecycle import lifecycle_due
from apps.subscriptions.transitions import (
    ITEM_MOVES,
    SUBSCRIPTION_EVENTS,
    SUBSCRIPTION_MOVES,
    item_move,
    item_state,
    subscription_move,
    subscription_status_set,
    subscriptions_move,
)
from tests.factories import SubscriptionFactory

APPS = Path(__file__).resolve().parents[2] / "apps"
MOVES = [
    (before, after) for before, targets in SUBSCRIPTION_MOVES.items() for after in sorted(targets)
]
REFUSED = [
    (before, after)
    for before in S.values
    for after in S.values
    if after != before and after not in SUBSCRIPTION_MOVES[before]
]
ITEM_STEPS = [
    (before, after) for before, targets in ITEM_MOVES.items() for after in sorted(targets)
]
ITEM_REFUSED = [
    (before, after)
    for before in I.values
    for after in I.values
    if after != before and after not in ITEM_MOVES[before]
]


def _subscription(account, status: str) -> Subscription:
    subscription = SubscriptionFactory(account=account)
    Subscription.objects.filter(pk=subscription.pk).update(status=status)
    return Subscription.objects.select_related("account", "customer").get(pk=subscription.pk)


def _marks() -> tuple[set[str], set[str]]:
    return set(Event.objects.values_list("id", flat=True)), set(
        AuditLogEntry.objects.values_list("id", flat=True)
    )


def _new(object_id: str, seen: set[str]) -> list[tuple[str, str, dict | None]]:
    return list(
        Event.objects.filter(object_id=object_id)
        .exclude(id__in=seen)
        .order_by("id")
        .values_list("type", "data_object__status", "previous_attributes")
    )


def _audited(object_id: str, seen: set[str]) -> list[tuple[str, dict]]:
    return list(
        AuditLogEntry.objects.filter(object_id=object_id)
        .exclude(id__in=seen)
        .order_by("id")
        .values_list("action", "changes")
    )


def test_the_table_names_every_status_and_ends_in_canceled():
    assert set(SUBSCRIPTION_MOVES) == set(S.values)
    assert set(SUBSCRIPTION_EVENTS) == set(MOVES)
    assert SUBSCRIPTION_MOVES[S.CANCELED] == frozenset()
    assert SUBSCRIPTION_MOVES[S.INCOMPLETE_EXPIRED] == {S.CANCELED}
    assert {
        SUBSCRIPTION_EVENTS[(before, S.CANCELED)] for before in S.values if before != S.CANCELED
    } == {"customer.subscription.deleted"}
    assert SUBSCRIPTION_EVENTS[(S.ACTIVE, S.PAUSED)] == "customer.subscription.paused"
    assert SUBSCRIPTION_EVENTS[(S.PAUSED, S.ACTIVE)] == "customer.subscription.resumed"
    assert SUBSCRIPTION_EVENTS[(S.PAST_DUE, S.ACTIVE)] == "customer.subscription.updated"


@pytest.mark.parametrize(("before", "after"), MOVES)
def test_an_allowed_move_is_made_with_its_event(acme, before, after):
    subscription = _subscription(acme.account, before)
    events, audit = _marks()
    subscription_move(subscription, after, actor=SYSTEM)
    assert Subscription.objects.get(pk=subscription.pk).status == after
    expected = SUBSCRIPTION_EVENTS[(before, after)]
    assert _new(subscription.id, events) == [(expected, after, {"status": before})]
    assert _audited(subscription.id, audit) == [(expected, {"status": [before, after]})]


@pytest.mark.parametrize(
    ("status", "expected"),
    [(S.ACTIVE, "customer.subscription.updated"), (S.PAUSED, "customer.subscription.paused")],
)
def test_a_status_kept_is_no_move_and_is_recorded_all_the_same(acme, status, expected):
    subscription = _subscription(acme.account, status)
    events, _ = _marks()
    subscription_move(subscription, status, actor=SYSTEM)
    assert _new(subscription.id, events) == [(expected, status, {"status": status})]


def test_a_move_says_what_the_caller_says_changed_and_saves_only_its_fields(acme):
    subscription = _subscription(acme.account, S.ACTIVE)
    ended = clock.now()
    subscription.ended_at = ended
    subscription.metadata = {"not": "saved"}
    events, _ = _marks()
    subscription_move(
        subscription,
        S.INCOMPLETE_EXPIRED,
        actor=SYSTEM,
        previous={"status": S.ACTIVE, "ended_at": None},
        fields=("ended_at",),
    )
    saved = Subscription.objects.get(pk=subscription.pk)
    assert (saved.status, saved.ended_at, saved.metadata) == (S.INCOMPLETE_EXPIRED, ended, {})
    assert _new(subscription.id, events) == [
        (
            "customer.subscription.deleted",
            S.INCOMPLETE_EXPIRED,
            {"status": S.ACTIVE, "ended_at": None},
        )
    ]


@pytest.mark.parametrize(("before", "after"), REFUSED)
def test_any_other_move_is_refused_and_changes_nothing(acme, before, after):
    subscription = _subscription(acme.account, before)
    events, audit = _marks()
    for move in (
        lambda: subscription_move(subscription, after, actor=SYSTEM),
        lambda: subscription_status_set(subscription, after),
        lambda: subscriptions_move(
            account=acme.account, moves=[(subscription, after)], actor=SYSTEM
        ),
    ):
        with pytest.raises(InvalidRequestError) as error:
            move()
        assert error.value.code == "subscription_unexpected_state"
        assert subscription.status == before
    assert Subscription.objects.get(pk=subscription.pk).status == before
    assert (_new(subscription.id, events), _audited(subscription.id, audit)) == ([], [])


def test_a_move_inside_a_broader_change_records_nothing_itself(acme):
    subscription = _subscription(acme.account, S.TRIALING)
    events, _ = _marks()
    subscription_status_set(subscription, S.ACTIVE)
    subscription_status_set(subscription, S.ACTIVE)  # kept: no move
    assert subscription.status == S.ACTIVE
    assert Subscription.objects.get(pk=subscription.pk).status == S.TRIALING
    assert _new(subscription.id, events) == []


def test_a_batch_moves_every_subscription_with_its_event(acme):
    late, unpaid = _subscription(acme.account, S.PAST_DUE), _subscription(acme.account, S.UNPAID)
    events, _ = _marks()
    subscriptions_move(
        account=acme.account, moves=[(late, S.ACTIVE), (unpaid, S.ACTIVE)], actor=SYSTEM
    )
    assert (late.status, unpaid.status) == (S.ACTIVE, S.ACTIVE)
    new = list(
        Event.objects.exclude(id__in=events)
        .order_by("id")
        .values_list("type", "object_id", "previous_attributes")
    )
    assert new == [
        ("customer.subscription.updated", late.id, {"status": S.PAST_DUE}),
        ("customer.subscription.updated", unpaid.id, {"status": S.UNPAID}),
    ]
    data = Event.objects.exclude(id__in=events).get(object_id=late.id).data_object
    assert [item["id"] for item in data["items"]["data"]] == [late.items.get().id]
    # The caller writes the rows.
    assert Subscription.objects.get(pk=late.pk).status == S.PAST_DUE


def _item(account, state: str) -> SubscriptionItem:
    item = SubscriptionFactory(account=account).items.get()
    past, future = clock.now() - timedelta(days=3), clock.now() + timedelta(days=3)
    fields = {
        I.TRIALING: {"trial_end": future},
        I.ACTIVE: {"trial_end": past, "trial_settled_at": past},
        I.PAUSED: {"trial_end": past, "trial_settled_at": past, "paused_at": past},
        I.DELETED: {"deleted_at": past},
    }[state]
    SubscriptionItem.objects.filter(pk=item.pk).update(**fields)
    return SubscriptionItem.objects.get(pk=item.pk)


def test_the_item_table_names_every_state():
    assert set(ITEM_MOVES) == set(I.values)
    assert ITEM_MOVES[I.DELETED] == frozenset()


@pytest.mark.parametrize(("before", "after"), ITEM_STEPS)
def test_an_allowed_item_move_sets_its_dates(acme, before, after):
    item = _item(acme.account, before)
    assert item_state(item) == before
    now = clock.now()
    if after == I.TRIALING:
        item.trial_end = now + timedelta(days=7)  # the caller's new trial
    item_move(item, after, at=now)
    assert item_state(item) == after
    if after == I.DELETED:
        assert item.deleted_at == now
    if after == I.PAUSED:
        assert item.paused_at == now
    if before == I.TRIALING and after == I.ACTIVE:
        assert item.trial_settled_at == now
    if before == I.PAUSED:
        assert item.paused_at is None or after == I.DELETED


def test_a_trial_that_ends_in_a_pause_is_settled_when_it_is_dealt_with(acme):
    item = _item(acme.account, I.TRIALING)
    ended, now = item.trial_end, item.trial_end + timedelta(hours=1)
    item_move(item, I.PAUSED, at=ended, settled_at=now)
    assert (item.paused_at, item.trial_settled_at, item_state(item)) == (ended, now, I.PAUSED)


@pytest.mark.parametrize(("before", "after"), ITEM_REFUSED)
def test_any_other_item_move_is_refused_and_changes_nothing(acme, before, after):
    item = _item(acme.account, before)
    dates = (item.trial_settled_at, item.paused_at, item.deleted_at)
    with pytest.raises(InvalidRequestError) as error:
        item_move(item, after, at=clock.now())
    assert error.value.code == "subscription_item_unexpected_state"
    assert (item.trial_settled_at, item.paused_at, item.deleted_at) == dates


def test_only_the_transition_functions_assign_these_statuses_and_states():
    assigning = re.compile(
        r"\bsubscription\.status\s*=(?!=)"
        r"|\.(trial_settled_at|paused_at)\s*=(?!=)"
        r"|\b(item|row)\.deleted_at\s*=(?!=)"
    )
    updating = re.compile(
        r"\.update\([^)]*\b(status\s*=\s*SubscriptionStatus\.|trial_settled_at\s*=|paused_at\s*=)"
    )
    offenders = []
    for path in APPS.rglob("*.py"):
        if path.name == "transitions.py" or "migrations" in path.parts:
            continue
        text = path.read_text()
        where = f"{path.relative_to(APPS.parent)}"
        offenders += [
            f"{where}:{number}"
            for number, line in enumerate(text.splitlines(), 1)
            if assigning.search(line)
        ]
        offenders += [f"{where}: {match.group(0)!r}" for match in updating.finditer(text)]
    assert offenders == []


def test_a_canceled_subscription_with_paused_items_is_not_resumed(api, at):
    price = api.post(
        "/v1/prices",
        {
            "product_data": {"name": "Launch"},
            "currency": "usd",
            "unit_amount": 3100,
            "recurring": {"interval": "month"},
        },
    ).json()["id"]
    customer = api.post("/v1/customers", {"email": "pause@example.com"}).json()
    subscription = api.post(
        "/v1/subscriptions",
        {
            "customer": customer["id"],
            "items": [{"price": price, "trial_end": int(utc(2025, 1, 11).timestamp())}],
            "trial_settings": {"end_behavior": {"missing_payment_method": "pause"}},
        },
    ).json()
    at(utc(2025, 1, 11, 0, 0, 30))
    lifecycle_due()
    assert api.delete(f"/v1/subscriptions/{subscription['id']}").json()["status"] == S.CANCELED
    events, _ = _marks()
    resumed = api.post(
        f"/v1/subscriptions/{subscription['id']}/resume", {"billing_cycle_anchor": "unchanged"}
    )
    assert resumed.status_code == 400
    assert resumed.json()["error"]["code"] == "subscription_unexpected_state"
    assert Subscription.objects.get(pk=subscription["id"]).status == S.CANCELED
    item = SubscriptionItem.objects.get(subscription_id=subscription["id"])
    assert item_state(item) == I.PAUSED
    assert not Event.objects.exclude(id__in=events).exists()
