"""What a payer sends: card numbers and expiry, bank numbers, billing details, checked;
fingerprints of the numbers (full numbers never reach the database)."""

import hashlib
import hmac
from typing import Any

from django.conf import settings

from apps.accounts.models import Account
from apps.core import clock
from apps.core.errors import CardError, InvalidRequestError
from apps.customers import testcards
from apps.customers.services.payment_methods.requests import (
    BankAccountEntry,
    CardEntry,
    SourceEntry,
)

_BILLING_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")
BILLING_KEYS = ("email", "name", "phone")
# Editable fields of a legacy card (``POST /v1/customers/:id/sources/:id``) → billing keys.
LEGACY_CARD_ADDRESS = {
    "address_city": "city",
    "address_country": "country",
    "address_line1": "line1",
    "address_line2": "line2",
    "address_state": "state",
    "address_zip": "postal_code",
}


def fingerprint(account: Account, value: str) -> str:
    """Same number → same fingerprint within one account; unrelated across accounts."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{account.id}:{value}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:16]


def digits(value: Any, *, param: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidRequestError(f"Invalid string: {param}", param=param)
    return value.replace(" ", "").replace("-", "")


def expiry(card: dict[str, Any], *, param: str) -> tuple[int, int]:
    def number(name: str) -> int:
        raw = card.get(name)
        if raw in (None, ""):
            raise InvalidRequestError(
                f"Missing required param: {param}[{name}].",
                param=f"{param}[{name}]",
                code="parameter_missing",
            )
        text = str(raw)
        if not text.isdigit():
            raise CardError(
                f"Your card's expiration {name.split('_')[1]} is invalid.",
                code=f"invalid_expiry_{name.split('_')[1]}",
                param=name,
            )
        return int(text)

    month, year = number("exp_month"), number("exp_year")
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise CardError(
            "Your card's expiration month is invalid.",
            code="invalid_expiry_month",
            param="exp_month",
        )
    today = clock.now()
    if year < today.year or year > today.year + 50:
        raise CardError(
            "Your card's expiration year is invalid.", code="invalid_expiry_year", param="exp_year"
        )
    if (year, month) < (today.year, today.month):
        raise CardError(
            "Your card has expired.",
            code="expired_card",
            param="exp_month",
            extra={"decline_code": "expired_card"},
        )
    return month, year


def card_digits(raw: Any, *, param: str) -> str:
    """A card number as sent: digits (spaces and dashes dropped) that pass the Luhn check."""
    number = digits(raw, param=f"{param}[number]")
    if not number:
        raise InvalidRequestError(
            f"Missing required param: {param}[number].",
            param=f"{param}[number]",
            code="parameter_missing",
        )
    if not testcards.luhn_valid(number):
        raise CardError("Your card number is incorrect.", code="incorrect_number", param="number")
    return number


def card_test(account: Account, number: str, *, param: str) -> testcards.TestCard:
    """The test card a checked number is: numbers are refused in live mode (a payment gateway's
    token stands for them there), and in test mode only the test numbers exist."""
    if account.livemode:
        raise InvalidRequestError(
            "Sending card numbers directly is not possible in live mode: collect them with "
            "your payment gateway's tokenization and pass its token.",
            param=f"{param}[number]",
        )
    card = testcards.CARDS.get(number)
    if card is None:
        raise CardError(
            "Your card was declined. Your request was in test mode, but used a non test card. "
            "For a list of valid test cards, see the Ledgerline testing documentation.",
            code="card_declined",
            param="number",
            extra={"decline_code": "live_mode_test_card"},
        )
    return card


def billing_details(raw: Any, *, param: str = "billing_details") -> dict[str, Any]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise InvalidRequestError(f"Invalid hash: {param}", param=param)
    unknown = set(raw) - set(BILLING_KEYS) - {"address"}
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidRequestError(
            f"Received unknown parameter: {param}[{name}]", param=f"{param}[{name}]"
        )
    details: dict[str, Any] = {}
    for key in BILLING_KEYS:
        if raw.get(key) not in (None, ""):
            if not isinstance(raw[key], str) or len(raw[key]) > 500:
                raise InvalidRequestError(f"Invalid {param}[{key}]", param=f"{param}[{key}]")
            details[key] = raw[key]
    address = raw.get("address")
    if address not in (None, ""):
        if not isinstance(address, dict) or set(address) - set(_BILLING_ADDRESS_KEYS):
            raise InvalidRequestError(
                f"Invalid {param}[address]: use {', '.join(_BILLING_ADDRESS_KEYS)}.",
                param=f"{param}[address]",
            )
        details["address"] = {k: address[k] for k in _BILLING_ADDRESS_KEYS if address.get(k)}
    return details


def card_entry(card: dict[str, Any], *, param: str) -> CardEntry:
    """A card hash (``number``, ``exp_month``, ``exp_year``) checked in that order: a number
    that passes the Luhn check, then a real, future expiry month."""
    number = card_digits(card.get("number"), param=param)
    month, year = expiry(card, param=param)
    return CardEntry(
        number=number, exp_month=month, exp_year=year, billing_details=_card_billing(card)
    )


def _card_billing(card: dict[str, Any]) -> dict[str, Any]:
    """The cardholder's name and address a legacy card hash carries (``card[name]``,
    ``source[address_zip]``, …), as the billing details the card is shown with."""
    billing: dict[str, Any] = {"name": str(card["name"])} if card.get("name") else {}
    address = {v: card[k] for k, v in LEGACY_CARD_ADDRESS.items() if card.get(k)}
    if address:
        billing["address"] = address
    return billing


def bank_account_entry(bank: dict[str, Any], *, param: str) -> BankAccountEntry:
    """A legacy bank account hash: ``account_number`` and ``country`` are required."""
    for name in ("account_number", "country"):
        if not bank.get(name):
            raise InvalidRequestError(
                f"Missing required param: {param}[{name}].",
                param=f"{param}[{name}]",
                code="parameter_missing",
            )
    country = str(bank["country"]).upper()
    return BankAccountEntry(
        country=country,
        account_number=digits(bank["account_number"], param=f"{param}[account_number]"),
        routing_number=digits(bank.get("routing_number") or "", param=f"{param}[routing_number]"),
        holder_name=str(bank.get("account_holder_name") or ""),
        holder_type=str(bank.get("account_holder_type") or "individual"),
    )


def source_entry(source: Any) -> SourceEntry:
    """A ``source`` parameter: an id as given, or a ``source[object]=card`` /
    ``bank_account`` hash checked into its entry."""
    if source is None or isinstance(source, str):
        return source or ""
    if not isinstance(source, dict):
        raise InvalidRequestError("Invalid source: an id or a hash.", param="source")
    if source.get("object") == "card":
        return card_entry(source, param="source")
    if source.get("object") == "bank_account":
        return bank_account_entry(source, param="source")
    raise InvalidRequestError(
        "Invalid source: source[object] must be card or bank_account.", param="source[object]"
    )
