"""Collections services (issue #5): manual retries, and what follows a payment attempt — the
account's after-last-retry actions, and a recovered subscription's return to active.

Charging itself happens in one place, ``apps.invoices.services.invoices_pay``, which records
each attempt (apps.collections.attempts); scheduled retries are claimed and run by
apps.collections.retries.
"""

from dataclasses import dataclass, field

from django.db import transaction

from apps.accounts.models import Account
from apps.collections.enums import AttemptTrigger
from apps.collections.selectors import collection_settings
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.bulk import rows_update
from apps.core.errors import ApplicationError, InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock, rows_lock
from apps.invoices.models import Invoice
from apps.invoices.services import invoice_mark_uncollectible, invoices_pay
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription
from apps.subscriptions.services.cancel import subscription_cancel
from apps.subscriptions.transitions import subscription_move, subscriptions_move

MAX_RETRY_NOW = 100
# Subscription states a paid invoice brings back to active (when nothing else is unpaid).
RECOVERABLE = (
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.UNPAID,
    SubscriptionStatus.INCOMPLETE,
)
# Subscription states the after-last-retry actions apply to.
DUNNED = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID)


@dataclass
class RetryResult:
    paid: list[str] = field(default_factory=list)
    failures: dict[str, ApplicationError] = field(default_factory=dict)


def invoices_retry_now(*, account: Account, invoice_ids: list[str], actor: Actor) -> RetryResult:
    """Try to pay open invoices of ``account`` at once (staff's "retry now"): a manual attempt,
    recorded as a PaymentAttempt. As Stripe, it counts only if it is the invoice's first and
    leaves the retry schedule as it was unless it pays the invoice. Answers the invoices paid
    and the others' errors by id (unknown, not open, declined)."""
    if (
        not isinstance(invoice_ids, list)
        or not invoice_ids
        or not all(isinstance(pk, str) and pk for pk in invoice_ids)
    ):
        raise InvalidRequestError("Give the ids of the invoices to retry.", param="invoices")
    if len(invoice_ids) > MAX_RETRY_NOW:
        raise InvalidRequestError(
            f"Retry at most {MAX_RETRY_NOW} invoices at once.", param="invoices"
        )
    ids = list(dict.fromkeys(invoice_ids))
    found = (
        Invoice.objects.select_related("customer", "subscription")
        .filter(account=account, id__in=ids)
        .in_bulk()
    )
    result = RetryResult()
    for pk in ids:
        if pk not in found:
            result.failures[pk] = ResourceMissingError("invoice", pk, param="invoices")
    invoices = [found[pk] for pk in sorted(found)]
    if invoices:
        paid, failures = invoices_pay(
            account=account, invoices=invoices, actor=actor, trigger=AttemptTrigger.MANUAL
        )
        result.paid = [row.id for row in paid if row.id not in failures]
        result.failures.update(failures)
    return result


def invoices_after_attempts(
    *, account: Account, paid: list[Invoice], exhausted: list[Invoice], actor: Actor = SYSTEM
) -> None:
    """After invoices_pay's outcome transaction: a subscription whose invoice was paid returns
    to active when it owes nothing else; an invoice whose retries are spent gets the account's
    after-last-retry actions."""
    subscriptions_recover(
        account=account,
        subscription_ids={invoice.subscription_id for invoice in paid if invoice.subscription_id},
        actor=actor,
    )
    if exhausted:
        settings = collection_settings(account)
        for invoice in exhausted:
            retries_exhausted(account=account, invoice=invoice, settings=settings, actor=actor)


def subscriptions_recover(*, account: Account, subscription_ids: set[str], actor: Actor) -> int:
    """Past_due, unpaid or incomplete subscriptions with no open invoice left become active
    (customer.subscription.updated with the status each had), in one transaction: a retry batch's
    paid invoices recover their subscriptions together. How many became active."""
    if not subscription_ids:
        return 0
    with transaction.atomic():
        (subscriptions,) = rows_lock(
            Subscription.objects.filter(
                account=account, id__in=subscription_ids, status__in=RECOVERABLE
            )
        )
        owing = set(
            Invoice.objects.filter(
                subscription_id__in=[subscription.id for subscription in subscriptions],
                status="open",
            ).values_list("subscription_id", flat=True)
        )
        recovered = [subscription for subscription in subscriptions if subscription.id not in owing]
        if not recovered:
            return 0
        now = clock.now()
        for subscription in recovered:
            subscription.updated_at = now
        subscriptions_move(
            account=account,
            moves=[(subscription, SubscriptionStatus.ACTIVE) for subscription in recovered],
            actor=actor,
        )
        rows_update(Subscription, recovered, ["status", "updated_at"])
    return len(recovered)


def retries_exhausted(*, account: Account, invoice: Invoice, settings, actor: Actor) -> None:
    """The account's choices after an invoice's last failed retry: the invoice marked
    uncollectible or left open; its subscription canceled (reason payment_failed), marked
    unpaid or left past_due — unless a later invoice of the subscription was paid meanwhile,
    which leaves the subscription as it is (Stripe)."""
    if settings.invoice_after == "uncollectible":
        if Invoice.objects.filter(pk=invoice.pk, status="open").exists():
            invoice_mark_uncollectible(account=account, invoice_id=invoice.id, actor=actor)
    if not invoice.subscription_id or settings.subscription_after == "past_due":
        return
    if Invoice.objects.filter(
        subscription_id=invoice.subscription_id, status="paid", created_at__gt=invoice.created_at
    ).exists():
        return
    if settings.subscription_after == "cancel":
        if Subscription.objects.filter(pk=invoice.subscription_id, status__in=DUNNED).exists():
            subscription_cancel(
                account=account,
                subscription_id=invoice.subscription_id,
                actor=actor,
                reason="payment_failed",
            )
        return
    with transaction.atomic():
        subscription = row_lock(
            Subscription.objects.select_related("customer", "account").filter(
                account=account,
                id=invoice.subscription_id,
                status__in=(SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE),
            )
        )
        if subscription is None:
            return
        subscription_move(subscription, SubscriptionStatus.UNPAID, actor=actor, fields=())
