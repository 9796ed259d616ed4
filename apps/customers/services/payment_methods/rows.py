"""Building payment-method rows (not yet saved) from what a payer sends, from a named test
token or test PaymentMethod id, or from a token made earlier; the test behaviour of a row."""

from typing import Any

from apps.accounts.models import Account
from apps.core import clock
from apps.core.errors import CardError, InvalidRequestError, ResourceMissingError
from apps.core.ids import new_id
from apps.customers import testcards
from apps.customers.enums import PaymentMethodType, SourceObject
from apps.customers.models import PaymentMethod
from apps.customers.services.payment_methods.inputs import card_test, digits, fingerprint
from apps.customers.services.payment_methods.requests import BankAccountEntry, CardEntry

ID_PREFIX = {
    SourceObject.PAYMENT_METHOD: "pm",
    SourceObject.CARD: "card",
    SourceObject.BANK_ACCOUNT: "ba",
    SourceObject.SOURCE: "src",
}
# How many years ahead the named test cards (``tok_visa``, ``pm_card_visa`` …) expire.
TEST_CARD_YEARS = 5


def _row(account: Account, source_object: str, **fields: Any) -> PaymentMethod:
    return PaymentMethod(
        id=new_id(ID_PREFIX[source_object]),
        account=account,
        source_object=source_object,
        livemode=account.livemode,
        created_at=clock.now(),
        **fields,
    )


def card_row(
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


def entry_card_row(
    account: Account,
    entry: CardEntry,
    *,
    source_object: str,
    param: str,
) -> PaymentMethod:
    """The row of a card typed in or sent (``CardEntry``): the test card it is, in test mode,
    shown with the cardholder's details the entry carries."""
    return card_row(
        account,
        card_test(account, entry.number, param=param),
        exp_month=entry.exp_month,
        exp_year=entry.exp_year,
        source_object=source_object,
        billing_details=entry.billing_details,
    )


def _test_card_row(account: Account, number: str, source_object: str) -> PaymentMethod:
    """A row for a named test token/PaymentMethod. It expires in this month five years ahead, so
    a test clock can run years of renewals before the test processor declines it as expired;
    the card updater's test cards (``tok_reissued``, ``tok_closedByIssuer``) expire at the end
    of this month, so the updater acts on them at the next clock advance or daily run."""
    card = testcards.CARDS[number]
    today = clock.now()
    updater = testcards.SCENARIOS[card.scenario].card_update
    return card_row(
        account,
        card,
        exp_month=today.month,
        exp_year=today.year if updater else today.year + TEST_CARD_YEARS,
        source_object=source_object,
    )


def us_bank_row(
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


def sepa_row(account: Account, iban: Any, *, source_object: str, param: str) -> PaymentMethod:
    iban = digits(iban, param=param).upper()
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


def wallet_row(account: Account, email: Any, *, source_object: str, param: str) -> PaymentMethod:
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


def payment_method_scenario(payment_method: PaymentMethod) -> testcards.Scenario:
    return testcards.SCENARIOS[payment_method.test_scenario or "succeed"]


def refuse_unattachable(payment_method: PaymentMethod) -> None:
    scenario = payment_method_scenario(payment_method)
    if not scenario.attachable:
        raise CardError(
            testcards.decline_message(scenario.decline_code),
            code=scenario.error_code,
            param="" if scenario.error_code == "card_declined" else None,
            extra={"decline_code": scenario.decline_code},
        )


def copy_as(source: PaymentMethod, source_object: str) -> PaymentMethod:
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


def from_token_or_test_id(account: Account, value: str, *, param: str) -> PaymentMethod:
    """An unsaved row for a named test token / PaymentMethod, or the saved row of a token."""
    if value in testcards.TOKENS:
        return _test_card_row(account, testcards.TOKENS[value], SourceObject.CARD)
    if value in testcards.PAYMENT_METHODS:
        return _test_card_row(
            account, testcards.PAYMENT_METHODS[value], SourceObject.PAYMENT_METHOD
        )
    if value in testcards.BANK_TOKENS:
        return us_bank_row(
            account,
            account_number=testcards.BANK_TOKENS[value],
            routing_number=testcards.US_TEST_ROUTING_NUMBER,
            source_object=SourceObject.BANK_ACCOUNT,
        )
    if value in testcards.BANK_PAYMENT_METHODS:
        kind, number = testcards.BANK_PAYMENT_METHODS[value]
        if kind == PaymentMethodType.SEPA_DEBIT:
            row = sepa_row(account, number, source_object=SourceObject.PAYMENT_METHOD, param=param)
            row.billing_details = {"name": "Jenny Rosen"}
            return row
        return us_bank_row(
            account,
            account_number=number,
            routing_number=testcards.US_TEST_ROUTING_NUMBER,
            source_object=SourceObject.PAYMENT_METHOD,
        )
    if value in testcards.WALLET_PAYMENT_METHODS:
        return wallet_row(
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


def bank_account_row(account: Account, bank: BankAccountEntry, *, param: str) -> PaymentMethod:
    """The row of a legacy bank account: outside the US its account number is an IBAN."""
    if bank.country != "US":
        row = sepa_row(
            account,
            bank.account_number,
            source_object=SourceObject.BANK_ACCOUNT,
            param=f"{param}[account_number]",
        )
        row.details["account_holder_name"] = bank.holder_name
        return row
    return us_bank_row(
        account,
        account_number=bank.account_number,
        routing_number=bank.routing_number,
        holder_name=bank.holder_name,
        holder_type=bank.holder_type,
        source_object=SourceObject.BANK_ACCOUNT,
    )


def is_test_payment_method(value: str) -> bool:
    """A test PaymentMethod id such as ``pm_card_visa``: each use makes a fresh row."""
    return (
        value in testcards.PAYMENT_METHODS
        or value in testcards.BANK_PAYMENT_METHODS
        or value in testcards.WALLET_PAYMENT_METHODS
    )
