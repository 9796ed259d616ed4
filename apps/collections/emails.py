"""Customer emails (issue #5): which event sends which email, and sending it.

- ``invoice.payment_failed`` of an automatically collected invoice → ``payment_failed``, with the
  next retry's date and the update-payment-method link; ``final_notice`` instead when that
  failure leaves one retry (``is_last_retry``) or none. A subscription's first invoice is left
  out: the subscription is ``incomplete`` while its customer is at the checkout, and it is not
  retried;
- ``invoice.paid`` with ``amount_paid`` > 0 → ``receipt``;
- ``invoice.upcoming`` → ``upcoming_renewal`` (not for a renewal of nothing);
- ``customer.source.expiring`` → ``card_expiring``.

The consumers run in the transaction that records the event, so they only look at the event
itself and queue its id; once the transaction commits, one task per batch of ids (on the
collections queue) builds the emails — skipping customers without an email address, kinds the
account turned off and objects that moved on (an invoice paid meanwhile) — and sends them
through Django's email backend with no transaction open. Each email is claimed first as a
``SentEmail`` row unique per event, then sent, then the row records the outcome: an event never
sends twice, even if its task runs again, and an email whose worker died mid-send stays
recorded as unconfirmed (at most once, as a customer would rather have it).
"""

import logging
from contextlib import nullcontext

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from apps.accounts.models import Account
from apps.collections import email_templates
from apps.collections.email_drafts import DRAFTERS, Draft, EmailBatch
from apps.collections.email_templates import BUILT_IN, Wording
from apps.collections.models import CollectionSettings, EmailTemplate, SentEmail
from apps.collections.selectors import collection_settings, email_templates_of
from apps.core import clock
from apps.core.bulk import rows_insert_new
from apps.core.models import Event
from apps.core.queue import task_named

logger = logging.getLogger(__name__)

TRIGGERS = frozenset(
    {"invoice.payment_failed", "invoice.paid", "invoice.upcoming", "customer.source.expiring"}
)
# Event ids per send task.
TASK_BATCH = 200
UNCONFIRMED = "Not confirmed: the worker stopped before the mail server answered."


# --- the consumers (inside the event's transaction: no queries) -------------------------------


def _wanted(event: Event) -> bool:
    if event.type not in TRIGGERS or not event.customer_id:
        return False
    data = event.data_object
    if event.type == "invoice.payment_failed":
        return (
            data.get("collection_method") == "charge_automatically"
            and data.get("billing_reason") != "subscription_create"
        )
    if event.type == "invoice.paid":
        return (data.get("amount_paid") or 0) > 0
    return True


def customer_emails_consume(event: Event) -> None:
    if _wanted(event):
        _enqueue_on_commit([event.id])


def customer_emails_consume_batch(events: list[Event]) -> None:
    ids = [event.id for event in events if _wanted(event)]
    if ids:
        _enqueue_on_commit(ids)


class _Pending:
    """Event ids of one transaction, queued in batches once it commits."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.flushed = False

    def flush(self) -> None:
        self.flushed = True
        task = task_named("collections.customer_emails_send")
        for start in range(0, len(self.ids), TASK_BATCH):
            task.delay(event_ids=self.ids[start : start + TASK_BATCH])


def _enqueue_on_commit(event_ids: list[str]) -> None:
    connection = transaction.get_connection()
    pending = getattr(connection, "_customer_emails_pending", None)
    # Ours while its flush is still to run in this transaction (a commit or a rollback clears
    # the list).
    if (
        pending is None
        or pending.flushed
        or not any(entry[1] == pending.flush for entry in connection.run_on_commit)
    ):
        pending = _Pending()
        connection._customer_emails_pending = pending
        transaction.on_commit(pending.flush, robust=True)
    pending.ids.extend(event_ids)


# --- what an email says ----------------------------------------------------------------------


def kind_enabled(settings_row: CollectionSettings, kind: str) -> bool:
    return getattr(settings_row, f"email_{kind}")


def wording_of(templates: dict[str, EmailTemplate], kind: str) -> Wording:
    """The account's own wording of ``kind`` (``email_templates_of``), else the built-in one."""
    row = templates.get(kind)
    return Wording(subject=row.subject, body=row.body) if row is not None else BUILT_IN[kind]


def email_message(
    *, account: Account, to: str, wording: Wording, context: dict[str, str]
) -> EmailMultiAlternatives:
    """The email: plain text, with an HTML alternative of the same wording."""
    html = render_to_string(
        "collections/email/message.html",
        {
            "content": mark_safe(email_templates.render_html(wording.body, context)),  # noqa: S308 (escaped by render_html)
            "account_name": account.name,
        },
    )
    message = EmailMultiAlternatives(
        subject=email_templates.render_subject(wording.subject, context),
        body=email_templates.render_text(wording.body, context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[account.email] if account.email else None,
    )
    message.attach_alternative(html, "text/html")
    return message


# --- sending ---------------------------------------------------------------------------------


def customer_emails_send(*, event_ids: list[str]) -> int:
    """The emails of these events (queued by the consumers), each sent once. How many the
    backend took.

    The batch is drafted from a few set-based reads (``EmailBatch``), claimed with one insert
    (the ``SentEmail`` unique per event decides which emails are this run's to send), sent over
    one connection to the mail server, and the outcomes recorded with one update for those the
    backend took and one per failure."""
    events = list(Event.objects.filter(pk__in=event_ids).order_by("id"))
    drafts = _drafts(events)
    if not drafts:
        return 0
    claimed_at = clock.now()
    claimed = set(
        rows_insert_new(
            SentEmail,
            [_claim_row(event, draft, message, claimed_at) for event, draft, message in drafts],
            returning="event_id",
        )
    )
    ours = [(event, message) for event, _draft, message in drafts if event.id in claimed]
    if not ours:
        return 0
    failures = _send(ours)
    sent_at = clock.now()
    # One statement when every message went: atomic on its own, no transaction around it.
    with transaction.atomic() if failures else nullcontext():
        SentEmail.objects.filter(
            account_id__in={event.account_id for event, _ in ours},
            event_id__in=[event.id for event, _ in ours if event.id not in failures],
        ).update(error="", sent_at=sent_at)
        for event, _ in ours:
            if event.id in failures:
                SentEmail.objects.filter(account_id=event.account_id, event_id=event.id).update(
                    error=failures[event.id], sent_at=sent_at
                )
    return len(ours) - len(failures)


def _drafts(events: list[Event]) -> list[tuple[Event, Draft, EmailMultiAlternatives]]:
    batch = EmailBatch(events)
    accounts: dict[str, tuple[Account, CollectionSettings, dict[str, EmailTemplate]]] = {}
    drafts = []
    for event in events:
        customer = batch.get(batch.customers, event, event.customer_id)
        if customer is None or not customer.email or event.type not in DRAFTERS:
            continue
        if event.account_id not in accounts:
            account = Account.objects.get(pk=event.account_id)
            accounts[event.account_id] = (
                account,
                collection_settings(account),
                email_templates_of(account),
            )
        account, settings_row, templates = accounts[event.account_id]
        draft = DRAFTERS[event.type](batch, event, account, customer, settings_row)
        if draft is None or not kind_enabled(settings_row, draft.kind):
            continue
        message = email_message(
            account=account,
            to=customer.email,
            wording=wording_of(templates, draft.kind),
            context=draft.context,
        )
        drafts.append((event, draft, message))
    return drafts


def _claim_row(event: Event, draft: Draft, message, claimed_at) -> SentEmail:
    return SentEmail(
        account_id=event.account_id,
        event_id=event.id,
        customer=draft.customer,
        kind=draft.kind,
        object_id=draft.object_id,
        to=draft.customer.email,
        subject=message.subject[:200],
        body=message.body,
        sent_at=claimed_at,
        error=UNCONFIRMED,
    )


def _send(ours: list[tuple[Event, EmailMultiAlternatives]]) -> dict[str, str]:
    """Sends each message over one open connection (no transaction open). The failures, by
    event id: any backend's failure is recorded on its row, never raised."""
    failures: dict[str, str] = {}
    connection = get_connection()
    try:
        connection.open()
    except Exception as exc:
        logger.warning("The mail server could not be reached: %s", exc)
        error = f"{type(exc).__name__}: {exc}"[:500]
        return {event.id: error for event, _ in ours}
    try:
        for event, message in ours:
            message.connection = connection
            try:
                message.send()
            except Exception as exc:
                logger.warning("Customer email for %s to %s failed: %s", event.id, message.to, exc)
                failures[event.id] = f"{type(exc).__name__}: {exc}"[:500]
    finally:
        connection.close()
    return failures
