"""PaymentMethods: create, resolve what a charge is paid with, attach, detach, update, and a
card staff type in."""

from typing import Any

from django.db import transaction

from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import Actor
from apps.core.api.params import get_metadata, get_str, metadata_merge
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock, rows_lock
from apps.customers.enums import PaymentMethodType, SourceObject
from apps.customers.models import Customer, PaymentMethod
from apps.customers.payment_method_render import payment_method_render
from apps.customers.services.payment_methods.inputs import (
    LEGACY_CARD_ADDRESS,
    billing_details,
    card_number,
    digits,
    expiry,
)
from apps.customers.services.payment_methods.records import (
    customer_defaults,
    customer_defaults_changed,
    event_prefix,
    payment_method_record,
)
from apps.customers.services.payment_methods.rows import (
    card_row,
    copy_as,
    from_token_or_test_id,
    is_test_payment_method,
    refuse_unattachable,
    sepa_row,
    us_bank_row,
    wallet_row,
)


def payment_method_create(
    *, account: Account, params: dict[str, Any], actor: Actor
) -> PaymentMethod:
    """``POST /v1/payment_methods``: a new, unattached payment method of any type."""
    kind = get_str(params, "type", required=True, choices=list(PaymentMethodType.values))
    billing = billing_details(params.get("billing_details"))
    if kind == PaymentMethodType.CARD:
        row = _card_payment_method(account, params.get("card"))
    elif kind == PaymentMethodType.SEPA_DEBIT:
        sepa = params.get("sepa_debit") or {}
        if not isinstance(sepa, dict) or not sepa.get("iban"):
            raise InvalidRequestError(
                "Missing required param: sepa_debit[iban].",
                param="sepa_debit[iban]",
                code="parameter_missing",
            )
        row = sepa_row(
            account,
            sepa["iban"],
            source_object=SourceObject.PAYMENT_METHOD,
            param="sepa_debit[iban]",
        )
        if not billing.get("name"):
            raise InvalidRequestError(
                "Missing required param: billing_details[name].",
                param="billing_details[name]",
                code="parameter_missing",
            )
    elif kind == PaymentMethodType.US_BANK_ACCOUNT:
        bank = params.get("us_bank_account") or {}
        if not isinstance(bank, dict):
            raise InvalidRequestError("Invalid hash: us_bank_account", param="us_bank_account")
        for name in ("account_number", "routing_number"):
            if not bank.get(name):
                raise InvalidRequestError(
                    f"Missing required param: us_bank_account[{name}].",
                    param=f"us_bank_account[{name}]",
                    code="parameter_missing",
                )
        row = us_bank_row(
            account,
            account_number=digits(bank["account_number"], param="us_bank_account[account_number]"),
            routing_number=digits(bank["routing_number"], param="us_bank_account[routing_number]"),
            holder_type=str(bank.get("account_holder_type") or "individual"),
            account_type=str(bank.get("account_type") or "checking"),
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
    row.metadata = get_metadata(params) or {}
    with transaction.atomic():
        row.save(force_insert=True)
        payment_method_record(
            row, action="payment_method.created", actor=actor, event_type="payment_method.created"
        )
    return row


def _card_payment_method(account: Account, card: Any) -> PaymentMethod:
    """The row of ``type=card``: from ``card[token]`` or a test card number."""
    if not isinstance(card, dict):
        raise InvalidRequestError(
            "Missing required param: card.", param="card", code="parameter_missing"
        )
    if card.get("token"):
        source = from_token_or_test_id(account, str(card["token"]), param="card[token]")
        return copy_as(source, SourceObject.PAYMENT_METHOD)
    test_card = card_number(account, card.get("number"), param="card")
    month, year = expiry(card, param="card")
    return card_row(
        account,
        test_card,
        exp_month=month,
        exp_year=year,
        source_object=SourceObject.PAYMENT_METHOD,
    )


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
    *, account: Account, card: Any, actor: Actor, customer: Customer | None = None
) -> PaymentMethod:
    """The legacy ``card`` parameter of a charge: a card hash, or a token id as a string."""
    if isinstance(card, str):
        return payment_method_resolve(
            account=account, value=card, customer=None, actor=actor, param="card"
        )
    if not isinstance(card, dict):
        raise InvalidRequestError("Invalid hash: card", param="card")
    test_card = card_number(account, card.get("number"), param="card")
    month, year = expiry(card, param="card")
    row = card_row(
        account, test_card, exp_month=month, exp_year=year, source_object=SourceObject.CARD
    )
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
    params: dict[str, Any],
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
        legacy = row.source_object != SourceObject.PAYMENT_METHOD
        card = params.get("card") if not legacy else params
        if row.type == PaymentMethodType.CARD and isinstance(card, dict):
            if card.get("exp_month") not in (None, "") or card.get("exp_year") not in (None, ""):
                month, year = expiry(
                    {
                        "exp_month": card.get("exp_month") or row.exp_month,
                        "exp_year": card.get("exp_year") or row.exp_year,
                    },
                    param="card",
                )
                row.exp_month, row.exp_year = month, year
        if "billing_details" in params:
            row.billing_details = {
                **row.billing_details,
                **billing_details(params["billing_details"]),
            }
        if legacy:
            address = dict(row.billing_details.get("address") or {})
            for name, key in LEGACY_CARD_ADDRESS.items():
                if name in params:
                    address[key] = str(params[name] or "")
            if address:
                row.billing_details = {**row.billing_details, "address": address}
            if "name" in params:
                row.billing_details = {**row.billing_details, "name": str(params["name"] or "")}
        row.metadata = metadata_merge(row.metadata, get_metadata(params))
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


def customer_card_add(
    *,
    account: Account,
    customer: Customer,
    number: str,
    exp_month: Any,
    exp_year: Any,
    actor: Actor,
) -> PaymentMethod:
    """A card typed in by staff (a test number in test mode), attached to the customer at once.

    Checks everything, decline cards included, before anything is written."""
    test_card = card_number(account, number, param="card")
    month, year = expiry({"exp_month": exp_month, "exp_year": exp_year}, param="card")
    row = card_row(
        account,
        test_card,
        exp_month=month,
        exp_year=year,
        source_object=SourceObject.PAYMENT_METHOD,
    )
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
