"""SetupIntents: save a payment method for later payments. Confirming asks the processor to check
the payment method (a 3-D Secure step first when the card asks for one); on success it is
attached to the intent's customer. Statuses move only through ``setup_intent_move``."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from apps.accounts.audit import audit_record
from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import Actor
from apps.core.errors import ApplicationError, CardError, InvalidRequestError, ResourceMissingError
from apps.core.ids import new_secret
from apps.core.locks import row_lock
from apps.core.unset import UNSET, Unset
from apps.customers.models import Customer, PaymentMethod
from apps.customers.payment_method_render import payment_method_render
from apps.customers.services.payment_methods import payment_method_attach
from apps.payments.enums import SetupIntentStatus as T
from apps.payments.models import SetupIntent
from apps.payments.processors import Result, processor_for
from apps.payments.render import setup_intent_render
from apps.payments.transitions import setup_intent_event, setup_intent_move

USAGES = ["off_session", "on_session"]
# What a setup intent can save here: cards (and the sources that behave as cards).
PAYMENT_METHOD_TYPES = ["card"]
CANCELLATION_REASONS = ["abandoned", "duplicate", "requested_by_customer"]
_CONFIRMABLE = (T.REQUIRES_PAYMENT_METHOD, T.REQUIRES_CONFIRMATION, T.REQUIRES_ACTION)


def _locked(account: Account, setup_id: str) -> SetupIntent:
    setup = row_lock(
        SetupIntent.objects.select_related("account", "customer", "payment_method").filter(
            account=account, id=setup_id
        )
    )
    if setup is None:
        raise ResourceMissingError("setup_intent", setup_id)
    return setup


def _owner_check(customer: Customer | None, payment_method: PaymentMethod | None) -> None:
    if customer is None or payment_method is None:
        return
    if payment_method.customer_id not in (None, customer.id):
        raise InvalidRequestError(
            f"The payment method {payment_method.id} belongs to another customer.",
            param="payment_method",
        )


def setup_intent_create(
    *,
    account: Account,
    customer: Customer | None,
    payment_method: PaymentMethod | None,
    payment_method_types: list[str],
    usage: str,
    description: str,
    metadata: dict[str, str],
    actor: Actor,
) -> SetupIntent:
    _owner_check(customer, payment_method)
    with transaction.atomic():
        setup = SetupIntent.objects.create(
            account=account,
            customer=customer,
            payment_method=payment_method,
            status=T.REQUIRES_CONFIRMATION if payment_method else T.REQUIRES_PAYMENT_METHOD,
            usage=usage,
            payment_method_types=payment_method_types,
            description=description,
            metadata=metadata,
            client_secret="",
            created_at=clock.now(),
        )
        setup.client_secret = f"{setup.id}_secret_{new_secret(24)}"
        setup.save(update_fields=["client_secret"])
        setup_intent_event(setup, "setup_intent.created", actor)
    return setup


@dataclass(frozen=True)
class SetupIntentChanges:
    """What an update sets; UNSET keeps a field. ``customer`` may only be set while there is
    none; ``payment_method`` given to an intent awaiting one makes it ready to confirm."""

    customer: Customer | Unset = UNSET
    payment_method: PaymentMethod | Unset = UNSET
    payment_method_types: list[str] | Unset = UNSET
    description: str | Unset = UNSET
    metadata: dict[str, str] | Unset = UNSET


def _changes_apply(setup: SetupIntent, changes: SetupIntentChanges) -> dict[str, list[Any]]:
    """Set ``changes`` on the locked ``setup``; answers the audit entry's changes."""
    done: dict[str, list[Any]] = {}
    if setup.status in (T.SUCCEEDED, T.CANCELED, T.PROCESSING) and (
        changes.customer is not UNSET
        or changes.payment_method is not UNSET
        or changes.payment_method_types is not UNSET
    ):
        raise InvalidRequestError(
            f"This SetupIntent's status is {setup.status}; only its description and metadata "
            "can change.",
            code="setup_intent_unexpected_state",
        )
    if changes.customer is not UNSET and changes.customer.id != setup.customer_id:
        if setup.customer_id is not None:
            raise InvalidRequestError(
                "This SetupIntent already has a customer; it cannot move to another one.",
                param="customer",
            )
        done["customer"] = [None, changes.customer.id]
        setup.customer = changes.customer
    for name in ("payment_method", "payment_method_types", "description", "metadata"):
        value = getattr(changes, name)
        if value is not UNSET:
            before = getattr(setup, name)
            done[name] = [getattr(before, "id", before), getattr(value, "id", value)]
            setattr(setup, name, value)
    _owner_check(setup.customer, setup.payment_method)
    return done


def setup_intent_update(
    *, account: Account, setup_id: str, changes: SetupIntentChanges, actor: Actor
) -> SetupIntent:
    """Stripe sends no event for an update: the audit entry records it."""
    with transaction.atomic():
        setup = _locked(account, setup_id)
        done = _changes_apply(setup, changes)
        if changes.payment_method is not UNSET and setup.status == T.REQUIRES_PAYMENT_METHOD:
            setup_intent_move(setup, T.REQUIRES_CONFIRMATION, actor=actor)
        else:
            setup.save()
        audit_record(
            account=account,
            actor=actor,
            action="setup_intent.updated",
            object_type="setup_intent",
            object_id=setup.id,
            changes=done,
        )
    return setup


def _confirm_claim(
    *,
    account: Account,
    setup_id: str,
    payment_method: PaymentMethod | None,
    authenticated: bool,
    actor: Actor,
) -> SetupIntent:
    """The intent, checked and claimed (``processing``) under its lock before the processor."""
    with transaction.atomic():
        setup = _locked(account, setup_id)
        if setup.status not in _CONFIRMABLE:
            raise InvalidRequestError(
                f"This SetupIntent's status is {setup.status}; it cannot be confirmed.",
                code="setup_intent_unexpected_state",
            )
        if payment_method is not None:
            setup.payment_method = payment_method
        if setup.payment_method is None:
            raise InvalidRequestError(
                "You cannot confirm this SetupIntent because it's missing a payment method.",
                param="payment_method",
                code="setup_intent_unexpected_state",
            )
        _owner_check(setup.customer, setup.payment_method)
        if setup.status == T.REQUIRES_ACTION and not authenticated:
            raise InvalidRequestError(
                "This SetupIntent requires authentication first.",
                code="setup_intent_unexpected_state",
            )
        setup_intent_move(setup, T.PROCESSING, actor=actor)
    return setup


def _error_body(result: Result, payment_method: PaymentMethod) -> dict[str, Any]:
    return {
        "type": "card_error",
        "code": result.error_code,
        "decline_code": result.decline_code or None,
        "message": result.message,
        "payment_method": payment_method_render(payment_method, as_payment_method=True),
    }


def _attach(account: Account, setup: SetupIntent, actor: Actor) -> Result | None:
    """The checked payment method attached to the intent's customer (in a savepoint): None, or
    why it could not be, as a failed result."""
    payment_method = setup.payment_method
    if setup.customer is None or payment_method.customer_id == setup.customer_id:
        return None
    try:
        with transaction.atomic():
            setup.payment_method = payment_method_attach(
                account=account,
                payment_method_id=payment_method.id,
                customer=setup.customer,
                actor=actor,
            )
    except ApplicationError as exc:
        return Result(
            status="failed",
            error_code=exc.code or "setup_intent_unexpected_state",
            message=exc.message,
        )
    return None


def _confirm_record(
    *, account: Account, setup_id: str, result: Result, actor: Actor
) -> tuple[SetupIntent, Result | None]:
    """The processor's answer on the intent; answers the result to raise as a card error."""
    with transaction.atomic():
        # The payment method first, then the intent: the global lock order.
        claimed = SetupIntent.objects.select_related("customer", "payment_method").get(
            account=account, id=setup_id
        )
        claimed.account = account
        if result.status == "succeeded":
            result = _attach(account, claimed, actor) or result
        setup = _locked(account, setup_id)
        checked = claimed.payment_method
        if result.status == "succeeded":
            setup.payment_method = checked
            setup.last_setup_error = None
            setup_intent_move(setup, T.SUCCEEDED, actor=actor)
            return setup, None
        if result.status == "requires_action":
            setup_intent_move(setup, T.REQUIRES_ACTION, actor=actor)
            return setup, None
        setup.last_setup_error = _error_body(result, checked)
        setup.payment_method = None
        setup_intent_move(setup, T.REQUIRES_PAYMENT_METHOD, actor=actor)
    return setup, result


def setup_intent_confirm(
    *,
    account: Account,
    setup_id: str,
    payment_method: PaymentMethod | None,
    actor: Actor,
    authenticated: bool = False,
) -> SetupIntent:
    """Check the payment method with the processor, outside any transaction; a decline leaves
    the intent awaiting another payment method (``setup_intent.setup_failed``) and is raised as
    the card error with the intent, as Stripe answers."""
    setup = _confirm_claim(
        account=account,
        setup_id=setup_id,
        payment_method=payment_method,
        authenticated=authenticated,
        actor=actor,
    )
    customer = setup.customer
    try:
        result = processor_for(account).setup(
            payment_method=setup.payment_method,
            usage=setup.usage,
            authenticated=authenticated,
            idempotency_key=f"setup:{setup.id}:{setup.payment_method_id}:{int(authenticated)}",
            at=clock.now(test_clock_id=customer.test_clock_id if customer else None),
        )
    except Exception:
        # No answer from the processor: the intent is released, to be confirmed again.
        with transaction.atomic():
            setup = _locked(account, setup_id)
            setup.last_setup_error = {
                "type": "api_error",
                "message": "The payment processor did not answer; confirm the SetupIntent again.",
            }
            setup_intent_move(setup, T.REQUIRES_PAYMENT_METHOD, actor=actor)
        raise
    setup, error = _confirm_record(account=account, setup_id=setup_id, result=result, actor=actor)
    if error is not None:
        raise CardError(
            error.message or "Your card was declined.",
            code=error.error_code,
            extra={
                "decline_code": error.decline_code or None,
                "setup_intent": setup_intent_render(setup),
            },
        )
    return setup


def setup_intent_authentication_fail(
    *, account: Account, setup_id: str, actor: Actor
) -> SetupIntent:
    """Test mode: the customer did not complete the 3-D Secure step."""
    with transaction.atomic():
        setup = _locked(account, setup_id)
        if setup.status != T.REQUIRES_ACTION:
            raise InvalidRequestError(
                f"This SetupIntent's status is {setup.status}; nothing to authenticate.",
                code="setup_intent_unexpected_state",
            )
        setup.last_setup_error = {
            "type": "invalid_request_error",
            "code": "setup_intent_authentication_failure",
            "message": "The customer did not complete 3-D Secure authentication.",
            "payment_method": payment_method_render(setup.payment_method, as_payment_method=True),
        }
        setup.payment_method = None
        setup_intent_move(setup, T.REQUIRES_PAYMENT_METHOD, actor=actor)
    return setup


def setup_intent_cancel(
    *, account: Account, setup_id: str, reason: str | None, actor: Actor
) -> SetupIntent:
    if reason and reason not in CANCELLATION_REASONS:
        raise InvalidRequestError(
            f"Invalid cancellation_reason: must be one of {', '.join(CANCELLATION_REASONS)}",
            param="cancellation_reason",
        )
    with transaction.atomic():
        setup = _locked(account, setup_id)
        if setup.status in (T.SUCCEEDED, T.CANCELED, T.PROCESSING):
            raise InvalidRequestError(
                f"You cannot cancel this SetupIntent because it has a status of {setup.status}.",
                code="setup_intent_unexpected_state",
            )
        setup.cancellation_reason = reason or ""
        setup_intent_move(setup, T.CANCELED, actor=actor)
    return setup
