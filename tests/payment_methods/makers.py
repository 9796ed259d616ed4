"""Objects of one account for the tenant-isolation test (tests/api/test_tenant_isolation.py)."""

from apps.accounts.models import Account
from apps.core.actor import SYSTEM
from apps.customers.services.payment_methods import (
    customer_source_add,
    payment_method_attach,
    source_create,
    token_create,
    token_id,
)
from apps.customers.services.payment_methods.requests import CardEntry, NewSource, NewToken
from tests.factories import CustomerRowFactory


def _attached_pm(account: Account) -> dict[str, str]:
    customer = CustomerRowFactory(account=account)
    pm = payment_method_attach(
        account=account, payment_method_id="pm_card_visa", customer=customer, actor=SYSTEM
    )
    return {"customer": customer.id, "payment_method": pm.id}


def _source(account: Account, source: str = "tok_visa") -> dict[str, str]:
    customer = CustomerRowFactory(account=account)
    card = customer_source_add(account=account, customer=customer, source=source, actor=SYSTEM)
    return {"customer": customer.id, "id": card.id}


def _sepa_source(account: Account) -> str:
    return source_create(
        account=account,
        request=NewSource(
            type="sepa_debit", iban="DE89370400440532013000", owner={"name": "Jenny Rosen"}
        ),
        actor=SYSTEM,
    ).id


def _token(account: Account) -> str:
    _, row = token_create(
        account=account,
        request=NewToken(card=CardEntry("4242424242424242", exp_month=12, exp_year=2040)),
        actor=SYSTEM,
    )
    return token_id(row)


MAKERS = {
    "payment-method-detail": lambda a: _attached_pm(a)["payment_method"],
    "payment-method-attach": lambda a: _attached_pm(a)["payment_method"],
    "payment-method-detach": lambda a: _attached_pm(a)["payment_method"],
    "customer-payment-method-list": lambda a: _attached_pm(a)["customer"],
    "customer-payment-method-detail": _attached_pm,
    "customer-source-list": lambda a: _source(a)["customer"],
    "customer-source-detail": _source,
    "customer-source-verify": lambda a: _source(a, "btok_us_verified"),
    "source-detail": _sepa_source,
    "token-detail": _token,
}
