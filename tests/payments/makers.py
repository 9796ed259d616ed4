"""Payment objects of one account for the tenant-isolation test."""

from apps.accounts.models import Account
from apps.core.actor import SYSTEM
from apps.payments.services import refund_create
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
