"""What the payment-method services are asked to do, as typed values: the API parses Stripe's
wire parameters into these (``apps.customers.api.payment_method_params``), the dashboard builds
them from its forms, and the services never see a wire dict."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CardEntry:
    """A card number and expiry as sent, checked in form: a number that passes the Luhn check
    and a future expiry. Which card it is (a test card, in test mode only) the account decides
    (``rows.entry_card_row``)."""

    number: str
    exp_month: int
    exp_year: int
    # The cardholder's name and address a legacy card hash carries (``card[name]``,
    # ``source[address_zip]`` …), as the billing details the card is shown with.
    billing_details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UsBankAccount:
    account_number: str
    routing_number: str
    holder_type: str = "individual"
    account_type: str = "checking"
    holder_name: str = ""


@dataclass(frozen=True)
class BankAccountEntry:
    """A legacy bank account (``bank_account[…]``): a US account and routing number, or an IBAN
    for any other country."""

    country: str
    account_number: str
    routing_number: str = ""
    holder_name: str = ""
    holder_type: str = "individual"


@dataclass(frozen=True)
class NewPaymentMethod:
    """``POST /v1/payment_methods``: one of ``card`` / ``card_token`` (type card), ``iban``
    (sepa_debit), ``bank`` (us_bank_account); a wallet needs only ``billing_details``."""

    type: str
    billing_details: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    card: CardEntry | None = None
    card_token: str | None = None
    iban: str | None = None
    bank: UsBankAccount | None = None


@dataclass(frozen=True)
class PaymentMethodChange:
    """An update of a payment method or of a legacy source. A field left None is not touched.

    ``exp_month`` / ``exp_year`` as sent (checked against the card's other half, which may be
    the stored one); ``address``: the billing address fields a legacy card sets one by one
    (``address_city`` …), merged into the stored address; ``metadata`` merges as Stripe's does.
    """

    exp_month: str | None = None
    exp_year: str | None = None
    billing_details: dict[str, Any] | None = None
    name: str | None = None
    address: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] | None = None


@dataclass(frozen=True)
class NewToken:
    """``POST /v1/tokens``: a card (with its holder's name and address) or a bank account."""

    card: CardEntry | None = None
    bank_account: BankAccountEntry | None = None


@dataclass(frozen=True)
class NewSource:
    """``POST /v1/sources``: sepa_debit (``iban``), paypal (``owner["email"]``) or card
    (``token``)."""

    type: str
    owner: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    iban: str | None = None
    token: str | None = None


# A ``source`` parameter: a token or ``src_…`` id, or a card or bank account typed in.
SourceEntry = str | CardEntry | BankAccountEntry
