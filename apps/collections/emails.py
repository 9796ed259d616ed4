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

from contextlib import nullcontext

from django.db import transaction
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from apps.accounts.models import Account
from apps.collections import email_templates
from apps.collections.email_drafts import DRAFTERS, Draft, EmailBatch
from apps.collections.email_mime import Outgoing
from apps.collections.email_sender import emails_send
from apps.collections.email_templates import BUILT_IN, Wording
from apps.collections.models import CollectionSettings, EmailTemplate, SentEmail
from apps.collections.selectors import collection_settings, email_templates_of
from apps.core import clock
from apps.core.bulk import rows_insert_new
from apps.core.models import Event
from apps.core.queue import task_named

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


# What the HTML frame's content is replaced with to split the frame once per account: markup
# the frame's escaped values (the account's name) can never hold.
_CONTENT = "<content/>"


def html_frame(account: Account) -> tuple[str, str]:
    """The HTML alternative's frame for ``account``, before and after the content: rendered
    once per batch, not once per email."""
    html = render_to_string(
        "collections/email/message.html",
        {"content": mark_safe(_CONTENT), "account_name": account.name},  # noqa: S308 (a constant)
    )
    before, found, after = html.partition(_CONTENT)
    if not found or _CONTENT in after:
        raise ValueError("The email frame must show its content once, as it is.")
    return before, after


def email_outgoing(
    *, account: Account, frame: tuple[str, str], to: str, wording: Wording, context: dict
) -> Outgoing:
    """The email: plain text, with an HTML alternative of the same wording in the account's
    frame (``html_frame``)."""
    return Outgoing(
        to=to,
        subject=email_templates.render_subject(wording.subject, context),
        text=email_templates.render_text(wording.body, context),
        html=frame[0] + email_templates.render_html(wording.body, context) + frame[1],
        reply_to=account.email or "",
    )


# --- sending ---------------------------------------------------------------------------------


def customer_emails_send(*, event_ids: list[str]) -> int:
    """The emails of these events (queued by the consumers), each sent once. How many the
    backend took.

    The batch is drafted from a few set-based reads (``EmailBatch``), claimed with one insert
    (the ``SentEmail`` unique per event decides which emails are this run's to send), sent over
    one connection to the mail server, and the outcomes recorded with one update for those the
    backend took and one per failure."""
    events = list(
        Event.objects.filter(pk__in=event_ids)
        .only("id", "account_id", "type", "customer_id", "data_object")
        .order_by("id")
    )
    drafts = _drafts(events)
    if not drafts:
        return 0
    claimed_at = clock.now()
    claimed = set(
        rows_insert_new(
            SentEmail,
            [_claim_row(event, draft, email, claimed_at) for event, draft, email in drafts],
            returning="event_id",
        )
    )
    ours = [(event, email) for event, _draft, email in drafts if event.id in claimed]
    if not ours:
        return 0
    failures = emails_send([(event.id, email) for event, email in ours])
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


def _drafts(events: list[Event]) -> list[tuple[Event, Draft, Outgoing]]:
    batch = EmailBatch(events)
    accounts: dict[str, tuple] = {}
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
                html_frame(account),
            )
        account, settings_row, templates, frame = accounts[event.account_id]
        draft = DRAFTERS[event.type](batch, event, account, customer, settings_row)
        if draft is None or not kind_enabled(settings_row, draft.kind):
            continue
        outgoing = email_outgoing(
            account=account,
            frame=frame,
            to=customer.email,
            wording=wording_of(templates, draft.kind),
            context=draft.context,
        )
        drafts.append((event, draft, outgoing))
    return drafts


def _claim_row(event: Event, draft: Draft, email: Outgoing, claimed_at) -> SentEmail:
    return SentEmail(
        account_id=event.account_id,
        event_id=event.id,
        customer_id=draft.customer.id,
        kind=draft.kind,
        object_id=draft.object_id,
        to=email.to,
        subject=email.subject[:200],
        body=email.text,
        sent_at=claimed_at,
        error=UNCONFIRMED,
    )
