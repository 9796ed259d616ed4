"""Test clocks: create, advance, delete. Advancing runs, in time order, every time-driven job
due between the clock's time and the new one: the jobs each app registers at start-up
(apps.subscriptions.clock_jobs: trial ends, scheduled cancellations, renewals, drafts'
finalization, and apps.collections' card updates, payment retries and incomplete
subscriptions' expiry)."""

from datetime import datetime, timedelta

from django.db import transaction

from apps.accounts.audit import change_record
from apps.accounts.models import Account, TestClock
from apps.catalog.models import Price
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock
from apps.core.queue import task_enqueue_on_commit
from apps.customers.models import Customer
from apps.customers.services import CustomerFields, customer_create, customer_delete
from apps.subscriptions.clock_jobs import clock_job_next
from apps.subscriptions.models import Subscription
from apps.subscriptions.planning import ItemRequest
from apps.subscriptions.services.cancel import subscription_cancel
from apps.subscriptions.services.create import subscription_create

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
    row = row_lock(TestClock.objects.filter(account=account, id=clock_id))
    if row is None:
        raise ResourceMissingError("test_clock", clock_id)
    row.account = account
    return row


def test_clock_advance(
    *, account: Account, clock_id: str, frozen_time: datetime, actor: Actor
) -> TestClock:
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
        task_enqueue_on_commit("invoicing.test_clock_run", clock_id=row.id)
    return row


def test_clock_run(clock_id: str) -> TestClock:
    """Step the clock to each due job (apps.subscriptions.clock_jobs) in time order, running
    it, then to the target, and mark it ready."""
    row = TestClock.objects.select_related("account").get(id=clock_id)
    if row.status != "advancing":
        return row
    customers = Customer.objects.filter(test_clock_id=clock_id).values("id")
    for _ in range(MAX_STEPS):
        due = clock_job_next(customers, row.advancing_to)
        if due is None:
            break
        when, job, object_id = due
        with transaction.atomic():
            locked = row_lock(TestClock.objects.filter(pk=row.pk))
            locked.frozen_time = max(locked.frozen_time, when)
            locked.save(update_fields=["frozen_time", "updated_at"])
        if not job.run(object_id):
            break  # nothing done (done meanwhile, or no longer due): stop rather than spin
    with transaction.atomic():
        row = row_lock(TestClock.objects.select_related("account").filter(pk=row.pk))
        row.frozen_time, row.status, row.advancing_to = row.advancing_to, "ready", None
        row.save(update_fields=["frozen_time", "status", "advancing_to", "updated_at"])
        _event(row, "test_helpers.test_clock.ready", SYSTEM)
    return row


def test_clock_customer_create(
    *,
    account: Account,
    clock_id: str,
    fields: CustomerFields,
    source: str | None,
    price: Price | None,
    actor: Actor,
) -> tuple[Customer, Subscription | None]:
    """A new customer on the clock (customers join a clock when they are created, as in Stripe),
    paying with the test ``source`` token if given, subscribed to ``price`` if given at the
    clock's time. Two services, one after the other: the subscription's first payment is a
    processor call, which never runs inside a transaction."""
    if not TestClock.objects.filter(account=account, id=clock_id).exists():
        raise ResourceMissingError("test_clock", clock_id)
    customer = customer_create(
        account=account, fields=fields, test_clock_id=clock_id, source=source, actor=actor
    )
    if price is None:
        return customer, None
    subscription = subscription_create(
        account=account, customer=customer, items=[ItemRequest(price)], actor=actor
    )
    return customer, subscription


def test_clock_delete(*, account: Account, clock_id: str, actor: Actor) -> str:
    """Deletes the clock; its customers are deleted and their subscriptions end, as Stripe."""
    with transaction.atomic():
        row = _locked(account, clock_id)
        for subscription in Subscription.objects.filter(customer__test_clock_id=clock_id).exclude(
            status="canceled"
        ):
            subscription_cancel(account=account, subscription_id=subscription.id, actor=actor)
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
