"""Payment methods and legacy sources: tokenization, attach, detach, update.

One ``PaymentMethod`` row backs every way to pay (card, SEPA debit, US bank account, wallet),
whether the API created it as a PaymentMethod (``pm_…``) or as a legacy source (``card_…``,
``ba_…``, ``src_…``); ``source_object`` only decides how it is rendered. Full card and account
numbers never reach the database: a row keeps brand, last4, expiry, a per-account fingerprint
and, in test mode, the behaviour of the test number (``test_scenario``).

A token created through ``/v1/tokens`` is not a row of its own: ``tok_<x>`` names the card row
``card_<x>`` that was made for it, and ``details["token_used"]`` marks it spent.
"""

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.db import transaction

from apps.accounts.audit import audit_record, changes_between
from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import Actor
from apps.core.errors import CardError, InvalidRequestError, ResourceMissingError
from apps.core.events import event_record
from apps.core.ids import client_secret_new, new_id
from apps.customers import testcards
from apps.customers.enums import PaymentMethodType, SourceObject
from apps.customers.models import Customer, PaymentMethod
from apps.customers.payment_method_render import payment_method_render

ID_PREFIX = {
    SourceObject.PAYMENT_METHOD: "pm",
    SourceObject.CARD: "card",
    SourceObject.BANK_ACCOUNT: "ba",
    SourceObject.SOURCE: "src",
}
# How many years ahead the named test cards (``tok_visa``, ``pm_card_visa`` …) expire.
TEST_CARD_YEARS = 5
_BILLING_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")
_BILLING_KEYS = ("email", "name", "phone")
# Editable fields of a legacy card (``POST /v1/customers/:id/sources/:id``) → billing keys.
LEGACY_CARD_ADDRESS = {
    "address_city": "city",
    "address_country": "country",
    "address_line1": "line1",
    "address_line2": "line2",
    "address_state": "state",
    "address_zip": "postal_code",
}


# --- Reading what a payer sends ------------------------------------------------------------------


def fingerprint(account: Account, value: str) -> str:
    """Same number → same fingerprint within one account; unrelated across accounts."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{account.id}:{value}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:16]


def _digits(value: Any, *, param: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidRequestError(f"Invalid string: {param}", param=param)
    return value.replace(" ", "").replace("-", "")


def _expiry(card: dict[str, Any], *, param: str) -> tuple[int, int]:
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


def _card_number(account: Account, raw: Any, *, param: str) -> testcards.TestCard:
    number = _digits(raw, param=f"{param}[number]")
    if not number:
        raise InvalidRequestError(
            f"Missing required param: {param}[number].",
            param=f"{param}[number]",
            code="parameter_missing",
        )
    if not testcards.luhn_valid(number):
        raise CardError("Your card number is incorrect.", code="incorrect_number", param="number")
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


def _billing_details(raw: Any, *, param: str = "billing_details") -> dict[str, Any]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise InvalidRequestError(f"Invalid hash: {param}", param=param)
    unknown = set(raw) - set(_BILLING_KEYS) - {"address"}
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidRequestError(
            f"Received unknown parameter: {param}[{name}]", param=f"{param}[{name}]"
        )
    details: dict[str, Any] = {}
    for key in _BILLING_KEYS:
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


# --- Building rows (not yet saved) ---------------------------------------------------------------


def _row(account: Account, source_object: str, **fields: Any) -> PaymentMethod:
    return PaymentMethod(
        id=new_id(ID_PREFIX[source_object]),
        account=account,
        source_object=source_object,
        livemode=account.livemode,
        created_at=clock.now(),
        **fields,
    )


def _card_row(
    account: Account,
    card: testcards.TestCard,
    *,
    exp_month: int,
    exp_year: int,
    source_object: str,
    billing_details: dict[str, Any] | None = None,
    metadata: dict[str, str] | None = None,
) -> PaymentMethod:
    return _row(
        account,
        source_object,
        type=PaymentMethodType.CARD,
        brand=card.brand,
        funding=card.funding,
        country=card.country,
        last4=card.number[-4:],
        exp_month=exp_month,
        exp_year=exp_year,
        fingerprint=fingerprint(account, card.number),
        test_scenario=card.scenario,
        billing_details=billing_details or {},
        metadata=metadata or {},
    )


def _test_card_row(account: Account, number: str, source_object: str) -> PaymentMethod:
    """A row for a named test token/PaymentMethod. It expires in this month five years ahead, so
    a test clock can run years of renewals before the test processor declines it as expired;
    the card updater's test cards (``tok_reissued``, ``tok_closedByIssuer``) expire at the end
    of this month, so the updater acts on them at the next clock advance or daily run."""
    card = testcards.CARDS[number]
    today = clock.now()
    updater = testcards.SCENARIOS[card.scenario].card_update
    return _card_row(
        account,
        card,
        exp_month=today.month,
        exp_year=today.year if updater else today.year + TEST_CARD_YEARS,
        source_object=source_object,
    )


def _us_bank_row(
    account: Account,
    *,
    account_number: str,
    routing_number: str,
    source_object: str,
    holder_name: str = "",
    holder_type: str = "individual",
    account_type: str = "checking",
) -> PaymentMethod:
    if not account_number.isdigit() or not 4 <= len(account_number) <= 17:
        raise InvalidRequestError(
            "Invalid account number: use 4 to 17 digits.", param="account_number"
        )
    if not routing_number.isdigit() or len(routing_number) != 9:
        raise InvalidRequestError(
            "Routing number must have 9 digits.",
            param="routing_number",
            code="routing_number_invalid",
        )
    scenario = testcards.US_BANK_ACCOUNTS.get(account_number, "succeed")
    if account.livemode:
        scenario = ""
    return _row(
        account,
        source_object,
        type=PaymentMethodType.US_BANK_ACCOUNT,
        bank_name="STRIPE TEST BANK" if not account.livemode else "",
        country="US",
        last4=account_number[-4:],
        fingerprint=fingerprint(account, f"{routing_number}:{account_number}"),
        test_scenario=scenario,
        details={
            "routing_number": routing_number,
            "account_holder_type": holder_type,
            "account_type": account_type,
            "account_holder_name": holder_name,
            "currency": "usd",
        },
    )


def _sepa_row(account: Account, iban: Any, *, source_object: str, param: str) -> PaymentMethod:
    iban = _digits(iban, param=param).upper()
    if not (15 <= len(iban) <= 34 and iban[:2].isalpha() and iban[2:].isalnum()):
        raise InvalidRequestError(
            "The IBAN you provided is invalid.", param=param, code="invalid_iban"
        )
    rearranged = iban[4:] + iban[:4]
    if int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 != 1:
        raise InvalidRequestError(
            "The IBAN you provided is invalid.", param=param, code="invalid_iban"
        )
    scenario = "" if account.livemode else testcards.SEPA_IBANS.get(iban, "succeed")
    return _row(
        account,
        source_object,
        type=PaymentMethodType.SEPA_DEBIT,
        country=iban[:2],
        last4=iban[-4:],
        fingerprint=fingerprint(account, iban),
        test_scenario=scenario,
        details={"bank_code": iban[4:12], "branch_code": "", "mandate_reference": ""},
    )


def _wallet_row(account: Account, email: Any, *, source_object: str, param: str) -> PaymentMethod:
    if not isinstance(email, str) or "@" not in email or len(email) > 512:
        raise InvalidRequestError(
            "A wallet payment method needs the payer's email address.", param=param
        )
    email = email.strip().lower()
    scenario = "" if account.livemode else testcards.WALLET_EMAILS.get(email, "succeed")
    return _row(
        account,
        source_object,
        type=PaymentMethodType.PAYPAL,
        fingerprint=fingerprint(account, email),
        test_scenario=scenario,
        details={
            "payer_email": email,
            "payer_id": fingerprint(account, f"payer:{email}")[:13].upper(),
        },
        billing_details={"email": email},
    )


# --- Events ---------------------------------------------------------------------------------------


def _event_prefix(payment_method: PaymentMethod) -> str:
    legacy = payment_method.source_object != SourceObject.PAYMENT_METHOD
    return "customer.source" if legacy else "payment_method"


def _record(
    payment_method: PaymentMethod,
    *,
    action: str,
    actor: Actor,
    event_type: str,
    previous: dict[str, Any] | None = None,
    changes: dict[str, list[Any]] | None = None,
) -> None:
    audit_record(
        account=payment_method.account,
        actor=actor,
        action=action,
        object_type="payment_method",
        object_id=payment_method.id,
        changes=changes,
    )
    event_record(
        account=payment_method.account,
        type=event_type,
        data_object=payment_method_render(payment_method),
        previous_attributes=previous,
        actor=actor,
    )


def _customer_defaults_changed(customer: Customer, before: dict[str, Any], *, actor: Actor) -> None:
    """``customer.updated`` when attaching or detaching moved the customer's defaults."""
    from apps.customers.render import customer_render

    after = {
        "default_source": customer.default_source_id,
        "default_payment_method": customer.default_payment_method_id,
    }
    if after == before:
        return
    customer.save(update_fields=["default_source", "default_payment_method", "updated_at"])
    previous: dict[str, Any] = {}
    if before["default_source"] != after["default_source"]:
        previous["default_source"] = before["default_source"]
    if before["default_payment_method"] != after["default_payment_method"]:
        previous["invoice_settings"] = {"default_payment_method": before["default_payment_method"]}
    audit_record(
        account=customer.account,
        actor=actor,
        action="customer.updated",
        object_type="customer",
        object_id=customer.id,
        changes=changes_between(before, after),
    )
    event_record(
        account=customer.account,
        type="customer.updated",
        data_object=customer_render(customer),
        previous_attributes=previous,
        actor=actor,
    )


# --- Public services ------------------------------------------------------------------------------


def payment_method_scenario(payment_method: PaymentMethod) -> testcards.Scenario:
    return testcards.SCENARIOS[payment_method.test_scenario or "succeed"]


def _refuse_unattachable(payment_method: PaymentMethod) -> None:
    scenario = payment_method_scenario(payment_method)
    if not scenario.attachable:
        raise CardError(
            testcards.decline_message(scenario.decline_code),
            code=scenario.error_code,
            param="" if scenario.error_code == "card_declined" else None,
            extra={"decline_code": scenario.decline_code},
        )


def payment_method_create(
    *, account: Account, params: dict[str, Any], actor: Actor
) -> PaymentMethod:
    """``POST /v1/payment_methods``: a new, unattached payment method of any type."""
    from apps.core.api.params import get_metadata, get_str

    kind = get_str(params, "type", required=True, choices=list(PaymentMethodType.values))
    billing = _billing_details(params.get("billing_details"))
    if kind == PaymentMethodType.CARD:
        card = params.get("card")
        if not isinstance(card, dict):
            raise InvalidRequestError(
                "Missing required param: card.", param="card", code="parameter_missing"
            )
        if card.get("token"):
            source = _from_token_or_test_id(account, str(card["token"]), param="card[token]")
            row = _copy_as(source, SourceObject.PAYMENT_METHOD)
        else:
            test_card = _card_number(account, card.get("number"), param="card")
            month, year = _expiry(card, param="card")
            row = _card_row(
                account,
                test_card,
                exp_month=month,
                exp_year=year,
                source_object=SourceObject.PAYMENT_METHOD,
            )
    elif kind == PaymentMethodType.SEPA_DEBIT:
        sepa = params.get("sepa_debit") or {}
        if not isinstance(sepa, dict) or not sepa.get("iban"):
            raise InvalidRequestError(
                "Missing required param: sepa_debit[iban].",
                param="sepa_debit[iban]",
                code="parameter_missing",
            )
        row = _sepa_row(
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
        row = _us_bank_row(
            account,
            account_number=_digits(bank["account_number"], param="us_bank_account[account_number]"),
            routing_number=_digits(bank["routing_number"], param="us_bank_account[routing_number]"),
            holder_type=str(bank.get("account_holder_type") or "individual"),
            account_type=str(bank.get("account_type") or "checking"),
            holder_name=billing.get("name", ""),
            source_object=SourceObject.PAYMENT_METHOD,
        )
    else:
        row = _wallet_row(
            account,
            billing.get("email"),
            source_object=SourceObject.PAYMENT_METHOD,
            param="billing_details[email]",
        )
    row.billing_details = {**row.billing_details, **billing}
    row.metadata = get_metadata(params) or {}
    with transaction.atomic():
        row.save(force_insert=True)
        _record(
            row, action="payment_method.created", actor=actor, event_type="payment_method.created"
        )
    return row


def _copy_as(source: PaymentMethod, source_object: str) -> PaymentMethod:
    """A fresh row with the same instrument (a token or test id used to make a PaymentMethod)."""
    copy = _row(
        source.account,
        source_object,
        type=source.type,
        brand=source.brand,
        funding=source.funding,
        bank_name=source.bank_name,
        country=source.country,
        last4=source.last4,
        exp_month=source.exp_month,
        exp_year=source.exp_year,
        fingerprint=source.fingerprint,
        test_scenario=source.test_scenario,
        details={k: v for k, v in source.details.items() if k != "token_used"},
        billing_details=dict(source.billing_details),
    )
    return copy


def _from_token_or_test_id(account: Account, value: str, *, param: str) -> PaymentMethod:
    """An unsaved row for a named test token / PaymentMethod, or the saved row of a token."""
    if value in testcards.TOKENS:
        return _test_card_row(account, testcards.TOKENS[value], SourceObject.CARD)
    if value in testcards.PAYMENT_METHODS:
        return _test_card_row(
            account, testcards.PAYMENT_METHODS[value], SourceObject.PAYMENT_METHOD
        )
    if value in testcards.BANK_TOKENS:
        return _us_bank_row(
            account,
            account_number=testcards.BANK_TOKENS[value],
            routing_number=testcards.US_TEST_ROUTING_NUMBER,
            source_object=SourceObject.BANK_ACCOUNT,
        )
    if value in testcards.BANK_PAYMENT_METHODS:
        kind, number = testcards.BANK_PAYMENT_METHODS[value]
        if kind == PaymentMethodType.SEPA_DEBIT:
            row = _sepa_row(account, number, source_object=SourceObject.PAYMENT_METHOD, param=param)
            row.billing_details = {"name": "Jenny Rosen"}
            return row
        return _us_bank_row(
            account,
            account_number=number,
            routing_number=testcards.US_TEST_ROUTING_NUMBER,
            source_object=SourceObject.PAYMENT_METHOD,
        )
    if value in testcards.WALLET_PAYMENT_METHODS:
        return _wallet_row(
            account,
            testcards.WALLET_PAYMENT_METHODS[value],
            source_object=SourceObject.PAYMENT_METHOD,
            param=param,
        )
    if value.startswith(("tok_", "btok_")):
        return _token_row(account, value, param=param)
    raise ResourceMissingError("token", value, param=param)


def _token_row(account: Account, token: str, *, param: str) -> PaymentMethod:
    prefix = "card" if token.startswith("tok_") else "ba"
    row_id = f"{prefix}_{token.split('_', 1)[1]}"
    row = PaymentMethod.objects.filter(account=account, id=row_id).first()
    if row is None:
        raise ResourceMissingError("token", token, param=param)
    if row.details.get("token_used") or row.customer_id is not None:
        raise InvalidRequestError(
            f"You cannot use a token more than once: {token} was already used.",
            param=param,
            code="token_already_used",
        )
    return row


def token_create(
    *, account: Account, params: dict[str, Any], actor: Actor
) -> tuple[str, PaymentMethod]:
    """``POST /v1/tokens`` for a card or bank account; returns the token id and its row."""
    card, bank = params.get("card"), params.get("bank_account")
    if isinstance(card, dict):
        test_card = _card_number(account, card.get("number"), param="card")
        month, year = _expiry(card, param="card")
        billing = {"name": card["name"]} if card.get("name") else {}
        address = {v: card[k] for k, v in LEGACY_CARD_ADDRESS.items() if card.get(k)}
        if address:
            billing["address"] = address
        row = _card_row(
            account,
            test_card,
            exp_month=month,
            exp_year=year,
            source_object=SourceObject.CARD,
            billing_details=billing,
        )
    elif isinstance(bank, dict):
        row = _bank_account_from_hash(account, bank, param="bank_account")
    else:
        raise InvalidRequestError(
            "You must supply either a card or a bank_account to create a token.",
            param="card",
            code="parameter_missing",
        )
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


def _bank_account_from_hash(account: Account, bank: dict[str, Any], *, param: str) -> PaymentMethod:
    for name in ("account_number", "country"):
        if not bank.get(name):
            raise InvalidRequestError(
                f"Missing required param: {param}[{name}].",
                param=f"{param}[{name}]",
                code="parameter_missing",
            )
    country = str(bank["country"]).upper()
    if country != "US":
        # Outside the US a bank account is an IBAN.
        row = _sepa_row(
            account,
            bank["account_number"],
            source_object=SourceObject.BANK_ACCOUNT,
            param=f"{param}[account_number]",
        )
        row.details["account_holder_name"] = str(bank.get("account_holder_name") or "")
        return row
    return _us_bank_row(
        account,
        account_number=_digits(bank["account_number"], param=f"{param}[account_number]"),
        routing_number=_digits(bank.get("routing_number") or "", param=f"{param}[routing_number]"),
        holder_name=str(bank.get("account_holder_name") or ""),
        holder_type=str(bank.get("account_holder_type") or "individual"),
        source_object=SourceObject.BANK_ACCOUNT,
    )


def source_create(*, account: Account, params: dict[str, Any], actor: Actor) -> PaymentMethod:
    """``POST /v1/sources``: a reusable ``src_…`` of type sepa_debit, paypal (wallet) or card."""
    from apps.core.api.params import get_metadata, get_str

    kind = get_str(params, "type", required=True, choices=["card", "sepa_debit", "paypal"])
    owner = params.get("owner") or {}
    if not isinstance(owner, dict):
        raise InvalidRequestError("Invalid hash: owner", param="owner")
    if kind == "sepa_debit":
        sepa = params.get("sepa_debit") or {}
        if not isinstance(sepa, dict) or not sepa.get("iban"):
            raise InvalidRequestError(
                "Missing required param: sepa_debit[iban].",
                param="sepa_debit[iban]",
                code="parameter_missing",
            )
        if not owner.get("name"):
            raise InvalidRequestError(
                "Missing required param: owner[name].",
                param="owner[name]",
                code="parameter_missing",
            )
        row = _sepa_row(
            account, sepa["iban"], source_object=SourceObject.SOURCE, param="sepa_debit[iban]"
        )
    elif kind == "paypal":
        row = _wallet_row(
            account, owner.get("email"), source_object=SourceObject.SOURCE, param="owner[email]"
        )
    else:
        token = params.get("token")
        if not token:
            raise InvalidRequestError(
                "Missing required param: token.", param="token", code="parameter_missing"
            )
        row = _copy_as(
            _from_token_or_test_id(account, str(token), param="token"), SourceObject.SOURCE
        )
    row.billing_details = {
        **row.billing_details,
        **{k: owner[k] for k in _BILLING_KEYS if owner.get(k)},
    }
    row.metadata = get_metadata(params) or {}
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
        row = _from_token_or_test_id(account, value, param=param)
        with transaction.atomic():
            if row._state.adding:
                row.save(force_insert=True)
            else:
                locked = PaymentMethod.objects.select_for_update().get(pk=row.pk)
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
    test_card = _card_number(account, card.get("number"), param="card")
    month, year = _expiry(card, param="card")
    row = _card_row(
        account, test_card, exp_month=month, exp_year=year, source_object=SourceObject.CARD
    )
    with transaction.atomic():
        row.save(force_insert=True)
    return row


def is_test_payment_method(value: str) -> bool:
    """A test PaymentMethod id such as ``pm_card_visa``: each use makes a fresh row."""
    return (
        value in testcards.PAYMENT_METHODS
        or value in testcards.BANK_PAYMENT_METHODS
        or value in testcards.WALLET_PAYMENT_METHODS
    )


def payment_method_attach(
    *, account: Account, payment_method_id: str, customer: Customer, actor: Actor
) -> PaymentMethod:
    """``POST /v1/payment_methods/:id/attach`` (test ids like ``pm_card_visa`` make a new one)."""
    if is_test_payment_method(payment_method_id):
        row = _from_token_or_test_id(account, payment_method_id, param="payment_method")
        _refuse_unattachable(row)
        row.customer = customer
        with transaction.atomic():
            row.save(force_insert=True)
            _record(
                row,
                action="payment_method.attached",
                actor=actor,
                event_type="payment_method.attached",
            )
        return row
    with transaction.atomic():
        row = (
            PaymentMethod.objects.select_for_update()
            .filter(account=account, id=payment_method_id)
            .first()
        )
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
        _refuse_unattachable(row)
        row.customer = customer
        row.save(update_fields=["customer", "updated_at"])
        _record(
            row, action="payment_method.attached", actor=actor, event_type="payment_method.attached"
        )
    return row


def source_prepare(*, account: Account, source: Any) -> PaymentMethod:
    """The row a ``source`` parameter names, checked but not yet attached: a new row (unsaved)
    for a test token or a card / bank account hash, else the existing token or ``src_…`` row."""
    if isinstance(source, dict):
        if source.get("object") == "card":
            test_card = _card_number(account, source.get("number"), param="source")
            month, year = _expiry(source, param="source")
            row = _card_row(
                account, test_card, exp_month=month, exp_year=year, source_object=SourceObject.CARD
            )
        elif source.get("object") == "bank_account":
            row = _bank_account_from_hash(account, source, param="source")
        else:
            raise InvalidRequestError(
                "Invalid source: source[object] must be card or bank_account.",
                param="source[object]",
            )
    elif isinstance(source, str) and source.startswith("src_"):
        row = PaymentMethod.objects.filter(
            account=account, id=source, source_object=SourceObject.SOURCE
        ).first()
        if row is None:
            raise ResourceMissingError("source", source, param="source")
    elif isinstance(source, str) and source:
        row = _from_token_or_test_id(account, source, param="source")
        if not row._state.adding and row.source_object == SourceObject.PAYMENT_METHOD:
            raise InvalidRequestError(
                "PaymentMethods are attached with POST /v1/payment_methods/:id/attach.",
                param="source",
            )
    else:
        raise InvalidRequestError(
            "Missing required param: source.", param="source", code="parameter_missing"
        )
    _refuse_unattachable(row)
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
    adding = row._state.adding
    if not adding:
        row = PaymentMethod.objects.select_for_update().get(pk=row.pk)
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
    _record(
        row, action="customer.source.created", actor=actor, event_type="customer.source.created"
    )
    return row


def customer_source_add(
    *,
    account: Account,
    customer: Customer,
    source: Any,
    actor: Actor,
    metadata: dict[str, str] | None = None,
) -> PaymentMethod:
    """``POST /v1/customers/:id/sources``: a token, a ``src_…`` or a bank account hash.

    The first source a customer gets becomes its ``default_source``, as with Stripe.
    """
    row = source_prepare(account=account, source=source)
    with transaction.atomic():
        locked_customer = Customer.objects.select_for_update().get(pk=customer.pk)
        locked_customer.account = account
        row = source_attach(customer=locked_customer, row=row, actor=actor, metadata=metadata)
        before = _defaults(locked_customer)
        if locked_customer.default_source_id is None:
            locked_customer.default_source = row
        _customer_defaults_changed(locked_customer, before, actor=actor)
    return row


def _defaults(customer: Customer) -> dict[str, Any]:
    return {
        "default_source": customer.default_source_id,
        "default_payment_method": customer.default_payment_method_id,
    }


def payment_method_detach(
    *, account: Account, payment_method_id: str, actor: Actor, customer: Customer | None = None
) -> PaymentMethod:
    """Detach a payment method, or delete a customer's source (``customer`` given)."""
    with transaction.atomic():
        row = (
            PaymentMethod.objects.select_for_update()
            .filter(account=account, id=payment_method_id)
            .first()
        )
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
        owner = Customer.objects.select_for_update().get(pk=row.customer_id)
        before = _defaults(owner)
        row.customer = None
        row.detached_at = clock.now()
        row.save(update_fields=["customer", "detached_at", "updated_at"])
        legacy = row.source_object != SourceObject.PAYMENT_METHOD
        _record(
            row,
            action="customer.source.deleted" if legacy else "payment_method.detached",
            actor=actor,
            event_type="customer.source.deleted" if legacy else "payment_method.detached",
        )
        if owner.default_source_id == row.id:
            owner.default_source = None
        if owner.default_payment_method_id == row.id:
            owner.default_payment_method = None
        _customer_defaults_changed(owner, before, actor=actor)
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
    from apps.core.api.params import get_metadata, metadata_merge

    with transaction.atomic():
        row = (
            PaymentMethod.objects.select_for_update()
            .filter(account=account, id=payment_method_id)
            .first()
        )
        if row is None or (customer is not None and row.customer_id != customer.id):
            raise ResourceMissingError(
                "source" if customer is not None else "PaymentMethod", payment_method_id, param="id"
            )
        before = payment_method_render(row)
        legacy = row.source_object != SourceObject.PAYMENT_METHOD
        card = params.get("card") if not legacy else params
        if row.type == PaymentMethodType.CARD and isinstance(card, dict):
            if card.get("exp_month") not in (None, "") or card.get("exp_year") not in (None, ""):
                month, year = _expiry(
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
                **_billing_details(params["billing_details"]),
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
            _record(
                row,
                action=f"{_event_prefix(row)}.updated",
                actor=actor,
                event_type=f"{_event_prefix(row)}.updated",
                previous=previous,
                changes={k: [v, after.get(k)] for k, v in previous.items()},
            )
    return row


def bank_account_verify(
    *, account: Account, customer: Customer, bank_account_id: str, amounts: Any, actor: Actor
) -> PaymentMethod:
    """Microdeposit verification of a legacy bank account: test amounts 32 and 45 verify."""
    if not isinstance(amounts, list) or len(amounts) != 2:
        raise InvalidRequestError("Provide two amounts[] to verify.", param="amounts")
    with transaction.atomic():
        row = (
            PaymentMethod.objects.select_for_update()
            .filter(account=account, id=bank_account_id, customer=customer)
            .first()
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
        _record(
            row,
            action="customer.source.updated",
            actor=actor,
            event_type="customer.source.updated",
            previous={"status": before["status"]},
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
    test_card = _card_number(account, number, param="card")
    month, year = _expiry({"exp_month": exp_month, "exp_year": exp_year}, param="card")
    row = _card_row(
        account,
        test_card,
        exp_month=month,
        exp_year=year,
        source_object=SourceObject.PAYMENT_METHOD,
    )
    _refuse_unattachable(row)
    with transaction.atomic():
        row.customer = Customer.objects.select_for_update().get(pk=customer.pk)
        row.save(force_insert=True)
        _record(
            row,
            action="payment_method.attached",
            actor=actor,
            event_type="payment_method.attached",
        )
    return row
