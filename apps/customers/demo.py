"""Demo customers for ``load_demo``, each with a test card (idempotent)."""

from apps.accounts.models import Account
from apps.core.actor import SYSTEM
from apps.customers.models import Customer
from apps.customers.services import CustomerFields, customer_create

DEMO_CUSTOMERS = [
    ("jenny.rosen@example.com", "Jenny Rosen", "tok_visa"),
    ("max.mustermann@example.com", "Max Mustermann", "tok_mastercard"),
    ("ada.lovelace@example.com", "Ada Lovelace", "tok_chargeCustomerFail"),
]


def customers_demo_load(*, account: Account) -> None:
    for email, name, token in DEMO_CUSTOMERS:
        if Customer.objects.filter(account=account, email=email).exists():
            continue
        customer_create(
            account=account,
            fields=CustomerFields(email=email, name=name),
            source=token,
            actor=SYSTEM,
        )
