"""Tokens and legacy sources: ``/v1/tokens``, ``/v1/sources``, a customer's sources and the
microdeposit check of a legacy bank account."""

from typing import Any

from django.db import transaction

from apps.accounts.audit import audit_record
from apps.accounts.models import Account
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.ids import client_secret_new
from apps.core.locks import row_lock
from apps.customers.enums import PaymentMethodType, SourceObject
from apps.customers.models import Customer, PaymentMethod
from apps.customers.payment_method_render import payment_method_render
from apps.customers.services.payment_methods.inputs import BILLING_KEYS
from apps.customers.services.payment_methods.records import (
    customer_defaults,
    customer_defaults_changed,
    payment_method_record,
)
from apps.customers.services.payment_methods.requests import (
    BankAccountEntry,
    CardEntry,
    NewSource,
    NewToken,
    SourceEntry,
)
from apps.customers.services.payment_methods.rows import (
    bank_account_row,
    copy_as,
    entry_card_row,
    from_token_or_test_id,
    refuse_unattachable,
    sepa_row,
    wallet_row,
)


def token_create(*, account: Account, request: NewToken, actor: Actor) -> tuple[str, PaymentMethod]:
    """``POST /v1/tokens`` for a card or bank account; returns the token id and its row."""
    if request.card is not None:
        row = entry_card_row(
            account,
            request.card,
            source_object=SourceObject.CARD,
            param="card",
        )
    else:
        row = bank_account_row(account, request.bank_account, param="bank_account")
    with transaction.atomic():
        row.save(force_insert=True)
        audit_record(
            account=account,
            actor=actor,
            action="token.created",
            object_type="payment_method",
            object_id=row.id,
        )
    return token_id(row), row


def token_id(row: PaymentMethod) -> str:
    suffix = row.id.split("_", 1)[1]
    return f"{'tok' if row.type == PaymentMethodType.CARD else 'btok'}_{suffix}"


def token_get(*, account: Account, token: str) -> PaymentMethod | None:
    if not token.startswith(("tok_", "btok_")):
        return None
    prefix = "card" if token.startswith("tok_") else "ba"
    return PaymentMethod.objects.filter(
        account=account, id=f"{prefix}_{token.split('_', 1)[1]}"
    ).first()


def source_create(*, account: Account, request: NewSource, actor: Actor) -> PaymentMethod:
    """``POST /v1/sources``: a reusable ``src_…`` of type sepa_debit, paypal (wallet) or card."""
    owner = request.owner
    if request.type == "sepa_debit":
        row = sepa_row(
            account, request.iban, source_object=SourceObject.SOURCE, param="sepa_debit[iban]"
        )
    elif request.type == "paypal":
        row = wallet_row(
            account, owner.get("email"), source_object=SourceObject.SOURCE, param="owner[email]"
        )
    else:
        row = copy_as(
            from_token_or_test_id(account, request.token, param="token"), SourceObject.SOURCE
        )
    row.billing_details = {
        **row.billing_details,
        **{k: owner[k] for k in BILLING_KEYS if owner.get(k)},
    }
    row.metadata = dict(request.metadata)
    row.client_secret = client_secret_new(row.id)
    with transaction.atomic():
        row.save(force_insert=True)
        audit_record(
            account=account,
            actor=actor,
            action="source.created",
            object_type="payment_method",
            object_id=row.id,
        )
    return row


def source_prepare(*, account: Account, source: SourceEntry) -> PaymentMethod:
    """The row a ``source`` parameter names, checked but not yet attached: a new row (unsaved)
    for a test token or a card / bank account typed in, else the existing token or ``src_…``
    row."""
    if isinstance(source, CardEntry):
        row = entry_card_row(account, source, source_object=SourceObject.CARD, param="source")
    elif isinstance(source, BankAccountEntry):
        row = bank_account_row(account, source, param="source")
    elif isinstance(source, str) and source.startswith("src_"):
        row = PaymentMethod.objects.filter(
            account=account, id=source, source_object=SourceObject.SOURCE
        ).first()
        if row is None:
            raise ResourceMissingError("source", source, param="source")
    elif isinstance(source, str) and source:
        row = from_token_or_test_id(account, source, param="source")
        if not row._state.adding and row.source_object == SourceObject.PAYMENT_METHOD:
            raise InvalidRequestError(
                "PaymentMethods are attached with POST /v1/payment_methods/:id/attach.",
                param="source",
            )
    else:
        raise InvalidRequestError(
            "Missing required param: source.", param="source", code="parameter_missing"
        )
    refuse_unattachable(row)
    return row


def source_attach(
    *,
    customer: Customer,
    row: PaymentMethod,
    actor: Actor,
    metadata: dict[str, str] | None = None,
) -> PaymentMethod:
    """Attach a prepared row to a customer already locked by the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("source_attach runs inside the transaction that locked the customer")
    adding, source_id = row._state.adding, row.id
    if not adding:
        row = row_lock(PaymentMethod.objects.filter(pk=row.pk))
        if row is None:
            raise ResourceMissingError("source", source_id, param="source")
        spent = row.details.get("token_used") or row.customer_id is not None
        if spent or row.detached_at is not None:
            raise InvalidRequestError(
                f"{row.id} was already used or attached; a token or source attaches once.",
                param="source",
                code="token_already_used",
            )
        row.details = {**row.details, "token_used": True}
    row.customer = customer
    if metadata:
        row.metadata = {**row.metadata, **metadata}
    row.save(force_insert=adding)
    payment_method_record(
        row, action="customer.source.created", actor=actor, event_type="customer.source.created"
    )
    return row


def customer_source_add(
    *,
    account: Account,
    customer: Customer,
    source: SourceEntry,
    actor: Actor,
    metadata: dict[str, str] | None = None,
) -> PaymentMethod:
    """``POST /v1/customers/:id/sources``: a token, a ``src_…`` or a bank account hash.

    The first source a customer gets becomes its ``default_source``, as with Stripe.
    """
    row = source_prepare(account=account, source=source)
    with transaction.atomic():
        locked_customer = row_lock(Customer.objects.filter(pk=customer.pk))
        if locked_customer is None:
            raise ResourceMissingError("customer", customer.id)
        locked_customer.account = account
        row = source_attach(customer=locked_customer, row=row, actor=actor, metadata=metadata)
        before = customer_defaults(locked_customer)
        if locked_customer.default_source_id is None:
            locked_customer.default_source = row
        customer_defaults_changed(locked_customer, before, actor=actor)
    return row


def bank_account_verify(
    *, account: Account, customer: Customer, bank_account_id: str, amounts: Any, actor: Actor
) -> PaymentMethod:
    """Microdeposit verification of a legacy bank account: test amounts 32 and 45 verify."""
    if not isinstance(amounts, list) or len(amounts) != 2:
        raise InvalidRequestError("Provide two amounts[] to verify.", param="amounts")
    with transaction.atomic():
        row = row_lock(
            PaymentMethod.objects.filter(account=account, id=bank_account_id, customer=customer)
        )
        if row is None or row.source_object != SourceObject.BANK_ACCOUNT:
            raise ResourceMissingError("bank account", bank_account_id, param="id")
        if row.details.get("status") == "verified":
            raise InvalidRequestError(
                "This bank account has already been verified.", param="amounts"
            )
        if sorted(str(a) for a in amounts) != ["32", "45"]:
            raise InvalidRequestError(
                "The amounts provided do not match the amounts that were sent to the bank account.",
                param="amounts",
                code="bank_account_verification_failed",
            )
        before = payment_method_render(row)
        row.details = {**row.details, "status": "verified"}
        row.save(update_fields=["details", "updated_at"])
        payment_method_record(
            row,
            action="customer.source.updated",
            actor=actor,
            event_type="customer.source.updated",
            previous={"status": before["status"]},
        )
    return row
