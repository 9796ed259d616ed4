from apps.payments.services.charges import (
    ChargeRequest,
    amount_validate,
    charge_capture,
    charge_create,
    charge_update,
    charges_attempt,
    charges_authorize,
    charges_outcomes_record,
    charges_pending_write,
)
from apps.payments.services.intents import (
    payment_intent_cancel,
    payment_intent_capture,
    payment_intent_confirm,
    payment_intent_create,
    payment_intent_update,
)
from apps.payments.services.refunds import refund_create, refund_update
from apps.payments.services.settings import payment_settings_update

__all__ = [
    "ChargeRequest",
    "amount_validate",
    "charge_capture",
    "charge_create",
    "charge_update",
    "charges_attempt",
    "charges_authorize",
    "charges_outcomes_record",
    "charges_pending_write",
    "payment_intent_cancel",
    "payment_intent_capture",
    "payment_intent_confirm",
    "payment_intent_create",
    "payment_intent_update",
    "payment_settings_update",
    "refund_create",
    "refund_update",
]
