"""Reads of payments, always scoped to one account."""

from django.db.models import QuerySet, Sum

from apps.accounts.models import Account
from apps.core import clock
from apps.payments.models import BalanceTransaction, Charge, PaymentIntent, Refund, SetupIntent


def charge_list(*, account: Account) -> QuerySet[Charge]:
    return Charge.objects.filter(account=account).select_related("account", "payment_method")


def charge_get(*, account: Account, charge_id: str) -> Charge | None:
    return charge_list(account=account).filter(id=charge_id).first()


def refund_list(*, account: Account) -> QuerySet[Refund]:
    return Refund.objects.filter(account=account).select_related("charge")


def payment_intent_list(*, account: Account) -> QuerySet[PaymentIntent]:
    return PaymentIntent.objects.filter(account=account).select_related("account")


def setup_intent_list(*, account: Account) -> QuerySet[SetupIntent]:
    return SetupIntent.objects.filter(account=account).select_related("account", "customer")


def balance_transaction_list(*, account: Account) -> QuerySet[BalanceTransaction]:
    return BalanceTransaction.objects.filter(account=account)


def balance(*, account: Account) -> dict[str, dict[str, int]]:
    """Net amounts per currency: available once ``available_on`` has passed, pending before."""
    now = clock.now()
    totals: dict[str, dict[str, int]] = {}
    for available, lookup in (
        (True, {"available_on__lte": now}),
        (False, {"available_on__gt": now}),
    ):
        grouped = (
            balance_transaction_list(account=account)
            .filter(**lookup)
            .values("currency")
            .annotate(net=Sum("net"))
        )
        for row in grouped:
            entry = totals.setdefault(row["currency"], {"available": 0, "pending": 0})
            entry["available" if available else "pending"] += row["net"]
    return totals
