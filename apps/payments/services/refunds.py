"""Refunds of a captured charge, in the charge's two phases around the processor call: the
amount is reserved on the locked charge (so two refunds cannot exceed it), the processor refunds
with the key ``refund:<id>`` and no transaction open, then the outcome is recorded."""

from django.db import transaction

from apps.accounts.audit import audit_record
from apps.accounts.models import Account
from apps.core import clock, money
from apps.core.actor import Actor
from apps.core.api.params import metadata_merge
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.events import event_record
from apps.core.locks import row_lock, rows_lock
from apps.payments.enums import BalanceTransactionType, ChargeStatus, RefundStatus
from apps.payments.models import Charge, Refund
from apps.payments.processors import Result, processor_for
from apps.payments.render import refund_render
from apps.payments.services.charges import charge_event, charge_locked
from apps.payments.services.ledger import ledger_write
from apps.payments.transitions import refund_move


def refund_create(
    *,
    account: Account,
    charge_id: str,
    amount: int | None,
    reason: str = "",
    metadata: dict[str, str] | None = None,
    actor: Actor,
) -> Refund:
    if charge_id.startswith("re_"):
        raise InvalidRequestError(
            f"{charge_id} is a refund: a refund cannot itself be refunded. Refund the charge "
            "it belongs to instead.",
            param="charge",
        )
    charge, refund = _refund_reserve(
        account=account, charge_id=charge_id, amount=amount, reason=reason, metadata=metadata
    )
    result = processor_for(account).refund(
        reference=charge.processor_reference,
        amount=refund.amount,
        idempotency_key=f"refund:{refund.id}",
    )
    return _refund_record(
        account=account, charge_id=charge_id, refund_id=refund.pk, result=result, actor=actor
    )


def _refund_reserve(
    *,
    account: Account,
    charge_id: str,
    amount: int | None,
    reason: str,
    metadata: dict[str, str] | None,
) -> tuple[Charge, Refund]:
    """The pending refund, its amount reserved on the charge, under the charge's lock."""
    with transaction.atomic():
        charge = charge_locked(account, charge_id)
        if charge.status != ChargeStatus.SUCCEEDED:
            raise InvalidRequestError(
                f"Charge {charge.id} did not succeed, so there is nothing to refund.",
                param="charge",
            )
        if not charge.captured:
            raise InvalidRequestError(
                f"Charge {charge.id} is not captured: capture it or cancel its payment instead.",
                param="charge",
            )
        remaining = charge.amount_captured - charge.amount_refunded
        if remaining <= 0:
            raise InvalidRequestError(
                f"Charge {charge.id} has already been refunded.", code="charge_already_refunded"
            )
        amount = remaining if amount is None else amount
        if amount <= 0 or amount > remaining:
            left = money.format_amount(remaining, charge.currency)
            raise InvalidRequestError(
                f"Refund amount ({money.format_amount(amount, charge.currency)}) is greater than "
                f"the unrefunded amount on the charge ({left}).",
                param="amount",
            )
        refund = Refund.objects.create(
            account=account,
            charge=charge,
            amount=amount,
            currency=charge.currency,
            reason=reason,
            status=RefundStatus.PENDING,
            metadata=metadata or {},
            created_at=clock.now(),
        )
        # Reserved now, under the lock; released if the processor refuses.
        charge.amount_refunded += amount
        charge.save(update_fields=["amount_refunded", "updated_at"])
    return charge, refund


def _refund_record(
    *, account: Account, charge_id: str, refund_id: str, result: Result, actor: Actor
) -> Refund:
    """The processor's answer: the refund succeeds with its ledger row, or fails and gives the
    reserved amount back to the charge."""
    with transaction.atomic():
        (charge,), (refund,) = rows_lock(
            Charge.objects.select_related("account", "payment_method").filter(
                account=account, id=charge_id
            ),
            Refund.objects.select_related("account").filter(pk=refund_id),
        )
        amount = refund.amount
        changes = {"charge": [None, charge.id], "amount": [None, amount]}
        if result.status == "succeeded":
            refund.processor_reference = result.reference
            refund.balance_transaction = ledger_write(
                account=account,
                kind=BalanceTransactionType.REFUND,
                amount=-amount,
                currency=charge.currency,
                source_id=refund.id,
                description=f"REFUND FOR CHARGE ({charge.description or charge.id})",
                available_at=clock.now(),
            )
            refund_move(refund, RefundStatus.SUCCEEDED, actor=actor, changes=changes)
            charge_event(
                charge,
                "charge.refunded",
                actor,
                {"amount_refunded": charge.amount_refunded - amount, "refunded": False},
            )
        else:
            refund.failure_reason = result.error_code or "unknown"
            refund_move(refund, RefundStatus.FAILED, actor=actor, changes=changes)
            charge.amount_refunded -= amount
            charge.save(update_fields=["amount_refunded", "updated_at"])
    return refund


def refund_update(
    *, account: Account, refund_id: str, metadata: dict[str, str] | None, actor: Actor
) -> Refund:
    with transaction.atomic():
        refund = row_lock(
            Refund.objects.select_related("charge").filter(account=account, id=refund_id)
        )
        if refund is None:
            raise ResourceMissingError("refund", refund_id)
        before = refund.metadata
        refund.metadata = metadata_merge(refund.metadata, metadata)
        refund.save(update_fields=["metadata", "updated_at"])
        if refund.metadata != before:
            event_record(
                account=account,
                type="refund.updated",
                data_object=refund_render(refund),
                previous_attributes={"metadata": before},
                actor=actor,
            )
            audit_record(
                account=account,
                actor=actor,
                action="refund.updated",
                object_type="refund",
                object_id=refund.id,
                changes={"metadata": [before, refund.metadata]},
            )
    return refund
