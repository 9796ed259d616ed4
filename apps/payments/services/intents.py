"""PaymentIntents: create, confirm (with 3-D Secure in test mode), capture, cancel."""

from typing import Any

from django.db import transaction

from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.ids import new_secret
from apps.core.locks import row_lock
from apps.customers.models import Customer, PaymentMethod
from apps.customers.services.payment_methods import payment_method_attach
from apps.payments.enums import ChargeStatus, PaymentIntentStatus
from apps.payments.models import Charge, PaymentIntent
from apps.payments.processors import Result
from apps.payments.render import payment_intent_render
from apps.payments.services.charges import (
    ChargeRequest,
    card_error,
    charge_attempt,
    charge_capture,
)
from apps.payments.transitions import payment_intent_event, payment_intent_move

CANCELLATION_REASONS = ["duplicate", "fraudulent", "requested_by_customer", "abandoned"]


def _locked(account: Account, intent_id: str) -> PaymentIntent:
    intent = row_lock(
        PaymentIntent.objects.select_related("account", "customer", "payment_method").filter(
            account=account, id=intent_id
        )
    )
    if intent is None:
        raise ResourceMissingError("payment_intent", intent_id)
    return intent


def payment_intent_create(
    *,
    account: Account,
    amount: int,
    currency: str,
    customer: Customer | None,
    payment_method: PaymentMethod | None,
    capture_method: str,
    description: str,
    metadata: dict[str, str],
    off_session: bool,
    setup_future_usage: str,
    actor: Actor,
) -> PaymentIntent:
    with transaction.atomic():
        intent = PaymentIntent.objects.create(
            account=account,
            amount=amount,
            currency=currency,
            customer=customer,
            payment_method=payment_method,
            capture_method=capture_method,
            status=(
                PaymentIntentStatus.REQUIRES_CONFIRMATION
                if payment_method
                else PaymentIntentStatus.REQUIRES_PAYMENT_METHOD
            ),
            description=description,
            metadata=metadata,
            off_session=off_session,
            setup_future_usage=setup_future_usage,
            client_secret="",
            created_at=clock.now(),
        )
        intent.client_secret = f"{intent.id}_secret_{new_secret(24)}"
        intent.save(update_fields=["client_secret"])
        payment_intent_event(intent, "payment_intent.created", actor)
    return intent


def payment_intent_confirm(
    *,
    account: Account,
    intent_id: str,
    payment_method: PaymentMethod | None,
    actor: Actor,
    off_session: bool | None = None,
    authenticated: bool = False,
) -> PaymentIntent:
    """Attempt the payment; a decline leaves the intent awaiting another payment method and is
    raised as the card error (with the intent), as Stripe answers."""
    intent = _confirm_claim(
        account=account,
        intent_id=intent_id,
        payment_method=payment_method,
        off_session=off_session,
        authenticated=authenticated,
        actor=actor,
    )
    charge, result = charge_attempt(
        account=account,
        request=ChargeRequest(
            amount=intent.amount,
            currency=intent.currency,
            payment_method=intent.payment_method,
            customer=intent.customer,
            capture=intent.capture_method != "manual",
            description=intent.description,
            off_session=intent.off_session,
            authenticated=authenticated,
            payment_intent_id=intent.id,
        ),
        actor=actor,
    )
    intent, error = _confirm_record(
        account=account, intent_id=intent_id, charge=charge, result=result, actor=actor
    )
    if error is not None:
        raise card_error(
            error,
            charge=charge if charge.pk else None,
            payment_intent=payment_intent_render(intent),
        )
    if intent.setup_future_usage and intent.customer and intent.payment_method.customer_id is None:
        payment_method_attach(
            account=account,
            payment_method_id=intent.payment_method_id,
            customer=intent.customer,
            actor=actor,
        )
    return intent


def _confirm_claim(
    *,
    account: Account,
    intent_id: str,
    payment_method: PaymentMethod | None,
    off_session: bool | None,
    authenticated: bool,
    actor: Actor,
) -> PaymentIntent:
    """The intent, checked and claimed (``processing``) under its lock before the charge."""
    with transaction.atomic():
        intent = _locked(account, intent_id)
        allowed = {
            PaymentIntentStatus.REQUIRES_PAYMENT_METHOD,
            PaymentIntentStatus.REQUIRES_CONFIRMATION,
            PaymentIntentStatus.REQUIRES_ACTION,
        }
        if intent.status not in allowed:
            raise InvalidRequestError(
                f"This PaymentIntent's status is {intent.status}; it cannot be confirmed.",
                code="payment_intent_unexpected_state",
            )
        if payment_method is not None:
            intent.payment_method = payment_method
        if off_session is not None:
            intent.off_session = off_session
        if intent.payment_method is None:
            raise InvalidRequestError(
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                param="payment_method",
                code="payment_intent_unexpected_state",
            )
        if intent.status == PaymentIntentStatus.REQUIRES_ACTION and not authenticated:
            raise InvalidRequestError(
                "This PaymentIntent requires authentication first.",
                code="payment_intent_unexpected_state",
            )
        payment_intent_move(intent, PaymentIntentStatus.PROCESSING, actor=actor)
    return intent


def _confirm_record(
    *, account: Account, intent_id: str, charge: Charge, result: Result, actor: Actor
) -> tuple[PaymentIntent, Result | None]:
    """The charge's outcome on the intent; answers the result to raise as a card error, if any."""
    error = None
    with transaction.atomic():
        intent = _locked(account, intent_id)
        if result.status == "requires_action" and intent.off_session:
            intent.last_payment_error = _error_body(result)
            payment_intent_move(intent, PaymentIntentStatus.REQUIRES_PAYMENT_METHOD, actor=actor)
            error = result
        elif result.status == "requires_action":
            payment_intent_move(intent, PaymentIntentStatus.REQUIRES_ACTION, actor=actor)
        elif charge.status == ChargeStatus.FAILED:
            intent.latest_charge = charge
            intent.last_payment_error = _error_body(result, charge=charge.id)
            payment_intent_move(intent, PaymentIntentStatus.REQUIRES_PAYMENT_METHOD, actor=actor)
            error = result
        elif charge.captured:
            intent.latest_charge = charge
            intent.amount_received = charge.amount_captured
            intent.last_payment_error = None
            payment_intent_move(intent, PaymentIntentStatus.SUCCEEDED, actor=actor)
        else:
            intent.latest_charge = charge
            intent.amount_capturable = charge.amount
            intent.last_payment_error = None
            payment_intent_move(intent, PaymentIntentStatus.REQUIRES_CAPTURE, actor=actor)
    return intent, error


def _error_body(result, charge: str | None = None) -> dict[str, Any]:
    return {
        "type": "card_error",
        "code": result.error_code,
        "decline_code": result.decline_code or None,
        "message": result.message,
        "charge": charge,
    }


def payment_intent_capture(
    *, account: Account, intent_id: str, amount: int | None, actor: Actor
) -> PaymentIntent:
    """Capture the intent's authorized charge. The intent is claimed first (``processing``,
    under its lock), so of captures sent at once exactly one captures and the others are
    refused with ``payment_intent_unexpected_state``; a refused charge capture gives the intent
    back as it was."""
    with transaction.atomic():
        intent = _locked(account, intent_id)
        if intent.status != PaymentIntentStatus.REQUIRES_CAPTURE:
            raise InvalidRequestError(
                f"This PaymentIntent's status is {intent.status}; only requires_capture can be "
                "captured.",
                code="payment_intent_unexpected_state",
            )
        payment_intent_move(intent, PaymentIntentStatus.PROCESSING, actor=actor)
    try:
        charge = charge_capture(
            account=account, charge_id=intent.latest_charge_id, amount=amount, actor=actor
        )
    except Exception:
        # Refused, or no answer from the processor: the intent is capturable again.
        with transaction.atomic():
            intent = _locked(account, intent_id)
            payment_intent_move(intent, PaymentIntentStatus.REQUIRES_CAPTURE, actor=actor)
        raise
    with transaction.atomic():
        intent = _locked(account, intent_id)
        intent.amount_capturable = 0
        intent.amount_received = charge.amount_captured
        payment_intent_move(intent, PaymentIntentStatus.SUCCEEDED, actor=actor)
    return intent


def payment_intent_cancel(
    *, account: Account, intent_id: str, reason: str | None, actor: Actor
) -> PaymentIntent:
    with transaction.atomic():
        intent = _locked(account, intent_id)
        if intent.status in (
            PaymentIntentStatus.SUCCEEDED,
            PaymentIntentStatus.CANCELED,
            PaymentIntentStatus.PROCESSING,
        ):
            raise InvalidRequestError(
                f"You cannot cancel this PaymentIntent because it has a status of {intent.status}.",
                code="payment_intent_unexpected_state",
            )
        if reason and reason not in CANCELLATION_REASONS:
            raise InvalidRequestError(
                f"Invalid cancellation_reason: must be one of {', '.join(CANCELLATION_REASONS)}",
                param="cancellation_reason",
            )
        intent.cancellation_reason = reason or ""
        intent.canceled_at = clock.now()
        intent.amount_capturable = 0
        payment_intent_move(intent, PaymentIntentStatus.CANCELED, actor=actor)
    return intent


def payment_intent_update(
    *, account: Account, intent_id: str, fields: dict[str, Any], actor: Actor
) -> PaymentIntent:
    with transaction.atomic():
        intent = _locked(account, intent_id)
        if intent.status in (PaymentIntentStatus.SUCCEEDED, PaymentIntentStatus.CANCELED) and (
            set(fields) - {"metadata", "description"}
        ):
            raise InvalidRequestError(
                f"This PaymentIntent's status is {intent.status}; only its description and "
                "metadata can change.",
                code="payment_intent_unexpected_state",
            )
        before = payment_intent_render(intent)
        for name, value in fields.items():
            setattr(intent, name, value)
        intent.save()
        after = payment_intent_render(intent)
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        if previous:
            payment_intent_event(intent, "payment_intent.updated", actor, previous)
    return intent
