"""What finalizing an invoice takes from and gives to the customer's balance, and so what is
charged (pure): the one computation that finalize writes and previews show.

The balance is Stripe's: negative is credit the customer holds, positive is what they owe. In
order:

1. A credit invoice (negative total) puts its total on the balance as credit; nothing is due.
2. Otherwise the balance is applied: credit up to the total, or what the customer owes added.
3. A three-decimal currency is charged in multiples of 10 (money.chargeable_round, to the
   nearest 10): the difference goes to the balance, owed (rounded down) or credit (rounded up)
   on the next invoice.
4. An amount due under the currency's minimum charge (money.minimum_charge_amount) is not
   charged: the invoice is paid and the amount is owed on the next invoice (Stripe's
   ``invoice_too_small``).

Each step is one entry on the balance; the amount due is always the total less what the
entries moved onto the balance, so invoice and ledger agree to the unit.
"""

from dataclasses import dataclass

from apps.core import money

# The customer balance transaction types settlement writes (the values of
# apps.customers.enums.BalanceTransactionType; the engine imports no Django).
APPLIED = "applied_to_invoice"
ROUNDING = "adjustment"
TOO_SMALL = "invoice_too_small"
SETTLEMENT_TYPES = (APPLIED, ROUNDING, TOO_SMALL)


@dataclass(frozen=True)
class BalanceEntry:
    type: str
    amount: int  # added to the customer's balance
    description: str = ""


@dataclass(frozen=True)
class Settlement:
    total: int
    starting_balance: int
    entries: tuple[BalanceEntry, ...]

    @property
    def ending_balance(self) -> int:
        return self.starting_balance + sum(entry.amount for entry in self.entries)

    @property
    def amount_due(self) -> int:
        return self.total - (self.ending_balance - self.starting_balance)


def invoice_settle(*, total: int, balance: int, currency: str) -> Settlement:
    """The balance entries of finalizing an invoice of ``total`` for a customer at ``balance``."""
    entries: list[BalanceEntry] = []
    if total < 0:
        entries.append(BalanceEntry(APPLIED, total))
    elif balance < 0 and total > 0:
        entries.append(BalanceEntry(APPLIED, min(-balance, total)))
    elif balance > 0:
        entries.append(BalanceEntry(APPLIED, -balance))
    due = total - sum(entry.amount for entry in entries)
    charged = money.chargeable_round(due, currency)
    if charged != due:
        step = money.format_amount(10, currency)
        entries.append(
            BalanceEntry(ROUNDING, due - charged, f"Amount due rounded to a multiple of {step}")
        )
    if 0 < charged < money.minimum_charge_amount(currency):
        entries.append(
            BalanceEntry(
                TOO_SMALL,
                charged,
                f"Under the minimum charge of "
                f"{money.format_amount(money.minimum_charge_amount(currency), currency)}",
            )
        )
    return Settlement(total=total, starting_balance=balance, entries=tuple(entries))
