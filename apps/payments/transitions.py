"""How the statuses of payment intents, charges and refunds move: for each, one table of
allowed moves and the one function that makes them (``payment_intent_move``, ``charges_move``,
``refund_move``), writing each move's event and audit entry in the caller's transaction. No
other code assigns these statuses (a test holds it so); rows are created in their first status.

The payment intent's moves are drawn in the README (Customers and payments).
"""

from apps.accounts.audit import audit_record, audit_records
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError
from apps.core.events import event_record, events_record
from apps.payments.enums import ChargeStatus, RefundStatus
from apps.payments.enums import PaymentIntentStatus as S
from apps.payments.models import Charge, PaymentIntent, Refund
from apps.payments.render import charge_render, payment_intent_render, refund_render

# status -> the statuses it may move to.
PAYMENT_INTENT_MOVES: dict[str, frozenset[str]] = {
    S.REQUIRES_PAYMENT_METHOD: frozenset({S.PROCESSING, S.CANCELED}),
    S.REQUIRES_CONFIRMATION: frozenset({S.PROCESSING, S.CANCELED}),
    S.REQUIRES_ACTION: frozenset({S.PROCESSING, S.CANCELED}),
    S.PROCESSING: frozenset(
        {S.SUCCEEDED, S.REQUIRES_CAPTURE, S.REQUIRES_ACTION, S.REQUIRES_PAYMENT_METHOD}
    ),
    S.REQUIRES_CAPTURE: frozenset({S.PROCESSING, S.CANCELED}),
    S.SUCCEEDED: frozenset(),
    S.CANCELED: frozenset(),
}

# (from, to) -> the event the move records; moves not listed record none (a claim such as
# ``processing`` while the processor is called, or its release).
PAYMENT_INTENT_EVENTS: dict[tuple[str, str], str] = {
    (S.PROCESSING, S.SUCCEEDED): "payment_intent.succeeded",
    (S.PROCESSING, S.REQUIRES_ACTION): "payment_intent.requires_action",
    (S.PROCESSING, S.REQUIRES_PAYMENT_METHOD): "payment_intent.payment_failed",
    (S.REQUIRES_PAYMENT_METHOD, S.CANCELED): "payment_intent.canceled",
    (S.REQUIRES_CONFIRMATION, S.CANCELED): "payment_intent.canceled",
    (S.REQUIRES_ACTION, S.CANCELED): "payment_intent.canceled",
    (S.REQUIRES_CAPTURE, S.CANCELED): "payment_intent.canceled",
}
# Authorized for a later capture: Stripe's event names what changed, the capturable amount.
PAYMENT_INTENT_EVENTS[(S.PROCESSING, S.REQUIRES_CAPTURE)] = (
    "payment_intent.amount_capturable_updated"
)


def payment_intent_event(
    intent: PaymentIntent, type: str, actor: Actor, previous: dict | None = None
) -> None:
    """The intent's event and audit entry, in the caller's transaction."""
    event_record(
        account=intent.account,
        type=type,
        data_object=payment_intent_render(intent),
        previous_attributes=previous,
        actor=actor,
    )
    audit_record(
        account=intent.account,
        actor=actor,
        action=type,
        object_type="payment_intent",
        object_id=intent.id,
    )


def payment_intent_move(intent: PaymentIntent, to: str, *, actor: Actor) -> None:
    """Move the locked ``intent`` to ``to`` (refused with ``payment_intent_unexpected_state``
    when the table does not allow it), save it with whatever else the caller set on it, and
    record the move's event."""
    before = intent.status
    if to not in PAYMENT_INTENT_MOVES[before]:
        raise InvalidRequestError(
            f"This PaymentIntent's status is {before}; it cannot become {to}.",
            code="payment_intent_unexpected_state",
        )
    intent.status = to
    intent.save()
    event = PAYMENT_INTENT_EVENTS.get((before, to))
    if event is not None:
        payment_intent_event(intent, event, actor)


# A charge is written pending before the processor is called; its outcome is final.
CHARGE_MOVES: dict[str, frozenset[str]] = {
    ChargeStatus.PENDING: frozenset({ChargeStatus.SUCCEEDED, ChargeStatus.FAILED}),
    ChargeStatus.SUCCEEDED: frozenset(),
    ChargeStatus.FAILED: frozenset(),
}
# A refund likewise; its event names what happened to it.
REFUND_MOVES: dict[str, frozenset[str]] = {
    RefundStatus.PENDING: frozenset({RefundStatus.SUCCEEDED, RefundStatus.FAILED}),
    RefundStatus.SUCCEEDED: frozenset(),
    RefundStatus.FAILED: frozenset(),
    RefundStatus.CANCELED: frozenset(),
}
REFUND_EVENTS = {RefundStatus.SUCCEEDED: "refund.created", RefundStatus.FAILED: "refund.failed"}


def _allowed(table: dict[str, frozenset[str]], kind: str, before: str, to: str) -> None:
    if to not in table[before]:
        raise ValueError(f"A {before} {kind} cannot become {to}.")


def charges_move(*, account, moves: list[tuple[Charge, str]], actor: Actor) -> None:
    """Move each charge of ``moves`` (one account's, with their outcome fields set) to its
    status and record each move's ``charge.<status>`` event and audit entry, in multi-row
    writes; the caller writes the rows with their outcome in the same transaction."""
    for charge, to in moves:
        _allowed(CHARGE_MOVES, "charge", charge.status, to)
    for charge, to in moves:
        charge.status = to
    events_record(
        account=account,
        changes=[(f"charge.{to}", charge_render(charge, refunds=[]), None) for charge, to in moves],
        actor=actor,
    )
    audit_records(
        account=account,
        actor=actor,
        entries=[(f"charge.{to}", "charge", charge.id, {}) for charge, to in moves],
    )


def refund_move(refund: Refund, to: str, *, actor: Actor, changes: dict) -> None:
    """Move the locked ``refund`` to ``to``, save it with what the caller set on it, and record
    the move's event and audit entry (``changes``: what the audit entry says changed)."""
    _allowed(REFUND_MOVES, "refund", refund.status, to)
    refund.status = to
    refund.save()
    event_record(
        account=refund.account,
        type=REFUND_EVENTS[to],
        data_object=refund_render(refund),
        actor=actor,
    )
    audit_record(
        account=refund.account,
        actor=actor,
        action=f"refund.{to}",
        object_type="refund",
        object_id=refund.id,
        changes=changes,
    )
