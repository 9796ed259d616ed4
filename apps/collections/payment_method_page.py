"""The customer-facing "update your payment method" page: its link and what it does.

The link is the customer's id signed with the project's secret (Django's ``TimestampSigner``, a
salt of its own) and is valid for ``LINK_MAX_AGE``: unguessable without a database row, and an
emailed link stops working after a while. The page takes a card (a test card number in test
mode) through the customer services — attached as a PaymentMethod, then made the customer's
``invoice_settings.default_payment_method`` — in one transaction, so ``payment_method.attached``
and ``customer.updated`` are recorded with it and dunning retries the open invoices at once.
"""

from collections.abc import Callable
from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.urls import reverse

from apps.accounts.models import Account
from apps.core.actor import Actor
from apps.core.public_url import public_url
from apps.customers.models import Customer, PaymentMethod
from apps.customers.services import CustomerFields, customer_update
from apps.customers.services.payment_methods import customer_card_add
from apps.customers.services.payment_methods.inputs import card_entry
from apps.invoices.models import Invoice

# Long enough for a retry schedule of two months, Stripe's longest.
LINK_MAX_AGE = timedelta(days=60)
_SALT = "ledgerline.collections.update_payment_method"
CUSTOMER_ACTOR = Actor(kind="system", label="Customer (update payment method page)")


def update_payment_method_token(customer: Customer) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(customer.id)


def update_payment_method_url(customer: Customer) -> str:
    token = update_payment_method_token(customer)
    return public_url() + reverse("update-payment-method", args=[token])


def update_payment_method_links() -> Callable[[Customer], str]:
    """``update_payment_method_url`` for many customers: the URL reversed once. A token's
    characters (letters, digits, ``:_-``) are never quoted by ``reverse``, so the link is the
    reversed URL with the token in the marker's place."""
    marker = "0token0"
    before, found, after = (
        public_url() + reverse("update-payment-method", args=[marker])
    ).partition(marker)
    if not found:
        return update_payment_method_url
    return lambda customer: before + update_payment_method_token(customer) + after


def customer_of_token(token: str) -> Customer | None:
    """The customer a link was made for, while it is valid and the customer exists."""
    try:
        customer_id = signing.TimestampSigner(salt=_SALT).unsign(
            token, max_age=LINK_MAX_AGE.total_seconds()
        )
    except signing.BadSignature:  # expired links included (SignatureExpired)
        return None
    return (
        Customer.objects.select_related("account", "default_payment_method", "default_source")
        .filter(id=customer_id, deleted_at__isnull=True)
        .first()
    )


def current_payment_method(customer: Customer) -> PaymentMethod | None:
    """What the customer's invoices are charged to (the default PaymentMethod, else the
    default source), if it is still attached."""
    for row in (customer.default_payment_method, customer.default_source):
        if row is not None and row.detached_at is None:
            return row
    return None


def open_invoices(customer: Customer) -> list[Invoice]:
    """The customer's invoices still waiting for an automatic payment."""
    return list(
        Invoice.objects.filter(
            account_id=customer.account_id,
            customer=customer,
            status="open",
            collection_method="charge_automatically",
        ).order_by("created_at", "id")[:20]
    )


def customer_card_replace(
    *,
    account: Account,
    customer: Customer,
    number: str,
    exp_month: int,
    exp_year: int,
    actor: Actor = CUSTOMER_ACTOR,
) -> PaymentMethod:
    """The card the customer typed becomes their default payment method. Everything is checked
    (number, expiry, a card that declines on attach) before anything is written; the attach and
    the new default are one transaction."""
    with transaction.atomic():
        entry = card_entry(
            {"number": number, "exp_month": exp_month, "exp_year": exp_year}, param="card"
        )
        card = customer_card_add(account=account, customer=customer, card=entry, actor=actor)
        customer_update(
            account=account,
            customer_id=customer.id,
            fields=CustomerFields(default_payment_method=card.id),
            actor=actor,
        )
    return card
