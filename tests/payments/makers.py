"""Payment objects of one account for the tenant-isolation test."""

from apps.accounts.models import Account
from apps.core.actor import SYSTEM
from apps.payments.services import refund_create
from apps.payments.services.setup_intents import setup_intent_create
from tests.factories import ChargeFactory, PaymentIntentFactory


def _refund(account: Account) -> str:
    return refund_create(
        account=account, charge_id=ChargeFactory(account=account).id, amount=500, actor=SYSTEM
    ).id


MAKERS = {
    "charge-detail": lambda a: ChargeFactory(account=a).id,
    "charge-capture": lambda a: ChargeFactory(account=a, capture=False).id,
    "refund-detail": _refund,
    "balance-transaction-detail": lambda a: ChargeFactory(account=a).balance_transaction_id,
    "payment-intent-detail": lambda a: PaymentIntentFactory(account=a).id,
    "payment-intent-confirm": lambda a: PaymentIntentFactory(account=a).id,
    "payment-intent-capture": lambda a: PaymentIntentFactory(account=a).id,
    "payment-intent-cancel": lambda a: PaymentIntentFactory(account=a).id,
    "payment-intent-authenticate": lambda a: PaymentIntentFactory(account=a).id,
}


def _setup_intent(account: Account) -> str:
    return setup_intent_create(
        account=account,
        customer=None,
        payment_method=None,
        payment_method_types=["card"],
        usage="off_session",
        description="",
        metadata={},
        actor=SYSTEM,
    ).id


MAKERS.update(
    {
        "setup-intent-detail": _setup_intent,
        "setup-intent-confirm": _setup_intent,
        "setup-intent-cancel": _setup_intent,
        "setup-intent-authenticate": _setup_intent,
    }
)
