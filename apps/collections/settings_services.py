"""Writes of an account's collection settings (Dashboard → Collection settings): the retry
schedule, what happens after the last retry and which customer emails are sent. Checked first,
audited in the transaction of the change."""

from typing import Any

from django.db import transaction

from apps.accounts import roles
from apps.accounts.audit import audit_record
from apps.accounts.models import Account
from apps.collections.models import CollectionSettings
from apps.collections.schedule import policy_errors
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError
from apps.core.locks import row_lock

SUBSCRIPTION_AFTER = ("cancel", "unpaid", "past_due")
INVOICE_AFTER = ("uncollectible", "open")
EMAIL_FIELDS = (
    "email_payment_failed",
    "email_final_notice",
    "email_receipt",
    "email_upcoming_renewal",
    "email_card_expiring",
)
POLICY_FIELDS = ("retry_mode", "retry_attempts", "retry_window_days", "retry_delays")
FIELDS = (*POLICY_FIELDS, "subscription_after", "invoice_after", *EMAIL_FIELDS)


def _shape_check(changes: dict[str, Any]) -> None:
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidRequestError(f"Unknown collection setting {unknown[0]!r}.", param=unknown[0])
    if "subscription_after" in changes and changes["subscription_after"] not in SUBSCRIPTION_AFTER:
        raise InvalidRequestError(
            "After the last retry the subscription is canceled, marked unpaid or left past due.",
            param="subscription_after",
        )
    if "invoice_after" in changes and changes["invoice_after"] not in INVOICE_AFTER:
        raise InvalidRequestError(
            "After the last retry the invoice is marked uncollectible or left open.",
            param="invoice_after",
        )
    for name in EMAIL_FIELDS:
        if name in changes and not isinstance(changes[name], bool):
            raise InvalidRequestError("Turn the email on or off.", param=name)
    for name in ("retry_attempts", "retry_window_days"):
        value = changes.get(name, 0)
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidRequestError("A whole number.", param=name)
    if "retry_delays" in changes and not isinstance(changes["retry_delays"], list):
        raise InvalidRequestError("A list of days.", param="retry_delays")


def collection_settings_update(
    *, account: Account, actor: Actor, **changes: Any
) -> CollectionSettings:
    """Change some of the account's collection settings (``CollectionSettings`` field names).
    The retry policy they leave must pass ``schedule.policy_errors``; nothing is written
    otherwise."""
    roles.actor_require(actor, roles.SETTINGS)
    _shape_check(changes)
    with transaction.atomic():
        row = row_lock(CollectionSettings.objects.filter(account=account))
        if row is None:
            row = CollectionSettings(account=account)
        errors = policy_errors(
            mode=changes.get("retry_mode", row.retry_mode),
            attempts=changes.get("retry_attempts", row.retry_attempts),
            window_days=changes.get("retry_window_days", row.retry_window_days),
            delays_days=changes.get("retry_delays", row.retry_delays),
        )
        if errors:
            param, message = next(iter(errors.items()))
            raise InvalidRequestError(message, param=param)
        diff = {
            name: [getattr(row, name), value]
            for name, value in changes.items()
            if getattr(row, name) != value
        }
        if not diff:
            return row
        for name, (_, value) in diff.items():
            setattr(row, name, value)
        row.save()
        audit_record(
            account=account,
            actor=actor,
            action="collection_settings.updated",
            object_type="collection_settings",
            object_id=account.id,
            changes=diff,
        )
    return row
