"""Stripe's wire parameters of payment methods, tokens and sources, parsed into the typed
requests the services take (``apps.customers.services.payment_methods.requests``)."""

from typing import Any

from apps.core.api.params import get_metadata, get_str
from apps.core.errors import InvalidRequestError
from apps.customers.enums import PaymentMethodType
from apps.customers.services.payment_methods.inputs import (
    LEGACY_CARD_ADDRESS,
    bank_account_entry,
    billing_details,
    card_entry,
    digits,
)
from apps.customers.services.payment_methods.requests import (
    CardEntry,
    NewPaymentMethod,
    NewSource,
    NewToken,
    PaymentMethodChange,
    UsBankAccount,
)


def _missing(param: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Missing required param: {param}.", param=param, code="parameter_missing"
    )


def _hash(params: dict[str, Any], name: str) -> dict[str, Any]:
    value = params.get(name) or {}
    if not isinstance(value, dict):
        raise InvalidRequestError(f"Invalid hash: {name}", param=name)
    return value


def payment_method_create_parse(params: dict[str, Any]) -> NewPaymentMethod:
    """``POST /v1/payment_methods``."""
    kind = get_str(params, "type", required=True, choices=list(PaymentMethodType.values))
    common = {
        "type": kind,
        "billing_details": billing_details(params.get("billing_details")),
        "metadata": get_metadata(params) or {},
    }
    if kind == PaymentMethodType.CARD:
        card = params.get("card")
        if not isinstance(card, dict):
            raise _missing("card")
        if card.get("token"):
            return NewPaymentMethod(**common, card_token=str(card["token"]))
        return NewPaymentMethod(**common, card=card_entry(card, param="card"))
    if kind == PaymentMethodType.SEPA_DEBIT:
        sepa = params.get("sepa_debit") or {}
        if not isinstance(sepa, dict) or not sepa.get("iban"):
            raise _missing("sepa_debit[iban]")
        return NewPaymentMethod(**common, iban=digits(sepa["iban"], param="sepa_debit[iban]"))
    if kind == PaymentMethodType.US_BANK_ACCOUNT:
        return NewPaymentMethod(**common, bank=_us_bank_account(_hash(params, "us_bank_account")))
    return NewPaymentMethod(**common)


def _us_bank_account(bank: dict[str, Any]) -> UsBankAccount:
    for name in ("account_number", "routing_number"):
        if not bank.get(name):
            raise _missing(f"us_bank_account[{name}]")
    return UsBankAccount(
        account_number=digits(bank["account_number"], param="us_bank_account[account_number]"),
        routing_number=digits(bank["routing_number"], param="us_bank_account[routing_number]"),
        holder_type=str(bank.get("account_holder_type") or "individual"),
        account_type=str(bank.get("account_type") or "checking"),
    )


def payment_method_update_parse(params: dict[str, Any]) -> PaymentMethodChange:
    """``POST /v1/payment_methods/:id``: ``card[exp_month]``, ``card[exp_year]``,
    ``billing_details`` and ``metadata``."""
    card = params.get("card") if isinstance(params.get("card"), dict) else {}
    return PaymentMethodChange(
        exp_month=_text(card.get("exp_month")),
        exp_year=_text(card.get("exp_year")),
        billing_details=(
            billing_details(params["billing_details"]) if "billing_details" in params else None
        ),
        metadata=get_metadata(params),
    )


def source_update_parse(params: dict[str, Any]) -> PaymentMethodChange:
    """``POST /v1/customers/:id/sources/:id``, a legacy card's fields at the top level:
    ``exp_month``, ``exp_year``, ``name``, ``address_city`` …, a ``src_…``'s ``owner`` and
    ``metadata``."""
    owner = params.get("owner")
    return PaymentMethodChange(
        exp_month=_text(params.get("exp_month")),
        exp_year=_text(params.get("exp_year")),
        billing_details=billing_details(owner, param="owner") if isinstance(owner, dict) else None,
        name=str(params["name"] or "") if "name" in params else None,
        address={
            key: str(params[name] or "")
            for name, key in LEGACY_CARD_ADDRESS.items()
            if name in params
        },
        metadata=get_metadata(params),
    )


def reusable_source_update_parse(params: dict[str, Any]) -> PaymentMethodChange:
    """``POST /v1/sources/:id``: the ``owner`` (its billing details) and ``metadata``."""
    owner = params.get("owner")
    return PaymentMethodChange(
        billing_details=billing_details(owner, param="owner") if isinstance(owner, dict) else None,
        metadata=get_metadata(params),
    )


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def token_create_parse(params: dict[str, Any]) -> NewToken:
    """``POST /v1/tokens``: ``card[…]`` (with the holder's ``name`` and ``address_*``) or
    ``bank_account[…]``."""
    card, bank = params.get("card"), params.get("bank_account")
    if isinstance(card, dict):
        return NewToken(card=card_entry(card, param="card"))
    if isinstance(bank, dict):
        return NewToken(bank_account=bank_account_entry(bank, param="bank_account"))
    raise InvalidRequestError(
        "You must supply either a card or a bank_account to create a token.",
        param="card",
        code="parameter_missing",
    )


def source_create_parse(params: dict[str, Any]) -> NewSource:
    """``POST /v1/sources`` of type sepa_debit (``sepa_debit[iban]``, ``owner[name]``), paypal
    (``owner[email]``) or card (``token``)."""
    kind = get_str(params, "type", required=True, choices=["card", "sepa_debit", "paypal"])
    owner = _hash(params, "owner")
    metadata = get_metadata(params) or {}
    if kind == "sepa_debit":
        sepa = params.get("sepa_debit") or {}
        if not isinstance(sepa, dict) or not sepa.get("iban"):
            raise _missing("sepa_debit[iban]")
        if not owner.get("name"):
            raise _missing("owner[name]")
        iban = digits(sepa["iban"], param="sepa_debit[iban]")
        return NewSource(type=kind, owner=owner, metadata=metadata, iban=iban)
    if kind == "card" and not params.get("token"):
        raise _missing("token")
    token = str(params["token"]) if kind == "card" else None
    return NewSource(type=kind, owner=owner, metadata=metadata, token=token)


def charge_card_parse(card: Any) -> str | CardEntry:
    """The legacy ``card`` parameter of a charge: a token id, or a card hash."""
    if isinstance(card, str):
        return card
    if not isinstance(card, dict):
        raise InvalidRequestError("Invalid hash: card", param="card")
    return card_entry(card, param="card")
