"""The balance ledger: the row a captured charge or a refund writes, with its fee and the day
its money becomes available (the account's payment settings)."""

from apps.accounts.models import Account
from apps.core import clock
from apps.customers.services.payment_methods import payment_method_scenario
from apps.payments.enums import BalanceTransactionType
from apps.payments.fees import available_on, processing_fee
from apps.payments.models import BalanceTransaction, Charge, PaymentSettings


def payment_settings(account: Account) -> PaymentSettings:
    settings, _ = PaymentSettings.objects.get_or_create(account=account)
    return settings


def ledger_write(
    *,
    account: Account,
    kind: str,
    amount: int,
    currency: str,
    source_id: str,
    fee: int = 0,
    description: str = "",
    available_at=None,
    settings: PaymentSettings | None = None,
) -> BalanceTransaction:
    row = ledger_row(
        account=account,
        kind=kind,
        amount=amount,
        currency=currency,
        source_id=source_id,
        fee=fee,
        description=description,
        available_at=available_at,
        settings=settings or payment_settings(account),
    )
    row.save(force_insert=True)
    return row


def ledger_row(
    *,
    account: Account,
    kind: str,
    amount: int,
    currency: str,
    source_id: str,
    fee: int,
    description: str,
    available_at,
    settings: PaymentSettings,
) -> BalanceTransaction:
    now = clock.now()
    return BalanceTransaction(
        account=account,
        type=kind,
        amount=amount,
        fee=fee,
        net=amount - fee,
        currency=currency,
        fee_details=(
            [
                {
                    "amount": fee,
                    "currency": currency,
                    "description": "Processing fees",
                    "type": "stripe_fee",
                }
            ]
            if fee
            else []
        ),
        source_id=source_id,
        description=description,
        reporting_category=kind,
        created_at=now,
        available_on=available_at or available_on(now, days=settings.availability_days),
    )


def charge_ledger_write(charge: Charge, amount: int) -> BalanceTransaction:
    row = charge_ledger_row(charge, amount, payment_settings(charge.account))
    row.save(force_insert=True)
    return row


def charge_ledger_row(charge: Charge, amount: int, settings: PaymentSettings) -> BalanceTransaction:
    """The ledger row of a captured ``amount`` of ``charge``, not yet written."""
    scenario = payment_method_scenario(charge.payment_method)
    return ledger_row(
        account=charge.account,
        kind=BalanceTransactionType.CHARGE,
        amount=amount,
        currency=charge.currency,
        source_id=charge.id,
        fee=processing_fee(amount, percent=settings.fee_percent, fixed=settings.fee_fixed),
        description=charge.description,
        available_at=clock.now() if scenario.bypass_pending else None,
        settings=settings,
    )
