"""Status moves of payment intents, charges and refunds (setup intents have theirs in
test_setup_intents.py): every move a table allows is made with its event, every other one is
refused and changes nothing, and no other code assigns these statuses (setup intents' included)."""

import re
from pathlib import Path

import pytest

from apps.core.actor import SYSTEM
from apps.core.errors import InvalidRequestError
from apps.core.models import Event
from apps.payments.enums import ChargeStatus, RefundStatus
from apps.payments.enums import PaymentIntentStatus as S
from apps.payments.models import PaymentIntent
from apps.payments.services import payment_intent_create
from apps.payments.transitions import (
    CHARGE_MOVES,
    PAYMENT_INTENT_EVENTS,
    PAYMENT_INTENT_MOVES,
    REFUND_MOVES,
    charges_move,
    payment_intent_move,
)
from tests.factories import ChargeFactory

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


def test_the_charge_and_refund_tables_name_every_status_and_end_in_final_ones():
    assert set(CHARGE_MOVES) == set(ChargeStatus.values)
    assert set(REFUND_MOVES) == set(RefundStatus.values)
    assert CHARGE_MOVES[ChargeStatus.PENDING] == {ChargeStatus.SUCCEEDED, ChargeStatus.FAILED}
    assert REFUND_MOVES[RefundStatus.PENDING] == {RefundStatus.SUCCEEDED, RefundStatus.FAILED}
    finals = [CHARGE_MOVES[ChargeStatus.SUCCEEDED], CHARGE_MOVES[ChargeStatus.FAILED]]
    finals += [REFUND_MOVES[status] for status in RefundStatus.values if status != "pending"]
    assert finals == [frozenset()] * len(finals)


@pytest.mark.parametrize("to", [ChargeStatus.SUCCEEDED, ChargeStatus.FAILED, ChargeStatus.PENDING])
def test_a_settled_charge_never_moves_again(acme, to):
    charge = ChargeFactory(account=acme.account)
    assert charge.status == ChargeStatus.SUCCEEDED
    before = Event.objects.count()
    with pytest.raises(ValueError, match="A succeeded charge cannot become"):
        charges_move(account=acme.account, moves=[(charge, to)], actor=SYSTEM)
    assert charge.status == ChargeStatus.SUCCEEDED
    assert Event.objects.count() == before


def test_only_the_transition_functions_assign_these_statuses():
    assigning = re.compile(
        r"\b(intent|setup|charge|refund)\.status\s*=(?!=)"
        r"|status\s*=\s*(PaymentIntentStatus|SetupIntentStatus|ChargeStatus|RefundStatus)"
        r"\.(?!PENDING)"
    )
    offenders = [
        f"{path.relative_to(APPS.parent)}:{number}"
        for path in APPS.rglob("*.py")
        if path.name != "transitions.py" and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if assigning.search(line)
    ]
    assert offenders == []
