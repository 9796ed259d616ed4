"""Payment objects of one account for the tenant-isolation test."""

from apps.accounts.models import Account
from apps.core.actor import SYSTEM
from apps.customers.services import customer_create
from apps.customers.services.payment_methods import payment_method_resolve
from apps.payments.models import Charge
from apps.payments.services import (
    ChargeRequest,
    charge_create,
    payment_intent_create,
    refund_create,
)


def make_charge(account: Account, *, capture: bool = True, source: str = "tok_visa") -> Charge:
    customer = customer_create(account=account, params={"email": "p@example.com"}, actor=SYSTEM)
    card = payment_method_resolve(
        account=account, value=source, customer=None, actor=SYSTEM, param="source"
    )
    return charge_create(
        account=account,
        request=ChargeRequest(
            amount=2000,
            currency="usd",
            payment_method=card,
            customer=customer,
            capture=capture,
            via_source=True,
        ),
        actor=SYSTEM,
    )


def _intent(account: Account) -> str:
    return payment_intent_create(
        account=account,
        amount=1000,
        currency="usd",
        customer=None,
        payment_method=None,
        capture_method="automatic",
        description="",
        metadata={},
        off_session=False,
        setup_future_usage="",
        actor=SYSTEM,
    ).id


def _refund(account: Account) -> str:
    return refund_create(
        account=account, charge_id=make_charge(account).id, amount=500, actor=SYSTEM
    ).id


MAKERS = {
    "charge-detail": lambda a: make_charge(a).id,
    "charge-capture": lambda a: make_charge(a, capture=False).id,
    "refund-detail": _refund,
    "balance-transaction-detail": lambda a: make_charge(a).balance_transaction_id,
    "payment-intent-detail": _intent,
    "payment-intent-confirm": _intent,
    "payment-intent-capture": _intent,
    "payment-intent-cancel": _intent,
    "payment-intent-authenticate": _intent,
}
