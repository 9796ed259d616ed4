"""Charges and refunds (``refunds.py``), in two phases around the processor call.

1. A transaction writes the charge (or refund) as ``pending`` — for refunds the amount is
   reserved on the locked charge so two refunds cannot exceed it.
2. The processor is called outside any transaction, with the idempotency key ``charge:<id>`` /
   ``capture:<id>`` / ``refund:<id>``.
3. A second transaction records the outcome: status, the ledger row, events, audit.

A crash between 1 and 3 leaves a pending row; calling the processor again with the same key
gives the same answer, so it can be resolved without charging twice.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from apps.accounts.audit import audit_record
from apps.accounts.models import Account
from apps.core import clock, money
from apps.core.actor import Actor
from apps.core.bulk import rows_insert, rows_update
from apps.core.errors import CardError, InvalidRequestError, ResourceMissingError
from apps.core.events import event_record
from apps.core.locks import row_lock
from apps.customers.models import Customer, PaymentMethod
from apps.payments.enums import ChargeStatus, OutcomeType
from apps.payments.models import BalanceTransaction, Charge
from apps.payments.processors import Result, processor_for
from apps.payments.render import charge_render
from apps.payments.services.ledger import (
    charge_ledger_row,
    charge_ledger_write,
    payment_settings,
)
from apps.payments.transitions import charges_move


@dataclass(frozen=True)
class ChargeRequest:
    amount: int
    currency: str
    payment_method: PaymentMethod
    customer: Customer | None = None
    capture: bool = True
    via_source: bool = False
    description: str = ""
    metadata: dict[str, str] | None = None
    receipt_email: str = ""
    statement_descriptor: str = ""
    off_session: bool = False
    authenticated: bool = False
    payment_intent_id: str | None = None
    # The charge's id, chosen by a caller that records it first (a claimed payment attempt), so
    # a crash after the processor call can be reconciled with the charge row.
    charge_id: str | None = None


def amount_validate(amount: Any, currency: Any, *, param: str = "amount") -> tuple[int, str]:
    try:
        currency = money.currency_normalize(currency or "")
    except money.MoneyError as exc:
        raise InvalidRequestError(
            "Missing or invalid currency.", param="currency", code="parameter_missing"
        ) from exc
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidRequestError("Invalid integer: amount", param=param)
    floor = money.minimum_charge_amount(currency)
    if amount < floor:
        raise InvalidRequestError(
            f"Amount must be at least {money.format_amount(floor, currency)}.",
            param=param,
            code="amount_too_small",
        )
    ceiling = money.amount_max(currency)
    if amount > ceiling:
        raise InvalidRequestError(
            f"Amount must be no more than {money.format_amount(ceiling, currency)}.",
            param=param,
            code="amount_too_large",
        )
    return amount, currency


def _outcome(result: Result) -> dict[str, Any]:
    if result.status == "blocked":
        kind, reason = OutcomeType.BLOCKED, "highest_risk_level"
        message = "Ledgerline blocked this payment as too risky."
    elif result.status == "failed":
        kind, reason = OutcomeType.ISSUER_DECLINED, result.decline_code
        message = "The bank did not return any further details with this decline."
    else:
        kind, reason = OutcomeType.AUTHORIZED, None
        message = "Payment complete."
    return {
        "network_status": result.network_status,
        "reason": reason,
        "risk_level": result.risk_level,
        "risk_score": result.risk_score,
        "seller_message": message,
        "type": kind,
    }


def charge_event(
    charge: Charge, type: str, actor: Actor, previous: dict | None = None, *, refunds=None
) -> None:
    event_record(
        account=charge.account,
        type=type,
        data_object=charge_render(charge, refunds=refunds),
        previous_attributes=previous,
        actor=actor,
    )


def _charge_time(request: ChargeRequest, now: datetime) -> datetime:
    """When the card is charged: the customer's test clock time if they live on one."""
    customer = request.customer
    if customer is not None and customer.test_clock_id:
        return clock.now(test_clock_id=customer.test_clock_id)
    return now


def charge_attempt(
    *, account: Account, request: ChargeRequest, actor: Actor
) -> tuple[Charge, Result]:
    """Run one charge through the processor; the caller decides what a failure means."""
    return charges_attempt(account=account, requests=[request], actor=actor)[0]


def charges_attempt(
    *, account: Account, requests: list[ChargeRequest], actor: Actor
) -> list[tuple[Charge, Result]]:
    """Run charges of one account through the processor, in the three steps of one charge with
    set-based writes: one transaction writes them all pending, the processor is called for each
    with no transaction open, one transaction records every outcome (charges, ledger rows,
    events and audit entries in multi-row writes). A charge whose card needs authentication is
    removed (nothing was authorized). Answers in the order of ``requests``."""
    charges = charges_pending_write(account=account, requests=requests)
    results = charges_authorize(account=account, requests=requests, charges=charges)
    charges_outcomes_record(account=account, charges=charges, results=results, actor=actor)
    return list(zip(charges, results, strict=True))


def charges_pending_write(*, account: Account, requests: list[ChargeRequest]) -> list[Charge]:
    """The first step: the charges of ``requests`` written pending in one insert, in the
    caller's transaction (one that also claims what they pay) or in one of their own. It
    commits before the processor is called."""
    now = clock.now()
    charges = [_pending_charge(account, request, now) for request in requests]
    with transaction.atomic(savepoint=False):
        rows_insert(Charge, charges)
    return charges


def charges_authorize(
    *, account: Account, requests: list[ChargeRequest], charges: list[Charge]
) -> list[Result]:
    """The second step, with no transaction open: the processor charges each pending charge
    of ``requests`` under its idempotency key (asked again, it answers as it did)."""
    processor = processor_for(account)
    return [
        processor.authorize(
            amount=request.amount,
            currency=request.currency,
            payment_method=request.payment_method,
            capture=request.capture,
            off_session=request.off_session,
            authenticated=request.authenticated,
            idempotency_key=f"charge:{charge.id}",
            at=_charge_time(request, charge.created_at),
        )
        for request, charge in zip(requests, charges, strict=True)
    ]


def _pending_charge(account: Account, request: ChargeRequest, now: datetime) -> Charge:
    return Charge(
        **({"id": request.charge_id} if request.charge_id else {}),
        account=account,
        amount=request.amount,
        currency=request.currency,
        customer=request.customer,
        payment_method=request.payment_method,
        via_source=request.via_source,
        payment_intent_id=request.payment_intent_id,
        status=ChargeStatus.PENDING,
        description=request.description,
        metadata=request.metadata or {},
        receipt_email=request.receipt_email,
        statement_descriptor=request.statement_descriptor,
        created_at=now,
    )


def charges_outcomes_record(
    *, account: Account, charges: list[Charge], results: list[Result], actor: Actor
) -> None:
    """The third step: one transaction (the caller's, which may record what the charges paid
    with them, or one of its own) records every outcome; a charge that needs authentication is
    removed."""
    settings = payment_settings(account)
    ledger: list[BalanceTransaction] = []
    moves: list[tuple[Charge, str]] = []
    removed: set[str] = set()
    with transaction.atomic(savepoint=False):
        for charge, result in zip(charges, results, strict=True):
            charge.account = account
            if result.status == "requires_action":
                # Nothing was authorized: the attempt waits for authentication, no charge exists.
                removed.add(charge.id)
                continue
            charge.outcome = _outcome(result)
            charge.processor_reference = result.reference
            if result.status in ("succeeded", "requires_capture"):
                moves.append((charge, ChargeStatus.SUCCEEDED))
                charge.captured = result.status == "succeeded"
                charge.dispute_reason_pending = result.later.get("dispute_reason", "")
                if charge.captured:
                    charge.amount_captured = charge.amount
                    charge.balance_transaction = charge_ledger_row(charge, charge.amount, settings)
                    ledger.append(charge.balance_transaction)
            else:
                moves.append((charge, ChargeStatus.FAILED))
                charge.failure_code = result.error_code
                charge.failure_message = result.message
            charge.updated_at = clock.now()
        charges_move(account=account, moves=moves, actor=actor)
        rows_insert(BalanceTransaction, ledger)
        kept = [charge for charge in charges if charge.id not in removed]
        rows_update(Charge, kept, _OUTCOME_FIELDS)
        if removed:
            Charge.objects.filter(pk__in=removed).delete()
            for charge in charges:
                if charge.id in removed:
                    charge.pk = None  # as a deleted model instance: no charge exists


# What recording a charge's outcome writes.
_OUTCOME_FIELDS = [
    "outcome",
    "processor_reference",
    "status",
    "captured",
    "dispute_reason_pending",
    "amount_captured",
    "balance_transaction",
    "failure_code",
    "failure_message",
    "updated_at",
]


def card_error(result: Result, *, charge: Charge | None = None, **extra: Any) -> CardError:
    return CardError(
        result.message or "Your card was declined.",
        code=result.error_code,
        extra={
            "decline_code": result.decline_code or None,
            "charge": charge.id if charge is not None and charge.pk else None,
            **extra,
        },
    )


def charge_create(*, account: Account, request: ChargeRequest, actor: Actor) -> Charge:
    """``POST /v1/charges``: a declined or blocked card is a recorded failed charge and a 402."""
    charge, result = charge_attempt(account=account, request=request, actor=actor)
    if result.status == "requires_action":
        raise CardError(
            "Your card was declined. This transaction requires authentication: use a "
            "PaymentIntent to complete it.",
            code="authentication_required",
            extra={"decline_code": "authentication_required"},
        )
    if charge.status == ChargeStatus.FAILED:
        raise card_error(result, charge=charge)
    return charge


def charge_locked(account: Account, charge_id: str) -> Charge:
    charge = row_lock(
        Charge.objects.select_related("account", "payment_method").filter(
            account=account, id=charge_id
        )
    )
    if charge is None:
        raise ResourceMissingError("charge", charge_id, param="charge")
    return charge


def charge_capture(*, account: Account, charge_id: str, amount: int | None, actor: Actor) -> Charge:
    """Capture an authorized charge: claimed under the lock (``capturing_amount``), captured by
    the processor with no transaction open, recorded. A second capture, at once or after, is
    refused with ``charge_already_captured``."""
    with transaction.atomic():
        charge = charge_locked(account, charge_id)
        if (
            charge.status != ChargeStatus.SUCCEEDED
            or charge.captured
            or charge.capturing_amount is not None
        ):
            raise InvalidRequestError(
                f"Charge {charge.id} has already been captured or cannot be captured.",
                code="charge_already_captured",
            )
        amount = charge.amount if amount is None else amount
        floor = money.minimum_charge_amount(charge.currency)
        if not floor <= amount <= charge.amount:
            raise InvalidRequestError(
                f"amount must be between {floor} and {charge.amount}.",
                param="amount",
            )
        charge.capturing_amount = amount
        charge.save(update_fields=["capturing_amount", "updated_at"])
    try:
        result = processor_for(account).capture(
            reference=charge.processor_reference,
            amount=amount,
            idempotency_key=f"capture:{charge.id}",
        )
    except Exception:
        # No answer (the gateway is unreachable): the claim is given back, so the capture can
        # be asked for again; the same idempotency key makes the gateway capture at most once.
        Charge.objects.filter(pk=charge.pk).update(capturing_amount=None, updated_at=clock.now())
        raise
    with transaction.atomic():
        charge = charge_locked(account, charge_id)
        charge.capturing_amount = None
        if result.status != "succeeded":
            charge.save(update_fields=["capturing_amount", "updated_at"])
            raise card_error(result, charge=charge)
        previous = {
            "captured": False,
            "amount_captured": 0,
            "amount_refunded": charge.amount_refunded,
        }
        charge.captured = True
        charge.amount_captured = amount
        # The uncaptured rest is released: Stripe counts it as refunded.
        charge.amount_refunded = charge.amount - amount
        charge.balance_transaction = charge_ledger_write(charge, amount)
        charge.save()
        charge_event(charge, "charge.captured", actor, previous)
        audit_record(
            account=account,
            actor=actor,
            action="charge.captured",
            object_type="charge",
            object_id=charge.id,
            changes={"amount_captured": [0, amount]},
        )
    return charge


def charge_update(
    *, account: Account, charge_id: str, fields: dict[str, Any], actor: Actor
) -> Charge:
    with transaction.atomic():
        charge = charge_locked(account, charge_id)
        before = charge_render(charge)
        for name, value in fields.items():
            setattr(charge, name, value)
        charge.save()
        after = charge_render(charge)
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        if previous:
            charge_event(charge, "charge.updated", actor, previous)
            audit_record(
                account=account,
                actor=actor,
                action="charge.updated",
                object_type="charge",
                object_id=charge.id,
                changes={k: [v, after[k]] for k, v in previous.items()},
            )
    return charge
