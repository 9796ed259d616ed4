"""The card updater in test mode and the expiring-card notices (issue #5, ACCEPTANCE P3).

Card networks tell Stripe when a saved card is reissued or closed; Ledgerline acts that out for
its two updater test cards, and tells the account when any saved card is about to expire.

When: a card's moment is the first instant (UTC) of its expiry month, in its customer's time —
the test clock's frozen time for a customer on a clock (``test_clock_run`` steps to the moment
in time order, before anything else due at the same instant), the real time otherwise (the daily
beat, ``apps.collections.tasks``). From that moment:

- a reissued test card (4000 0000 0000 8815, ``tok_reissued``, ``pm_card_reissued``) keeps its
  number, last4 and fingerprint and gets an expiry ``REISSUE_YEARS`` later, with
  ``payment_method.automatically_updated`` (a PaymentMethod) or ``customer.source.updated`` (a
  legacy card) carrying the old expiry in ``previous_attributes``; it becomes an ordinary test
  card, so that happens once;
- a closed test card (4000 0000 0000 8823, ``tok_closedByIssuer``, ``pm_card_closedByIssuer``)
  gets ``closed_at`` and the same event type; Stripe's card objects have no closed state, so the
  object renders as before and the event has no ``previous_attributes``. The test processor
  declines it from then on (``invalid_account``, a hard decline dunning does not retry);
- every other open card gets ``customer.source.expiring`` ("will expire at the end of the
  month") once per expiry month, claimed through ``PaymentMethod.expiring_notice_for``; a card
  first seen after its expiry month has passed is marked without a notice.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import F, Q, QuerySet

from apps.accounts.audit import audit_record
from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.events import event_record
from apps.core.locks import row_lock
from apps.customers import testcards
from apps.customers.card_expiry import expires_at, expiry_key, expiry_month_start
from apps.customers.enums import PaymentMethodType, SourceObject
from apps.customers.models import Customer, PaymentMethod
from apps.customers.payment_method_render import payment_method_render

REISSUE_YEARS = 3
# Test scenarios the updater acts on (testcards.Scenario.card_update).
UPDATER_SCENARIOS = tuple(key for key, s in testcards.SCENARIOS.items() if s.card_update)


def _open_cards() -> QuerySet[PaymentMethod]:
    """Saved cards still in use: attached to a customer who exists, not closed."""
    return PaymentMethod.objects.filter(
        type=PaymentMethodType.CARD,
        customer__isnull=False,
        customer__deleted_at__isnull=True,
        detached_at__isnull=True,
        closed_at__isnull=True,
        exp_month__isnull=False,
        exp_year__isnull=False,
    )


def _month_started_by(moment: datetime) -> Q:
    """Cards whose expiry month has begun by ``moment``."""
    return Q(exp_year__lt=moment.year) | Q(exp_year=moment.year, exp_month__lte=moment.month)


def _pending() -> Q:
    """Cards with something left to do: an updater scenario, or no notice for this expiry."""
    noticed = Q(expiring_notice_for=F("exp_year") * 100 + F("exp_month"))
    return Q(test_scenario__in=UPDATER_SCENARIOS) | Q(expiring_notice_for__isnull=True) | ~noticed


def card_updates_next_due(*, customers, until: datetime) -> tuple[datetime, str] | None:
    """For a test clock: the earliest card of ``customers`` (a queryset of ids) whose moment
    comes by ``until``, as (moment, payment method id)."""
    row = (
        _open_cards()
        .filter(customer_id__in=customers)
        .filter(_month_started_by(until))
        .filter(_pending())
        .order_by("exp_year", "exp_month", "id")
        .values_list("exp_month", "exp_year", "id")
        .first()
    )
    if row is None:
        return None
    exp_month, exp_year, payment_method_id = row
    return expiry_month_start(exp_month, exp_year), payment_method_id


def card_updates_due_ids(*, now: datetime, limit: int = 100_000) -> list[str]:
    """For the daily beat: cards of customers not on a test clock whose moment has come."""
    return list(
        _open_cards()
        .filter(customer__test_clock_id__isnull=True)
        .filter(_month_started_by(now))
        .filter(_pending())
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def _event_type(card: PaymentMethod) -> str:
    if card.source_object == SourceObject.PAYMENT_METHOD:
        return "payment_method.automatically_updated"
    return "customer.source.updated"


def _reissue(card: PaymentMethod, account: Account, actor: Actor) -> None:
    old = {"exp_month": card.exp_month, "exp_year": card.exp_year}
    card.exp_year += REISSUE_YEARS
    card.test_scenario = "succeed"
    card.save(update_fields=["exp_year", "test_scenario", "updated_at"])
    legacy = card.source_object != SourceObject.PAYMENT_METHOD
    audit_record(
        account=account,
        actor=actor,
        action=_event_type(card),
        object_type="payment_method",
        object_id=card.id,
        changes={"exp_year": [old["exp_year"], card.exp_year]},
    )
    event_record(
        account=account,
        type=_event_type(card),
        data_object=payment_method_render(card),
        # The old expiry as one unit (month and year), shaped as the object's own fields.
        previous_attributes=old if legacy else {"card": old},
        actor=actor,
    )


def _close(card: PaymentMethod, account: Account, now: datetime, actor: Actor) -> None:
    card.closed_at = now
    card.save(update_fields=["closed_at", "updated_at"])
    audit_record(
        account=account,
        actor=actor,
        action=_event_type(card),
        object_type="payment_method",
        object_id=card.id,
        changes={"closed_at": [None, clock.to_epoch(now)]},
    )
    event_record(
        account=account,
        type=_event_type(card),
        data_object=payment_method_render(card),
        actor=actor,
    )


def _expiring_notice(card: PaymentMethod, account: Account, now: datetime, actor: Actor) -> bool:
    """``customer.source.expiring`` once for the card's expiry month, if it has begun; a month
    already over is marked without a notice. Whether the card was marked now."""
    if expiry_month_start(card.exp_month, card.exp_year) > now:
        return False
    key = expiry_key(card.exp_month, card.exp_year)
    claimed = (
        PaymentMethod.objects.filter(pk=card.pk)
        .filter(Q(expiring_notice_for__isnull=True) | ~Q(expiring_notice_for=key))
        .update(expiring_notice_for=key)
    )
    if not claimed:
        return False
    card.expiring_notice_for = key
    if now < expires_at(card.exp_month, card.exp_year):
        event_record(
            account=account,
            type="customer.source.expiring",
            data_object=payment_method_render(card),
            actor=actor,
        )
    return True


def card_update_apply(*, payment_method_id: str, actor: Actor = SYSTEM) -> bool:
    """Do what is due for one saved card at its customer's now: the updater's reissue or
    closure, then the expiring notice. Re-checked under the card's row lock, so a repeated or
    concurrent call does nothing twice. Whether anything was done."""
    with transaction.atomic():
        card = row_lock(PaymentMethod.objects.filter(pk=payment_method_id))
        if card is None or card.customer_id is None:
            return False
        if card.detached_at is not None or card.closed_at is not None or not card.exp_year:
            return False
        customer = Customer.objects.get(pk=card.customer_id)
        if customer.deleted_at is not None:
            return False
        account = Account.objects.get(pk=card.account_id)
        now = clock.now(test_clock_id=customer.test_clock_id)
        update = testcards.SCENARIOS[card.test_scenario or "succeed"].card_update
        acted = False
        if update and expiry_month_start(card.exp_month, card.exp_year) <= now:
            if update == "close":
                _close(card, account, now, actor)
                return True
            _reissue(card, account, actor)
            acted = True
        return _expiring_notice(card, account, now, actor) or acted
