"""How a payment attempt's outcome moves, the state of an invoice's dunning: the claim
(``pending``, one per invoice, while its payment is in flight) ends succeeded, failed or skipped,
and an outcome is final. ``attempts_move`` is the one function that moves it; an attempt is
created in its first outcome (a claim pending, a failure recorded without a claim in its
outcome), and a claim that is given back is deleted, not moved. Attempts record no event: the
invoice's (``invoice.payment_failed``, ``invoice.paid``) tells what happened.

The moves are drawn in the README (Customers and payments), with the payment intent's.
"""

from apps.collections.enums import AttemptOutcome as O
from apps.collections.models import PaymentAttempt
from apps.core.errors import InvalidRequestError

# outcome -> the outcomes it may move to.
ATTEMPT_MOVES: dict[str, frozenset[str]] = {
    O.PENDING: frozenset({O.SUCCEEDED, O.FAILED, O.SKIPPED}),
    O.SUCCEEDED: frozenset(),
    O.FAILED: frozenset(),
    O.SKIPPED: frozenset(),
}


def attempts_move(moves: list[tuple[PaymentAttempt, str]]) -> None:
    """Move each claimed attempt of ``moves`` to its outcome (refused with
    ``payment_attempt_unexpected_state`` when the table does not allow it; then none moves).
    The caller writes the rows, with what else the outcome sets, in the same transaction."""
    for attempt, to in moves:
        if to not in ATTEMPT_MOVES[attempt.outcome]:
            raise InvalidRequestError(
                f"Payment attempt {attempt.pk} is {attempt.outcome}; it cannot become {to}.",
                code="payment_attempt_unexpected_state",
            )
    for attempt, to in moves:
        attempt.outcome = to
