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
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from apps.accounts.models import Account
from apps.collections import email_templates
from apps.collections.email_templates import BUILT_IN, Kind, Wording
from apps.collections.models import CollectionSettings, EmailTemplate, PaymentAttempt, SentEmail
from apps.collections.payment_method_page import (
    current_payment_method,
    update_payment_method_url,
)
from apps.collections.schedule import is_last_retry
from apps.collections.selectors import collection_settings, email_templates_of, retry_policy_for
from apps.core import clock
from apps.core.models import Event
from apps.core.money import format_amount
from apps.core.queue import task_named
from apps.customers.models import Customer, PaymentMethod
from apps.customers.payment_method_render import brand_name
from apps.invoices.documents import hosted_invoice_url
from apps.invoices.models import Invoice
from apps.payments.models import Charge
from apps.subscriptions.models import Subscription

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


@dataclass(frozen=True)
class Draft:
    kind: str
    customer: Customer
    object_id: str
    context: dict[str, str]


def _date(moment: datetime | int | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, int):
        moment = clock.from_epoch(moment)
    return f"{moment:%B} {moment.day}, {moment.year}"


def _card_context(card: PaymentMethod | None) -> dict[str, str]:
    if card is None or not card.last4:
        return {"card_brand": "", "card_last4": "", "card_expiry": ""}
    expiry = f"{card.exp_month:02d}/{card.exp_year}" if card.exp_month and card.exp_year else ""
    return {"card_brand": brand_name(card), "card_last4": card.last4, "card_expiry": expiry}


def _base_context(account: Account, customer: Customer) -> dict[str, str]:
    return {
        "customer_name": customer.name or customer.email,
        "account_name": account.name,
        "update_payment_method_url": update_payment_method_url(customer),
    }


def _open_invoice(account: Account, invoice_id: str) -> Invoice | None:
    return Invoice.objects.filter(account=account, id=invoice_id, status="open").first()


def _card_of_last_attempt(invoice: Invoice, customer: Customer) -> PaymentMethod | None:
    attempted = (
        PaymentAttempt.objects.filter(invoice=invoice)
        .exclude(payment_method_id="")
        .order_by("-attempted_at", "-id")
        .values_list("payment_method_id", flat=True)
        .first()
    )
    if attempted:
        return PaymentMethod.objects.filter(account_id=invoice.account_id, id=attempted).first()
    return current_payment_method(customer)


def _payment_failed(event, account, customer, settings_row) -> Draft | None:
    data = event.data_object
    invoice = _open_invoice(account, data["id"])
    if invoice is None:  # paid, voided or written off since
        return None
    next_attempt = data.get("next_payment_attempt")
    last = next_attempt is None or is_last_retry(
        retry_policy_for(invoice, settings_row), attempt_count=data.get("attempt_count") or 0
    )
    return Draft(
        kind=Kind.FINAL_NOTICE if last else Kind.PAYMENT_FAILED,
        customer=customer,
        object_id=invoice.id,
        context={
            **_base_context(account, customer),
            **_card_context(_card_of_last_attempt(invoice, customer)),
            "amount": format_amount(data["amount_remaining"], data["currency"]),
            "invoice_number": invoice.number or invoice.id,
            "hosted_invoice_url": hosted_invoice_url(invoice) or "",
            "next_retry_date": _date(next_attempt),
        },
    )


def _receipt(event, account, customer, settings_row) -> Draft | None:
    data = event.data_object
    invoice = Invoice.objects.filter(account=account, id=data["id"]).first()
    if invoice is None:
        return None
    charge = (
        Charge.objects.select_related("payment_method")
        .filter(account=account, id=invoice.charge_id)
        .first()
        if invoice.charge_id
        else None
    )
    return Draft(
        kind=Kind.RECEIPT,
        customer=customer,
        object_id=invoice.id,
        context={
            **_base_context(account, customer),
            **_card_context(charge.payment_method if charge else None),
            "amount": format_amount(data["amount_paid"], data["currency"]),
            "invoice_number": invoice.number or invoice.id,
            "hosted_invoice_url": hosted_invoice_url(invoice) or "",
        },
    )


def _upcoming_renewal(event, account, customer, settings_row) -> Draft | None:
    data = event.data_object
    if (data.get("amount_due") or 0) <= 0:
        return None
    subscription = (
        Subscription.objects.select_related("default_payment_method")
        .filter(
            account=account,
            id=data.get("subscription"),
            canceled_at__isnull=True,
            cancel_at_period_end=False,
        )
        .first()
    )
    if subscription is None:
        return None
    card = subscription.default_payment_method or current_payment_method(customer)
    return Draft(
        kind=Kind.UPCOMING_RENEWAL,
        customer=customer,
        object_id=subscription.id,
        context={
            **_base_context(account, customer),
            **_card_context(card),
            "amount": format_amount(data["amount_due"], data["currency"]),
            "renewal_date": _date(data.get("period_end")),
        },
    )


def _card_expiring(event, account, customer, settings_row) -> Draft | None:
    card = PaymentMethod.objects.filter(
        account=account,
        id=event.data_object["id"],
        customer=customer,
        detached_at__isnull=True,
        closed_at__isnull=True,
    ).first()
    if card is None:
        return None
    return Draft(
        kind=Kind.CARD_EXPIRING,
        customer=customer,
        object_id=card.id,
        context={**_base_context(account, customer), **_card_context(card)},
    )


_DRAFTERS = {
    "invoice.payment_failed": _payment_failed,
    "invoice.paid": _receipt,
    "invoice.upcoming": _upcoming_renewal,
    "customer.source.expiring": _card_expiring,
}


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
    backend took."""
    sent = 0
    accounts: dict[str, tuple[Account, CollectionSettings, dict[str, EmailTemplate]]] = {}
    for event in Event.objects.filter(pk__in=event_ids).order_by("id"):
        if event.account_id not in accounts:
            account = Account.objects.get(pk=event.account_id)
            accounts[event.account_id] = (
                account,
                collection_settings(account),
                email_templates_of(account),
            )
        account, settings_row, templates = accounts[event.account_id]
        customer = Customer.objects.filter(
            account=account, id=event.customer_id, deleted_at__isnull=True
        ).first()
        if customer is None or not customer.email or event.type not in _DRAFTERS:
            continue
        draft = _DRAFTERS[event.type](event, account, customer, settings_row)
        if draft is None or not kind_enabled(settings_row, draft.kind):
            continue
        sent += _deliver(event, account, draft, wording_of(templates, draft.kind))
    return sent


def _deliver(event: Event, account: Account, draft: Draft, wording: Wording) -> bool:
    message = email_message(
        account=account,
        to=draft.customer.email,
        wording=wording,
        context=draft.context,
    )
    with transaction.atomic():
        row, claimed = SentEmail.objects.get_or_create(
            account=account,
            event_id=event.id,
            defaults={
                "customer": draft.customer,
                "kind": draft.kind,
                "object_id": draft.object_id,
                "to": draft.customer.email,
                "subject": message.subject[:200],
                "body": message.body,
                "sent_at": clock.now(),
                "error": UNCONFIRMED,
            },
        )
    if not claimed:
        return False
    try:
        message.send()
    except Exception as exc:  # any backend's failure is recorded on the row, never raised
        logger.warning("Customer email %s to %s failed: %s", row.pk, row.to, exc)
        error = f"{type(exc).__name__}: {exc}"[:500]
    else:
        error = ""
    SentEmail.objects.filter(pk=row.pk).update(error=error, sent_at=clock.now())
    return not error
