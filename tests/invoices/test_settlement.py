"""Issue 14 (1, 7, 8), the pure core: what finalizing an invoice takes from and gives to the
customer's balance, and the amount then charged (apps.invoices.engine.settlement)."""

import pytest

from apps.core.money import chargeable_round, minimum_charge_amount
from apps.customers.enums import BalanceTransactionType
from apps.invoices.engine import settlement
from apps.invoices.engine.settlement import invoice_settle


def _settled(total: int, balance: int, currency: str = "usd"):
    settled = invoice_settle(total=total, balance=balance, currency=currency)
    return (
        settled.amount_due,
        settled.ending_balance,
        [(entry.type, entry.amount) for entry in settled.entries],
    )


def test_credit_and_debt_on_the_balance_are_applied():
    assert _settled(2500, -400) == (2100, 0, [("applied_to_invoice", 400)])
    assert _settled(2500, -4000) == (0, -1500, [("applied_to_invoice", 2500)])
    assert _settled(2550, 26) == (2576, 0, [("applied_to_invoice", -26)])
    assert _settled(2500, 0) == (2500, 0, [])


def test_a_negative_total_becomes_credit_and_nothing_is_due():
    assert _settled(-1187, 0) == (0, -1187, [("applied_to_invoice", -1187)])
    assert _settled(-987, -300) == (0, -1287, [("applied_to_invoice", -987)])


@pytest.mark.parametrize(
    ("currency", "minimum"),
    [("usd", 50), ("eur", 50), ("gbp", 30), ("jpy", 50), ("huf", 17500), ("mxn", 1000)],
)
def test_under_the_minimum_charge_the_invoice_is_paid_and_the_amount_owed(currency, minimum):
    assert minimum_charge_amount(currency) == minimum
    assert _settled(minimum - 1, 0, currency) == (
        0,
        minimum - 1,
        [("invoice_too_small", minimum - 1)],
    )
    assert _settled(minimum, 0, currency) == (minimum, 0, [])


def test_outside_stripes_table_the_minimum_is_half_a_unit_at_the_currencys_exponent():
    assert [minimum_charge_amount(code) for code in ("ils", "krw", "kwd")] == [50, 50, 500]


def test_an_invoice_of_26_cents_after_8_cents_of_credit_is_not_charged():
    assert _settled(26, -8) == (
        0,
        18,
        [("applied_to_invoice", 8), ("invoice_too_small", 18)],
    )


@pytest.mark.parametrize(
    ("amount", "charged"), [(6215, 6220), (6214, 6210), (6210, 6210), (5124, 5120), (-6215, -6220)]
)
def test_three_decimal_currencies_charge_to_the_nearest_ten(amount, charged):
    assert [chargeable_round(amount, code) for code in ("kwd", "bhd", "jod", "omr", "tnd")] == [
        charged
    ] * 5
    assert chargeable_round(amount, "usd") == amount


def test_the_rounding_goes_to_the_balance_so_nothing_is_lost():
    first = invoice_settle(total=6215, balance=0, currency="kwd")
    assert (first.amount_due, first.ending_balance) == (6220, -5)
    assert [(e.type, e.amount, e.description) for e in first.entries] == [
        ("adjustment", -5, "Amount due rounded to a multiple of KWD 0.010")
    ]
    second = invoice_settle(total=6215, balance=first.ending_balance, currency="kwd")
    assert (second.amount_due, second.ending_balance) == (6210, 0)
    down = invoice_settle(total=6214, balance=0, currency="kwd")
    assert (down.amount_due, down.ending_balance) == (6210, 4)
    # Charged plus what is left on the balance is what was invoiced, to the fils.
    assert first.amount_due + second.amount_due == 2 * 6215


def test_the_engines_balance_transaction_types_are_the_customers_ledger_types():
    """The pure engine names the types as plain strings; they are the ledger's own values."""
    assert (settlement.APPLIED, settlement.ROUNDING, settlement.TOO_SMALL) == (
        BalanceTransactionType.APPLIED_TO_INVOICE,
        BalanceTransactionType.ADJUSTMENT,
        BalanceTransactionType.INVOICE_TOO_SMALL,
    )
