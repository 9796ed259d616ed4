"""PaymentMethods: create, resolve what a charge is paid with, attach, detach, update, and a
card staff type in."""

from django.db import transaction

from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import Actor
from apps.core.api.params import metadata_merge
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock, rows_lock
from apps.customers.enums import PaymentMethodType, SourceObject
from apps.customers.models import Customer, PaymentMethod
from apps.customers.payment_method_render import payment_method_render
from apps.customers.services.payment_methods.inputs import expiry
from apps.customers.services.payment_methods.records import (
    customer_defaults,
    customer_defaults_changed,
    event_prefix,
    payment_method_record,
)
from apps.customers.services.payment_methods.requests import (
    CardEntry,
    NewPaymentMethod,
    PaymentMethodChange,
)
from apps.customers.services.payment_methods.rows import (
    copy_as,
    entry_card_row,
    from_token_or_test_id,
    is_test_payment_method,
    refuse_unattachable,
    sepa_row,
    us_bank_row,
    wallet_row,
)


def payment_method_create(
    *, account: Account, request: NewPaymentMethod, actor: Actor
) -> PaymentMethod:
    """``POST /v1/payment_methods``: a new, unattached payment method of any type."""
    billing = request.billing_details
    if request.type == PaymentMethodType.CARD:
        if request.card_token:
            source = from_token_or_test_id(account, request.card_token, param="card[token]")
            row = copy_as(source, SourceObject.PAYMENT_METHOD)
        else:
            row = entry_card_row(
                account, request.card, source_object=SourceObject.PAYMENT_METHOD, param="card"
            )
    elif request.type == PaymentMethodType.SEPA_DEBIT:
        row = sepa_row(
            account,
            request.iban,
            source_object=SourceObject.PAYMENT_METHOD,
            param="sepa_debit[iban]",
        )
        if not billing.get("name"):
            raise InvalidRequestError(
                "Missing required param: billing_details[name].",
                param="billing_details[name]",
                code="parameter_missing",
            )
    elif request.type == PaymentMethodType.US_BANK_ACCOUNT:
        bank = request.bank
        row = us_bank_row(
            account,
            account_number=bank.account_number,
            routing_number=bank.routing_number,
            holder_type=bank.holder_type,
            account_type=bank.account_type,
            holder_name=billing.get("name", ""),
            source_object=SourceObject.PAYMENT_METHOD,
        )
    else:
        row = wallet_row(
            account,
            billing.get("email"),
            source_object=SourceObject.PAYMENT_METHOD,
            param="billing_details[email]",
        )
    row.billing_details = {**row.billing_details, **billing}
    row.metadata = dict(request.metadata)
    with transaction.atomic():
        row.save(force_insert=True)
        payment_method_record(
            row, action="payment_method.created", actor=actor, event_type="payment_method.created"
        )
    return row


def payment_method_resolve(
    *, account: Account, value: str, customer: Customer | None, actor: Actor, param: str
) -> PaymentMethod:
    """What a charge or payment intent is paid with: its ``source`` or ``payment_method`` value.

    Test tokens and test PaymentMethod ids make a fresh row (not attached); ``tok_…`` from
    ``/v1/tokens`` is spent; existing ids must belong to the account, and to ``customer`` when one
    is named (for ``source=`` Stripe requires the source to be the customer's).
    """
    if not isinstance(value, str) or not value:
        raise InvalidRequestError(f"Invalid {param}.", param=param)
    if value.startswith(("tok_", "btok_")) or is_test_payment_method(value):
        if customer is not None and param == "source":
            raise InvalidRequestError(
                f"Customer {customer.id} does not have a linked source with ID {value}.",
                param=param,
                code="resource_missing",
                http_status=404,
            )
        row = from_token_or_test_id(account, value, param=param)
        with transaction.atomic():
            if row._state.adding:
                row.save(force_insert=True)
            else:
                locked = row_lock(PaymentMethod.objects.filter(pk=row.pk))
                if locked is None:
                    raise ResourceMissingError("token", value, param=param)
                if locked.details.get("token_used"):
                    raise InvalidRequestError(
                        f"You cannot use a token more than once: {value} was already used.",
                        param=param,
                        code="token_already_used",
                    )
                locked.details = {**locked.details, "token_used": True}
                locked.save(update_fields=["details", "updated_at"])
                row = locked
        return row
    row = PaymentMethod.objects.select_related("account").filter(account=account, id=value).first()
    if row is None:
        kind = "source" if param == "source" else "PaymentMethod"
        raise ResourceMissingError(kind, value, param=param)
    if customer is not None and row.customer_id not in (None, customer.id):
        raise InvalidRequestError(
            f"The payment method {value} belongs to another customer.", param=param
        )
    if customer is not None and param == "source" and row.customer_id != customer.id:
        raise InvalidRequestError(
            f"Customer {customer.id} does not have a linked source with ID {value}.",
            param=param,
            code="resource_missing",
            http_status=404,
        )
    if row.detached_at is not None:
        raise InvalidRequestError(
            "This PaymentMethod was detached from a Customer and may not be used again.",
            param=param,
        )
    return row


def payment_method_from_card(
    *, account: Account, card: str | CardEntry, actor: Actor, customer: Customer | None = None
) -> PaymentMethod:
    """The legacy ``card`` parameter of a charge: a token id, or a card typed in."""
    if isinstance(card, str):
        return payment_method_resolve(
            account=account, value=card, customer=None, actor=actor, param="card"
        )
    row = entry_card_row(account, card, source_object=SourceObject.CARD, param="card")
    with transaction.atomic():
        row.save(force_insert=True)
    return row


def payment_method_attach(
    *, account: Account, payment_method_id: str, customer: Customer, actor: Actor
) -> PaymentMethod:
    """``POST /v1/payment_methods/:id/attach`` (test ids like ``pm_card_visa`` make a new one)."""
    if is_test_payment_method(payment_method_id):
        row = from_token_or_test_id(account, payment_method_id, param="payment_method")
        refuse_unattachable(row)
        row.customer = customer
        with transaction.atomic():
            row.save(force_insert=True)
            payment_method_record(
                row,
                action="payment_method.attached",
                actor=actor,
                event_type="payment_method.attached",
            )
        return row
    with transaction.atomic():
        row = row_lock(PaymentMethod.objects.filter(account=account, id=payment_method_id))
        if row is None or row.source_object != SourceObject.PAYMENT_METHOD:
            raise ResourceMissingError("PaymentMethod", payment_method_id, param="payment_method")
        if row.customer_id == customer.id:
            return row
        if row.customer_id is not None:
            raise InvalidRequestError(
                "The payment method you provided has already been attached to a customer.",
                param="payment_method",
            )
        if row.detached_at is not None:
            raise InvalidRequestError(
                "This PaymentMethod was previously detached from a Customer and may not be "
                "used again.",
                param="payment_method",
            )
        refuse_unattachable(row)
        row.customer = customer
        row.save(update_fields=["customer", "updated_at"])
        payment_method_record(
            row, action="payment_method.attached", actor=actor, event_type="payment_method.attached"
        )
    return row


def _locked_with_owner(
    account: Account, payment_method_id: str
) -> tuple[PaymentMethod | None, Customer | None]:
    """The payment method and the customer it is attached to, locked in the global order
    (customer first): the owner is read, both are locked, and the read is repeated if the
    payment method moved to another customer in between."""
    rows = PaymentMethod.objects.filter(account=account, id=payment_method_id)
    while True:
        owner_id = rows.values_list("customer_id", flat=True).first()
        owners, locked = rows_lock(Customer.objects.filter(pk=owner_id), rows)
        row = locked[0] if locked else None
        if row is None or row.customer_id == owner_id:
            return row, owners[0] if owners else None


def payment_method_detach(
    *, account: Account, payment_method_id: str, actor: Actor, customer: Customer | None = None
) -> PaymentMethod:
    """Detach a payment method, or delete a customer's source (``customer`` given)."""
    with transaction.atomic():
        row, owner = _locked_with_owner(account, payment_method_id)
        if row is None or (customer is not None and row.customer_id != customer.id):
            raise ResourceMissingError(
                "source" if customer is not None else "PaymentMethod",
                payment_method_id,
                param="id",
            )
        if row.customer_id is None:
            raise InvalidRequestError(
                "The payment method you provided is not attached to a customer so detachment "
                "is impossible.",
                param="payment_method",
            )
        before = customer_defaults(owner)
        row.customer = None
        row.detached_at = clock.now()
        row.save(update_fields=["customer", "detached_at", "updated_at"])
        legacy = row.source_object != SourceObject.PAYMENT_METHOD
        payment_method_record(
            row,
            action="customer.source.deleted" if legacy else "payment_method.detached",
            actor=actor,
            event_type="customer.source.deleted" if legacy else "payment_method.detached",
        )
        if owner.default_source_id == row.id:
            owner.default_source = None
        if owner.default_payment_method_id == row.id:
            owner.default_payment_method = None
        customer_defaults_changed(owner, before, actor=actor)
    return row


def payment_method_update(
    *,
    account: Account,
    payment_method_id: str,
    change: PaymentMethodChange,
    actor: Actor,
    customer: Customer | None = None,
) -> PaymentMethod:
    """Update billing details, metadata and card expiry (PaymentMethod or legacy source shape)."""
    with transaction.atomic():
        row = row_lock(PaymentMethod.objects.filter(account=account, id=payment_method_id))
        if row is None or (customer is not None and row.customer_id != customer.id):
            raise ResourceMissingError(
                "source" if customer is not None else "PaymentMethod", payment_method_id, param="id"
            )
        before = payment_method_render(row)
        _change_apply(row, change)
        row.save()
        after = payment_method_render(row)
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        if previous:
            payment_method_record(
                row,
                action=f"{event_prefix(row)}.updated",
                actor=actor,
                event_type=f"{event_prefix(row)}.updated",
                previous=previous,
                changes={k: [v, after.get(k)] for k, v in previous.items()},
            )
    return row


def _change_apply(row: PaymentMethod, change: PaymentMethodChange) -> None:
    """``change`` on the (locked) row: a new expiry is checked with the half not sent kept."""
    given = [v not in (None, "") for v in (change.exp_month, change.exp_year)]
    if row.type == PaymentMethodType.CARD and any(given):
        row.exp_month, row.exp_year = expiry(
            {
                "exp_month": change.exp_month or row.exp_month,
                "exp_year": change.exp_year or row.exp_year,
            },
            param="card",
        )
    if change.billing_details is not None:
        row.billing_details = {**row.billing_details, **change.billing_details}
    if change.address:
        address = {**(row.billing_details.get("address") or {}), **change.address}
        row.billing_details = {**row.billing_details, "address": address}
    if change.name is not None:
        row.billing_details = {**row.billing_details, "name": change.name}
    row.metadata = metadata_merge(row.metadata, change.metadata)


def customer_card_add(
    *, account: Account, customer: Customer, card: CardEntry, actor: Actor
) -> PaymentMethod:
    """A card typed in by staff (a test number in test mode, checked by ``card_entry``),
    attached to the customer at once. Decline cards are refused before anything is written."""
    row = entry_card_row(account, card, source_object=SourceObject.PAYMENT_METHOD, param="card")
    refuse_unattachable(row)
    with transaction.atomic():
        row.customer = row_lock(Customer.objects.filter(pk=customer.pk))
        if row.customer is None:
            raise ResourceMissingError("customer", customer.id)
        row.save(force_insert=True)
        payment_method_record(
            row,
            action="payment_method.attached",
            actor=actor,
            event_type="payment_method.attached",
        )
    return row
