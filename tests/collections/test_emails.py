"""Customer emails (apps.collections.emails): each trigger sends its kind, recorded as a SentEmail
and shown on the customer's timeline; the account's toggles and wording apply."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from apps.collections.card_updater import card_update_apply
from apps.collections.emails import customer_emails_consume_batch, customer_emails_send
from apps.collections.models import CollectionSettings, EmailTemplate, SentEmail
from apps.core.actor import SYSTEM
from apps.core.events import events_record
from apps.core.models import Event
from apps.customers.api.params import customer_create_parse, customer_update_parse
from apps.customers.services import customer_create, customer_update
from apps.customers.services.payment_methods import customer_card_add
from apps.customers.services.payment_methods.requests import CardEntry
from apps.invoices.engine.periods import utc
from apps.subscriptions.services.notices import upcoming_invoices_notify
from tests.collections.dunning import RENEWED_AT, START, failing_renewal, subscribe
from tests.customers.conftest import staff_client  # noqa: F401

# The customer emails are sent by a task: inline here, whatever the broker.
pytestmark = pytest.mark.usefixtures("tasks_inline")


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Runs what the code under test queues for after its commit (the email tasks, inline)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _sent(kind=None):
    rows = SentEmail.objects.order_by("id")
    return list(rows.filter(kind=kind) if kind else rows)


def test_a_paid_invoice_sends_a_receipt_and_a_failed_renewal_a_payment_failed_email(
    acme, at, commits
):
    with commits():
        invoice = failing_renewal(acme.account, at)

    assert [row.kind for row in _sent()] == ["receipt", "payment_failed"]
    receipt, failed = mail.outbox
    assert receipt.to == ["pat@example.com"]
    assert receipt.subject.startswith("Your receipt from Acme for invoice ")
    assert "Thank you for your payment of $25.00 to Acme" in receipt.body

    assert failed.to == ["pat@example.com"]
    assert failed.subject == "Your payment to Acme did not go through"
    assert f"$25.00 for invoice {invoice.number}" in failed.body
    # The first retry of the default schedule, about 6.9 hours after the renewal.
    assert invoice.next_payment_attempt.date() == RENEWED_AT.date()
    assert "We will try again on February 1, 2025." in failed.body
    assert f"/i/{invoice.hosted_token}/" in failed.body
    assert "/payment_method/" in failed.body
    html, mimetype = failed.alternatives[0]
    assert mimetype == "text/html"
    assert f'<a href="http://127.0.0.1:8000/i/{invoice.hosted_token}/">' in html

    row = _sent("payment_failed")[0]
    event = Event.objects.get(type="invoice.payment_failed", object_id=invoice.id)
    assert (row.account_id, row.customer_id, row.object_id) == (
        acme.account.id,
        invoice.customer_id,
        invoice.id,
    )
    assert (row.event_id, row.to, row.subject, row.error) == (
        event.id,
        "pat@example.com",
        failed.subject,
        "",
    )
    assert row.body == failed.body


@pytest.mark.parametrize(
    "settings",
    [
        # One retry left after the first failure: the notice comes before the last try.
        {"retry_mode": "custom", "retry_delays": [3]},
        # No retry at all.
        {"retry_attempts": 1},
    ],
)
def test_a_failure_leaving_one_retry_or_none_sends_the_final_notice(acme, at, commits, settings):
    with commits():
        invoice = failing_renewal(acme.account, at, **settings)

    assert [row.kind for row in _sent()] == ["receipt", "final_notice"]
    notice = mail.outbox[-1]
    assert notice.subject == "Final notice: your payment to Acme is overdue"
    assert f"collect $25.00 for invoice {invoice.number}" in notice.body


def test_kinds_turned_off_send_nothing(acme, at, commits):
    CollectionSettings.objects.create(
        account=acme.account, email_receipt=False, email_payment_failed=False
    )
    with commits():
        failing_renewal(acme.account, at)

    assert mail.outbox == []
    assert _sent() == []
    assert Event.objects.filter(type="invoice.payment_failed").count() == 1


def test_a_customer_without_an_email_address_gets_nothing(acme, at, commits):
    with commits():
        subscription = subscribe(acme.account, email="")

    assert Event.objects.filter(type="invoice.paid", customer_id=subscription.customer_id)
    assert mail.outbox == []
    assert _sent() == []


def test_the_accounts_own_wording_is_used(acme, at, commits):
    EmailTemplate.objects.create(
        account=acme.account,
        kind="payment_failed",
        subject="{{ customer_name }}: {{ amount }} is still due",
        body="Pay {{ invoice_number }} at {{ hosted_invoice_url }} — {{ account_name }}",
    )
    with commits():
        invoice = failing_renewal(acme.account, at)

    failed = mail.outbox[-1]
    # A customer without a name is called by their email address.
    assert failed.subject == "pat@example.com: $25.00 is still due"
    assert failed.body == (
        f"Pay {invoice.number} at http://127.0.0.1:8000/i/{invoice.hosted_token}/ — Acme"
    )
    # The receipt kept the built-in wording.
    assert mail.outbox[0].subject.startswith("Your receipt from Acme")


def test_an_event_sends_its_email_once_however_often_its_task_runs(acme, at, commits):
    with commits():
        failing_renewal(acme.account, at)
    event_ids = list(
        Event.objects.filter(type__in=("invoice.paid", "invoice.payment_failed")).values_list(
            "id", flat=True
        )
    )

    assert customer_emails_send(event_ids=event_ids) == 0

    assert len(mail.outbox) == 2
    assert len(_sent()) == 2


def test_a_failure_of_the_mail_server_is_recorded(acme, at, commits, monkeypatch):
    def refuse(message, fail_silently=False):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    with commits():
        subscribe(acme.account)

    assert mail.outbox == []
    [row] = _sent()
    assert (row.kind, row.to) == ("receipt", "pat@example.com")
    assert row.error == "ConnectionRefusedError: [Errno 111] Connection refused"


def test_an_invoice_paid_meanwhile_gets_no_payment_failed_email(acme, at, commits):
    with commits():
        invoice = failing_renewal(acme.account, at)
    event = Event.objects.get(type="invoice.payment_failed", object_id=invoice.id)
    SentEmail.objects.filter(event_id=event.id).delete()
    type(invoice).objects.filter(pk=invoice.pk).update(status="paid")

    assert customer_emails_send(event_ids=[event.id]) == 0
    assert _sent("payment_failed") == []


def test_upcoming_renewal_email(acme, at, commits):
    with commits():
        subscription = subscribe(acme.account)
        customer_update(
            account=acme.account,
            customer_id=subscription.customer_id,
            **customer_update_parse({"name": "Pat Doe"}),
            actor=SYSTEM,
        )
    mail.outbox.clear()
    at(START + timedelta(days=26))
    with commits():
        assert upcoming_invoices_notify() == 1

    [email] = mail.outbox
    assert email.subject == "Your Acme subscription renews on February 1, 2025"
    assert "Hello Pat Doe," in email.body
    assert "renews on February 1, 2025, for $25.00." in email.body
    [row] = _sent("upcoming_renewal")
    assert row.object_id == subscription.id


def test_an_expiring_card_gets_its_email(acme, at, commits):
    customer = customer_create(
        account=acme.account, **customer_create_parse({"email": "card@example.com"}), actor=SYSTEM
    )
    at(utc(2025, 3, 20))
    card = customer_card_add(
        account=acme.account,
        customer=customer,
        card=CardEntry("4242424242424242", exp_month=4, exp_year=2025),
        actor=SYSTEM,
    )
    at(utc(2025, 4, 1, 0, 5))
    with commits():
        assert card_update_apply(payment_method_id=card.id)

    [email] = mail.outbox
    assert email.subject == "Your Visa card ending in 4242 expires soon"
    assert "expires at the end of this month (04/2025)" in email.body
    [row] = _sent()
    assert (row.kind, row.object_id, row.to) == ("card_expiring", card.id, "card@example.com")


def test_the_consumer_queues_one_task_per_transaction_without_a_query(
    acme, monkeypatch, django_assert_num_queries, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(
        "apps.collections.tasks.customer_emails_send_task.delay",
        lambda **kwargs: queued.append(kwargs),
    )
    invoice = {"object": "invoice", "customer": "cus_1", "currency": "usd"}
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events = events_record(
            account=acme.account,
            changes=[
                ("invoice.paid", {**invoice, "id": "in_1", "amount_paid": 100}, None),
                ("invoice.paid", {**invoice, "id": "in_2", "amount_paid": 0}, None),
                ("invoice.finalized", {**invoice, "id": "in_3"}, None),
                ("invoice.upcoming", {**invoice, "id": "upcoming_sub_1"}, None),
            ],
        )
        with django_assert_num_queries(0):
            customer_emails_consume_batch(events)

    # The paid invoice and the upcoming one, once each (the consumer ran inside events_record,
    # then again above: two batches of the same transaction, one task).
    assert queued == [{"event_ids": [events[0].id, events[3].id] * 2}]


def test_the_customer_timeline_shows_the_emails(staff_client, acme, at, commits):  # noqa: F811
    with commits():
        invoice = failing_renewal(acme.account, at)
    SentEmail.objects.filter(kind="receipt").update(error="SMTPServerDisconnected: gone")

    page = staff_client.get(f"/dashboard/customers/customer/{invoice.customer_id}/change/")

    html = page.content.decode()
    assert 'data-timeline-email="payment_failed"' in html
    assert 'data-timeline-email="receipt"' in html
    assert "Your payment to Acme did not go through" in html
    assert "not sent: SMTPServerDisconnected: gone" in html
    assert 'data-timeline-event="invoice.payment_failed"' in html
