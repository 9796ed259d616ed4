"""The account's payment settings: processing fee and availability delay."""

from decimal import Decimal

from django.db import transaction

from apps.accounts.audit import audit_record
from apps.accounts.models import Account
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError
from apps.core.locks import row_lock
from apps.payments.models import PaymentSettings


def payment_settings_update(
    *, account: Account, fee_percent: Decimal, fee_fixed: int, availability_days: int, actor: Actor
) -> PaymentSettings:
    if not Decimal(0) <= fee_percent <= Decimal(20) or fee_percent.as_tuple().exponent < -3:
        raise InvalidRequestError(
            "The percentage fee is between 0 and 20, with at most 3 decimals.", param="fee_percent"
        )
    if not 0 <= fee_fixed <= 10_000:
        raise InvalidRequestError(
            "The fixed fee is between 0 and 10,000 minor units.", param="fee_fixed"
        )
    if not 0 <= availability_days <= 30:
        raise InvalidRequestError(
            "Funds become available after 0 to 30 days.", param="availability_days"
        )
    with transaction.atomic():
        PaymentSettings.objects.get_or_create(account=account)
        settings = row_lock(PaymentSettings.objects.filter(account=account))
        before = {
            "fee_percent": str(settings.fee_percent),
            "fee_fixed": settings.fee_fixed,
            "availability_days": settings.availability_days,
        }
        settings.fee_percent = fee_percent
        settings.fee_fixed = fee_fixed
        settings.availability_days = availability_days
        settings.save()
        after = {
            "fee_percent": str(settings.fee_percent),
            "fee_fixed": fee_fixed,
            "availability_days": availability_days,
        }
        changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if changes:
            audit_record(
                account=account,
                actor=actor,
                action="payment_settings.updated",
                object_type="payment_settings",
                object_id=account.id,
                changes=changes,
            )
    return settings
