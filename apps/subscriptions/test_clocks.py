"""Test clocks: create, advance, delete. Advancing runs, in time order, every trial end,
scheduled cancellation, renewal (with its draft invoice), draft finalization (with its payment
and events), card update (apps.collections.card_updater), payment retry
(apps.collections.retries) and incomplete subscription's expiry (apps.collections.incomplete)
that falls between the clock's time and the new one."""

from datetime import datetime, timedelta

from django.db import transaction

from apps.accounts.audit import change_record
from apps.accounts.models import Account, TestClock
from apps.collections.card_updater import card_update_apply, card_updates_next_due
from apps.collections.incomplete import incomplete_next_due, subscription_incomplete_expire
from apps.collections.retries import invoices_retry
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.customers.models import Customer
from apps.invoices.engine.stages import Choices
from apps.invoices.models import Invoice
from apps.subscriptions.collection import invoices_auto_advance
from apps.subscriptions.lifecycle import (
    ENDED,
    subscription_cancel_scheduled,
    subscription_trials_settle_due,
)
from apps.subscriptions.models import Subscription, SubscriptionItem
from apps.subscriptions.services import subscription_renew
from apps.subscriptions.tasks import RENEWING

LIFETIME = timedelta(days=30)
# Stripe lets a clock move at most two intervals of the shortest subscription; we bound the
# number of renewals one advance may run instead.
MAX_STEPS = 1_000


def test_clock_render(row: TestClock) -> dict:
    return {
        "id": row.id,
        "object": "test_helpers.test_clock",
        "created": clock.to_epoch(row.created_at),
        "deletes_after": clock.to_epoch(row.deletes_after),
        "frozen_time": clock.to_epoch(row.frozen_time),
        "livemode": False,
        "name": row.name or None,
        "status": row.status,
        "status_details": (
            {"advancing": {"target_frozen_time": clock.to_epoch(row.advancing_to)}}
            if row.status == "advancing"
            else {}
        ),
    }


def _event(row: TestClock, type: str, actor: Actor) -> None:
    change_record(
        account=row.account,
        actor=actor,
        type=type,
        object_type="test_clock",
        data_object=test_clock_render(row),
    )


def test_clock_create(
    *, account: Account, frozen_time: datetime, name: str, actor: Actor
) -> TestClock:
    if account.livemode:
        raise InvalidRequestError("Test clocks exist in test mode only.")
    with transaction.atomic():
        row = TestClock.objects.create(
            account=account,
            name=name,
            frozen_time=frozen_time,
            deletes_after=clock.now() + LIFETIME,
        )
        _event(row, "test_helpers.test_clock.created", actor)
    return row


def _locked(account: Account, clock_id: str) -> TestClock:
    row = TestClock.objects.select_for_update().filter(account=account, id=clock_id).first()
    if row is None:
        raise ResourceMissingError("test_clock", clock_id)
    row.account = account
    return row


def test_clock_advance(
    *, account: Account, clock_id: str, frozen_time: datetime, actor: Actor
) -> TestClock:
    from apps.subscriptions.tasks import test_clock_run_task

    with transaction.atomic():
        row = _locked(account, clock_id)
        if row.status != "ready":
            raise InvalidRequestError(
                "The test clock is advancing; wait until it is ready.", code="test_clock_not_ready"
            )
        if frozen_time <= row.frozen_time:
            raise InvalidRequestError(
                "A test clock only moves forward: frozen_time must be after the current one.",
                param="frozen_time",
            )
        row.status, row.advancing_to = "advancing", frozen_time
        row.save(update_fields=["status", "advancing_to", "updated_at"])
        _event(row, "test_helpers.test_clock.advancing", actor)
        transaction.on_commit(lambda: test_clock_run_task.delay(row.id))
    return row


def _next_due(customers, until: datetime) -> tuple[datetime, str, str] | None:
    """The earliest thing due for the clock's customers by ``until``: (when, kind, id of the
    subscription, or of the invoice for a draft that finalizes)."""
    candidates = []
    renewal = (
        Subscription.objects.filter(
            customer_id__in=customers, status__in=RENEWING, current_period_end__lte=until
        )
        .order_by("current_period_end", "id")
        .values_list("current_period_end", "id")
        .first()
    )
    if renewal:
        candidates.append((renewal[0], 3, "renewal", renewal[1]))
    draft = (
        Invoice.objects.filter(
            customer_id__in=customers,
            status="draft",
            auto_advance=True,
            automatically_finalizes_at__lte=until,
        )
        .order_by("automatically_finalizes_at", "id")
        .values_list("automatically_finalizes_at", "id")
        .first()
    )
    if draft:
        candidates.append((draft[0], 2, "invoice", draft[1]))
    trial = (
        SubscriptionItem.objects.filter(
            subscription__customer_id__in=customers,
            deleted_at__isnull=True,
            trial_settled_at__isnull=True,
            trial_end__lte=until,
        )
        .exclude(subscription__status__in=ENDED)
        .order_by("trial_end", "id")
        .values_list("trial_end", "subscription_id")
        .first()
    )
    if trial:
        candidates.append((trial[0], 0, "trial_end", trial[1]))
    cancel = (
        Subscription.objects.filter(customer_id__in=customers, cancel_at__lte=until)
        .exclude(status__in=ENDED)
        .order_by("cancel_at", "id")
        .values_list("cancel_at", "id")
        .first()
    )
    if cancel:
        candidates.append((cancel[0], 1, "cancel_at", cancel[1]))
    card = card_updates_next_due(customers=customers, until=until)
    if card:
        candidates.append((card[0], -1, "card_update", card[1]))
    retry = (
        Invoice.objects.filter(
            customer_id__in=customers, status="open", next_payment_attempt__lte=until
        )
        .order_by("next_payment_attempt", "id")
        .values_list("next_payment_attempt", "id")
        .first()
    )
    if retry:
        candidates.append((retry[0], 4, "retry", retry[1]))
    expiry = incomplete_next_due(customers=customers, until=until)
    if expiry:
        candidates.append((expiry[0], 5, "incomplete_expiry", expiry[1]))
    if not candidates:
        return None
    # At one instant: a card update, trial end, cancellation, a draft's finalization, renewal,
    # a payment retry, an incomplete subscription's expiry.
    when, _, kind, object_id = min(candidates)
    return when, kind, object_id


def test_clock_run(clock_id: str, choices: Choices | None = None) -> TestClock:  # noqa: PT028 (not a test)
    """Step the clock to each due trial end, scheduled cancellation, renewal and draft
    finalization in time order, then to the target, and mark it ready. Renewals and
    finalizations run the billing stages as ``choices`` (None: the account's) chooses."""
    row = TestClock.objects.select_related("account").get(id=clock_id)
    if row.status != "advancing":
        return row
    customers = Customer.objects.filter(test_clock_id=clock_id).values("id")
    for _ in range(MAX_STEPS):
        due = _next_due(customers, row.advancing_to)
        if due is None:
            break
        when, kind, object_id = due
        with transaction.atomic():
            locked = TestClock.objects.select_for_update().get(pk=row.pk)
            locked.frozen_time = max(locked.frozen_time, when)
            locked.save(update_fields=["frozen_time", "updated_at"])
        if kind == "card_update":
            if not card_update_apply(payment_method_id=object_id):
                break  # done meanwhile: stop rather than spin
        elif kind == "trial_end":
            subscription_trials_settle_due(subscription_id=object_id)
        elif kind == "cancel_at":
            subscription_cancel_scheduled(subscription_id=object_id)
        elif kind == "invoice":
            if not invoices_auto_advance(invoice_ids=[object_id], choices=choices):
                break  # finalized meanwhile: stop rather than spin
        elif kind == "retry":
            if not invoices_retry(invoice_ids=[object_id]):
                break  # claimed meanwhile: stop rather than spin
        elif kind == "incomplete_expiry":
            if not subscription_incomplete_expire(subscription_id=object_id):
                break
        elif subscription_renew(subscription_id=object_id, choices=choices) is None:
            break  # not renewable any more (canceled meanwhile): stop rather than spin
    with transaction.atomic():
        row = TestClock.objects.select_for_update().select_related("account").get(pk=row.pk)
        row.frozen_time, row.status, row.advancing_to = row.advancing_to, "ready", None
        row.save(update_fields=["frozen_time", "status", "advancing_to", "updated_at"])
        _event(row, "test_helpers.test_clock.ready", SYSTEM)
    return row


def test_clock_delete(*, account: Account, clock_id: str, actor: Actor) -> str:
    """Deletes the clock; its customers are deleted and their subscriptions end, as Stripe."""
    from apps.customers.services import customer_delete
    from apps.subscriptions.services import subscription_cancel

    with transaction.atomic():
        row = _locked(account, clock_id)
        for subscription in Subscription.objects.filter(customer__test_clock_id=clock_id).exclude(
            status="canceled"
        ):
            subscription_cancel(
                account=account, subscription_id=subscription.id, details={}, actor=actor
            )
        for customer in Customer.objects.filter(test_clock_id=clock_id, deleted_at__isnull=True):
            customer_delete(account=account, customer_id=customer.id, actor=actor)
        data = test_clock_render(row)
        row.delete()
        change_record(
            account=account,
            actor=actor,
            type="test_helpers.test_clock.deleted",
            object_type="test_clock",
            data_object=data,
        )
    return clock_id
