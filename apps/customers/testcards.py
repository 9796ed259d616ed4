"""Stripe's test card numbers, tokens and PaymentMethod ids, and what each one does.

Pure data (no ORM). Tokenization (``apps.customers``) reads the card details and whether the card
may be attached; the test processor (``apps.payments``) reads the outcome of a charge. A payment
method keeps only the scenario's key (``PaymentMethod.test_scenario``), never the number.
Source: ../shared/reference/stripe-semantics.md §11.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    # What a charge does: "succeed", "decline" (card_error), "block" (Radar blocks it as
    # fraud), "authenticate" (PaymentIntent goes to requires_action first).
    outcome: str = "succeed"
    # For declines: the error code and decline_code of the card_error.
    error_code: str = ""
    decline_code: str = ""
    # Whether the card can be attached to a customer (the decline cards cannot).
    attachable: bool = True
    # Set after a successful charge: the dispute reason the charge will receive ("fraudulent",
    # "product_not_received", …), or "" for none.
    dispute_reason: str = ""
    # Charges land in the available balance at once instead of pending.
    bypass_pending: bool = False
    # Radar's risk level for charges of this card: "normal", "elevated", "highest".
    risk_level: str = "normal"
    # 3-D Secure: "" (not required), "required" (every on-session charge),
    # "required_unless_setup" (off-session after setup succeeds).
    three_d_secure: str = ""
    # What the card updater (apps.collections.card_updater) learns of the card once the clock
    # reaches the first day of its expiry month: "reissue" (same number, new expiry) or "close"
    # (the issuer closed the account: later charges are declined with ``invalid_account``).
    card_update: str = ""


def _decline(code: str, decline: str) -> Scenario:
    return Scenario(outcome="decline", error_code=code, decline_code=decline, attachable=False)


SCENARIOS: dict[str, Scenario] = {
    "succeed": Scenario(),
    "decline_generic": _decline("card_declined", "generic_decline"),
    "decline_insufficient_funds": _decline("card_declined", "insufficient_funds"),
    "decline_lost_card": _decline("card_declined", "lost_card"),
    "decline_stolen_card": _decline("card_declined", "stolen_card"),
    "decline_expired_card": _decline("expired_card", "expired_card"),
    "decline_incorrect_cvc": _decline("incorrect_cvc", "incorrect_cvc"),
    "decline_processing_error": _decline("processing_error", "processing_error"),
    "decline_velocity": _decline("card_declined", "card_velocity_exceeded"),
    # Attaches fine; every later charge is declined.
    "charge_customer_fail": Scenario(
        outcome="decline", error_code="card_declined", decline_code="generic_decline"
    ),
    "radar_block": Scenario(outcome="block", risk_level="highest", attachable=True),
    "risk_highest": Scenario(risk_level="highest"),
    "risk_elevated": Scenario(risk_level="elevated"),
    "dispute_fraudulent": Scenario(dispute_reason="fraudulent"),
    "dispute_product_not_received": Scenario(dispute_reason="product_not_received"),
    "dispute_inquiry": Scenario(dispute_reason="inquiry"),
    "bypass_pending": Scenario(bypass_pending=True),
    "three_d_secure_required": Scenario(outcome="authenticate", three_d_secure="required"),
    "three_d_secure_unless_setup": Scenario(
        outcome="authenticate", three_d_secure="required_unless_setup"
    ),
    # Attach and charge fine until the card updater acts (Ledgerline's own test numbers).
    "card_reissued": Scenario(card_update="reissue"),
    "card_closed": Scenario(card_update="close"),
}


@dataclass(frozen=True)
class TestCard:
    number: str
    brand: str
    scenario: str = "succeed"
    funding: str = "credit"
    country: str = "US"


_CARDS = [
    TestCard("4242424242424242", "visa"),
    TestCard("4000056655665556", "visa", funding="debit"),
    TestCard("5555555555554444", "mastercard"),
    TestCard("378282246310005", "amex"),
    TestCard("6011111111111117", "discover"),
    TestCard("3566002020360505", "jcb", country="JP"),
    TestCard("6200000000000005", "unionpay", country="CN"),
    TestCard("4000000000000002", "visa", "decline_generic"),
    TestCard("4000000000009995", "visa", "decline_insufficient_funds"),
    TestCard("4000000000009987", "visa", "decline_lost_card"),
    TestCard("4000000000009979", "visa", "decline_stolen_card"),
    TestCard("4000000000000069", "visa", "decline_expired_card"),
    TestCard("4000000000000127", "visa", "decline_incorrect_cvc"),
    TestCard("4000000000000119", "visa", "decline_processing_error"),
    TestCard("4000000000006975", "visa", "decline_velocity"),
    TestCard("4000000000000341", "visa", "charge_customer_fail"),
    TestCard("4100000000000019", "visa", "radar_block"),
    TestCard("4000000000004954", "visa", "risk_highest"),
    TestCard("4000000000009235", "visa", "risk_elevated"),
    TestCard("4000000000000259", "visa", "dispute_fraudulent"),
    TestCard("4000000000002685", "visa", "dispute_product_not_received"),
    TestCard("4000000000001976", "visa", "dispute_inquiry"),
    TestCard("4000000000000077", "visa", "bypass_pending"),
    TestCard("4000002760003184", "visa", "three_d_secure_required"),
    TestCard("4000002500003155", "visa", "three_d_secure_unless_setup"),
    TestCard("4000000000008815", "visa", "card_reissued"),
    TestCard("4000000000008823", "visa", "card_closed"),
]
CARDS: dict[str, TestCard] = {card.number: card for card in _CARDS}

# Tokens (for ``source=``) and PaymentMethod ids (for ``payment_method=``) → test number.
TOKENS: dict[str, str] = {
    "tok_visa": "4242424242424242",
    "tok_visa_debit": "4000056655665556",
    "tok_mastercard": "5555555555554444",
    "tok_amex": "378282246310005",
    "tok_discover": "6011111111111117",
    "tok_jcb": "3566002020360505",
    "tok_unionpay": "6200000000000005",
    "tok_chargeDeclined": "4000000000000002",
    "tok_chargeDeclinedInsufficientFunds": "4000000000009995",
    "tok_chargeDeclinedLostCard": "4000000000009987",
    "tok_chargeDeclinedStolenCard": "4000000000009979",
    "tok_chargeDeclinedExpiredCard": "4000000000000069",
    "tok_chargeDeclinedIncorrectCvc": "4000000000000127",
    "tok_chargeDeclinedProcessingError": "4000000000000119",
    "tok_chargeDeclinedVelocityLimitExceeded": "4000000000006975",
    "tok_chargeCustomerFail": "4000000000000341",
    "tok_radarBlock": "4100000000000019",
    "tok_riskLevelHighest": "4000000000004954",
    "tok_riskLevelElevated": "4000000000009235",
    "tok_createDispute": "4000000000000259",
    "tok_createDisputeProductNotReceived": "4000000000002685",
    "tok_createDisputeInquiry": "4000000000001976",
    "tok_bypassPending": "4000000000000077",
    "tok_threeDSecure2Required": "4000002760003184",
    "tok_reissued": "4000000000008815",
    "tok_closedByIssuer": "4000000000008823",
}
PAYMENT_METHODS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_discover": "6011111111111117",
    "pm_card_jcb": "3566002020360505",
    "pm_card_unionpay": "6200000000000005",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_visa_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_visa_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_visa_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_visa_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_visa_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_visa_chargeDeclinedVelocityLimitExceeded": "4000000000006975",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_radarBlock": "4100000000000019",
    "pm_card_riskLevelHighest": "4000000000004954",
    "pm_card_riskLevelElevated": "4000000000009235",
    "pm_card_createDispute": "4000000000000259",
    "pm_card_createDisputeProductNotReceived": "4000000000002685",
    "pm_card_createDisputeInquiry": "4000000000001976",
    "pm_card_bypassPending": "4000000000000077",
    "pm_card_threeDSecure2Required": "4000002760003184",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_reissued": "4000000000008815",
    "pm_card_closedByIssuer": "4000000000008823",
}

# Bank debits by account number / IBAN → scenario.
US_BANK_ACCOUNTS: dict[str, str] = {
    "000123456789": "succeed",
    "000111111116": "decline_generic",
    "000222222227": "decline_insufficient_funds",
    "000555555559": "dispute_fraudulent",
}
SEPA_IBANS: dict[str, str] = {
    "DE89370400440532013000": "succeed",
    "DE62370400440532013001": "decline_generic",
    "DE35370400440532013002": "dispute_fraudulent",
}
# Wallet test payers by email → scenario; any other email succeeds.
WALLET_EMAILS: dict[str, str] = {
    "decline@example.com": "decline_generic",
    "insufficient@example.com": "decline_insufficient_funds",
}


def luhn_valid(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) != len(number) or not 12 <= len(digits) <= 19:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def card_brand(number: str) -> str:
    """The brand of any card number by its prefix (for numbers outside the table)."""
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number.startswith("6011") or number.startswith("65"):
        return "discover"
    if "3528" <= number[:4] <= "3589":
        return "jcb"
    if number.startswith("62"):
        return "unionpay"
    if number[:2] in {"36", "38", "30"}:
        return "diners"
    return "unknown"


# Bank account tokens (``source=btok_…`` on a customer) → US test account number.
BANK_TOKENS: dict[str, str] = {
    "btok_us_verified": "000123456789",
    "btok_us_verified_noAccount": "000111111116",
    "btok_us_verified_insufficientFunds": "000222222227",
    "btok_us_verified_dispute": "000555555559",
}
US_TEST_ROUTING_NUMBER = "110000000"
# Test PaymentMethod ids for bank debits → (type, account number or IBAN).
BANK_PAYMENT_METHODS: dict[str, tuple[str, str]] = {
    "pm_usBankAccount_success": ("us_bank_account", "000123456789"),
    "pm_usBankAccount_noAccount": ("us_bank_account", "000111111116"),
    "pm_usBankAccount_insufficientFunds": ("us_bank_account", "000222222227"),
    "pm_success_de": ("sepa_debit", "DE89370400440532013000"),
    "pm_failure_de": ("sepa_debit", "DE62370400440532013001"),
}
# A test PaymentMethod for the wallet: the payer's email decides the outcome (WALLET_EMAILS).
WALLET_PAYMENT_METHODS: dict[str, str] = {
    "pm_paypal": "payer@example.com",
    "pm_paypal_declined": "decline@example.com",
}


_DECLINE_MESSAGES = {
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
    "fraudulent": "Your card was declined.",
}


def decline_message(decline_code: str) -> str:
    """The customer-facing message of a decline, as Stripe words it."""
    return _DECLINE_MESSAGES.get(decline_code, "Your card was declined.")
