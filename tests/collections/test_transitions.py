"""Outcome moves of payment attempts (an invoice's dunning): a claim ends in any outcome, an
outcome is final, a refused move changes nothing, and no other code assigns an outcome."""

import re
from pathlib import Path

import pytest

from apps.collections.enums import AttemptOutcome as O
from apps.collections.enums import AttemptTrigger
from apps.collections.models import PaymentAttempt
from apps.collections.transitions import ATTEMPT_MOVES, attempts_move
from apps.core import clock
from apps.core.errors import InvalidRequestError
from apps.invoices.models import Invoice
from tests.factories import SubscriptionFactory

APPS = Path(__file__).resolve().parents[2] / "apps"
MOVES = [(before, after) for before, targets in ATTEMPT_MOVES.items() for after in sorted(targets)]
REFUSED = [
    (before, after)
    for before in O.values
    for after in O.values
    if after not in ATTEMPT_MOVES[before]
]


def _attempt(account, outcome: str) -> PaymentAttempt:
    invoice = Invoice.objects.get(subscription=SubscriptionFactory(account=account))
    return PaymentAttempt.objects.create(
        account=account,
        invoice=invoice,
        customer_id=invoice.customer_id,
        number=1,
        trigger=AttemptTrigger.MANUAL,
        attempted_at=clock.now(),
        outcome=outcome,
        amount=invoice.amount_due,
        currency=invoice.currency,
    )


def test_the_table_names_every_outcome_and_only_a_claim_moves():
    assert set(ATTEMPT_MOVES) == set(O.values)
    assert ATTEMPT_MOVES[O.PENDING] == {O.SUCCEEDED, O.FAILED, O.SKIPPED}
    assert {ATTEMPT_MOVES[outcome] for outcome in O.values if outcome != O.PENDING} == {frozenset()}


@pytest.mark.parametrize(("before", "after"), MOVES)
def test_an_allowed_move_is_made(acme, before, after):
    attempt = _attempt(acme.account, before)
    attempts_move([(attempt, after)])
    assert attempt.outcome == after
    # The caller writes the row.
    assert PaymentAttempt.objects.get(pk=attempt.pk).outcome == before


@pytest.mark.parametrize(("before", "after"), REFUSED)
def test_any_other_move_is_refused_and_changes_nothing(acme, before, after):
    attempt = _attempt(acme.account, before)
    with pytest.raises(InvalidRequestError) as error:
        attempts_move([(attempt, after)])
    assert error.value.code == "payment_attempt_unexpected_state"
    assert attempt.outcome == before


def test_a_batch_with_one_refused_move_moves_nothing(acme):
    claim, failed = _attempt(acme.account, O.PENDING), _attempt(acme.account, O.FAILED)
    with pytest.raises(InvalidRequestError):
        attempts_move([(claim, O.SUCCEEDED), (failed, O.SUCCEEDED)])
    assert (claim.outcome, failed.outcome) == (O.PENDING, O.FAILED)


def test_only_the_transition_function_assigns_an_outcome():
    assigning = re.compile(r"\b(attempt|claim|row)\.outcome\s*=(?!=)")
    updating = re.compile(r"\.update\([^)]*\boutcome\s*=")
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
