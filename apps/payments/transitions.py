"""How the statuses of payment and setup intents, charges and refunds move: for each, one table
of allowed moves and the one function that makes them (``payment_intent_move``,
``setup_intent_move``, ``charges_move``, ``refund_move``), writing each move's event and audit
entry in the caller's transaction. No other code assigns these statuses (a test holds it so);
rows are created in their first status.

The payment intent's moves are drawn in the README (Customers and payments).
"""

from apps.accounts.audit import audit_record, changes_record
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError
from apps.core.events import event_record
from apps.payments.enums import ChargeStatus, RefundStatus
from apps.payments.enums import PaymentIntentStatus as S
from apps.payments.enums import SetupIntentStatus as T
from apps.payments.models import Charge, PaymentIntent, Refund, SetupIntent
from apps.payments.render import (
    charge_render,
    payment_intent_render,
    refund_render,
    setup_intent_render,
)

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


def _intent_event(row, type: str, actor: Actor, *, object_type: str, data: dict, previous):
    """An intent's event and audit entry, in the caller's transaction."""
    event_record(
        account=row.account, type=type, data_object=data, previous_attributes=previous, actor=actor
    )
    audit_record(
        account=row.account, actor=actor, action=type, object_type=object_type, object_id=row.id
    )


def _intent_move(
    row, to: str, *, actor: Actor, moves: dict, events: dict, name: str, code: str, event
) -> None:
    """Move the locked intent ``row`` to ``to`` as the ``moves`` table allows (else an error
    with ``code``), save it with what else the caller set, and record the move's event from
    ``events`` through ``event`` when Stripe sends one for it."""
    before = row.status
    if to not in moves[before]:
        raise InvalidRequestError(
            f"This {name}'s status is {before}; it cannot become {to}.", code=code
        )
    row.status = to
    row.save()
    type = events.get((before, to))
    if type is not None:
        event(row, type, actor)


def payment_intent_event(
    intent: PaymentIntent, type: str, actor: Actor, previous: dict | None = None
) -> None:
    """The intent's event and audit entry, in the caller's transaction."""
    _intent_event(
        intent,
        type,
        actor,
        object_type="payment_intent",
        data=payment_intent_render(intent),
        previous=previous,
    )


def payment_intent_move(intent: PaymentIntent, to: str, *, actor: Actor) -> None:
    """Move the locked ``intent`` to ``to`` (refused with ``payment_intent_unexpected_state``
    when the table does not allow it), save it with whatever else the caller set on it, and
    record the move's event."""
    _intent_move(
        intent,
        to,
        actor=actor,
        moves=PAYMENT_INTENT_MOVES,
        events=PAYMENT_INTENT_EVENTS,
        name="PaymentIntent",
        code="payment_intent_unexpected_state",
        event=payment_intent_event,
    )


# status -> the statuses it may move to. ``processing`` is the claim taken while the processor
# checks the payment method; the check's outcome releases it.
SETUP_INTENT_MOVES: dict[str, frozenset[str]] = {
    T.REQUIRES_PAYMENT_METHOD: frozenset({T.REQUIRES_CONFIRMATION, T.PROCESSING, T.CANCELED}),
    T.REQUIRES_CONFIRMATION: frozenset({T.PROCESSING, T.CANCELED}),
    # Authenticated (confirmed again), failed authentication, or given up.
    T.REQUIRES_ACTION: frozenset({T.PROCESSING, T.REQUIRES_PAYMENT_METHOD, T.CANCELED}),
    T.PROCESSING: frozenset({T.SUCCEEDED, T.REQUIRES_ACTION, T.REQUIRES_PAYMENT_METHOD}),
    T.SUCCEEDED: frozenset(),
    T.CANCELED: frozenset(),
}
# (from, to) -> the event the move records (Stripe has no event for the others).
SETUP_INTENT_EVENTS: dict[tuple[str, str], str] = {
    (T.PROCESSING, T.SUCCEEDED): "setup_intent.succeeded",
    (T.PROCESSING, T.REQUIRES_ACTION): "setup_intent.requires_action",
    (T.PROCESSING, T.REQUIRES_PAYMENT_METHOD): "setup_intent.setup_failed",
    (T.REQUIRES_ACTION, T.REQUIRES_PAYMENT_METHOD): "setup_intent.setup_failed",
    (T.REQUIRES_PAYMENT_METHOD, T.CANCELED): "setup_intent.canceled",
    (T.REQUIRES_CONFIRMATION, T.CANCELED): "setup_intent.canceled",
    (T.REQUIRES_ACTION, T.CANCELED): "setup_intent.canceled",
}


def setup_intent_event(
    setup: SetupIntent, type: str, actor: Actor, previous: dict | None = None
) -> None:
    """The setup intent's event and audit entry, in the caller's transaction."""
    _intent_event(
        setup,
        type,
        actor,
        object_type="setup_intent",
        data=setup_intent_render(setup),
        previous=previous,
    )


def setup_intent_move(setup: SetupIntent, to: str, *, actor: Actor) -> None:
    """Move the locked ``setup`` to ``to`` (refused with ``setup_intent_unexpected_state`` when
    the table does not allow it), save it with whatever else the caller set on it, and record
    the move's event and audit entry, if Stripe sends one for it (a claim such as
    ``processing``, or a payment method given by an update, records none: the update's service
    writes its own audit entry)."""
    _intent_move(
        setup,
        to,
        actor=actor,
        moves=SETUP_INTENT_MOVES,
        events=SETUP_INTENT_EVENTS,
        name="SetupIntent",
        code="setup_intent_unexpected_state",
        event=setup_intent_event,
    )


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
    changes_record(
        account=account,
        actor=actor,
        changes=[
            (f"charge.{to}", "charge", charge_render(charge, refunds=[]), None)
            for charge, to in moves
        ],
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
