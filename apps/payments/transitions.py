"""How a PaymentIntent's status moves: the one table of allowed moves and the one function
that makes them (``payment_intent_move``), writing the move's event and audit entry in the
caller's transaction. No other code assigns ``PaymentIntent.status`` (a test holds it so).

The moves are drawn in the README (Customers and payments).
"""

from apps.accounts.audit import audit_record
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError
from apps.core.events import event_record
from apps.payments.enums import PaymentIntentStatus as S
from apps.payments.models import PaymentIntent
from apps.payments.render import payment_intent_render

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
