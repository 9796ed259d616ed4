"""PaymentIntent status moves: every move the table allows is made with its event, every other
one is refused and changes nothing, and no other code assigns the status."""

import re
from pathlib import Path

import pytest

from apps.core.actor import SYSTEM
from apps.core.errors import InvalidRequestError
from apps.core.models import Event
from apps.payments.enums import PaymentIntentStatus as S
from apps.payments.models import PaymentIntent
from apps.payments.services import payment_intent_create
from apps.payments.transitions import (
    PAYMENT_INTENT_EVENTS,
    PAYMENT_INTENT_MOVES,
    payment_intent_move,
)

APPS = Path(__file__).resolve().parents[2] / "apps"
MOVES = [
    (before, after) for before, targets in PAYMENT_INTENT_MOVES.items() for after in sorted(targets)
]
REFUSED = [
    (before, after)
    for before in S.values
    for after in S.values
    if after not in PAYMENT_INTENT_MOVES[before]
]


def _intent(account, status: str) -> PaymentIntent:
    intent = payment_intent_create(
        account=account,
        amount=2000,
        currency="usd",
        customer=None,
        payment_method=None,
        capture_method="automatic",
        description="",
        metadata={},
        off_session=False,
        setup_future_usage="",
        actor=SYSTEM,
    )
    PaymentIntent.objects.filter(pk=intent.pk).update(status=status)
    return PaymentIntent.objects.select_related("account").get(pk=intent.pk)


def _events(account) -> list[str]:
    return list(
        Event.objects.filter(account=account)
        .exclude(type="payment_intent.created")
        .values_list("type", flat=True)
    )


def test_the_table_names_every_status():
    assert set(PAYMENT_INTENT_MOVES) == set(S.values)
    assert {pair for pair in PAYMENT_INTENT_EVENTS} <= set(MOVES)
    assert PAYMENT_INTENT_MOVES[S.SUCCEEDED] == PAYMENT_INTENT_MOVES[S.CANCELED] == frozenset()


@pytest.mark.parametrize(("before", "after"), MOVES)
def test_an_allowed_move_is_made_with_its_event(acme, before, after):
    intent = _intent(acme.account, before)
    payment_intent_move(intent, after, actor=SYSTEM)
    assert PaymentIntent.objects.get(pk=intent.pk).status == after
    expected = PAYMENT_INTENT_EVENTS.get((before, after))
    assert _events(acme.account) == ([expected] if expected else [])


@pytest.mark.parametrize(("before", "after"), REFUSED)
def test_any_other_move_is_refused_and_changes_nothing(acme, before, after):
    intent = _intent(acme.account, before)
    with pytest.raises(InvalidRequestError) as error:
        payment_intent_move(intent, after, actor=SYSTEM)
    assert error.value.code == "payment_intent_unexpected_state"
    assert PaymentIntent.objects.get(pk=intent.pk).status == before
    assert _events(acme.account) == []


def test_only_the_transition_function_assigns_a_payment_intent_status():
    assigning = re.compile(r"\bintent\.status\s*=(?!=)|status\s*=\s*PaymentIntentStatus\.")
    offenders = [
        f"{path.relative_to(APPS.parent)}:{number}"
        for path in APPS.rglob("*.py")
        if path.name != "transitions.py" and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if assigning.search(line)
    ]
    assert offenders == []
