"""Customer emails in batches (apps.collections.emails): drafted with a fixed number of queries
whatever the batch's size, claimed once per event, sent over one SMTP connection to a real
server (aiosmtpd on 127.0.0.1), and nothing lost or doubled when a task runs again."""

from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.collections.emails import customer_emails_send
from apps.collections.models import SentEmail
from apps.core.models import Event
from tests.collections.dunning import failing_renewal, subscribe


def _paid_events(account, count: int) -> list[str]:
    for n in range(count):
        subscribe(account, email=f"c{n}@example.com")
    return list(
        Event.objects.filter(type="invoice.paid").order_by("id").values_list("id", flat=True)
    )


def _queries(event_ids: list[str]) -> int:
    with CaptureQueriesContext(connection) as queries:
        customer_emails_send(event_ids=event_ids)
    return len(queries)


def test_a_batch_costs_the_same_queries_whatever_its_size(acme):
    """No email is drafted with queries of its own: 3 receipts and 12 cost the same."""
    small = _paid_events(acme.account, 3)
    SentEmail.objects.all().delete()
    few = _queries(small)
    more = _paid_events(acme.account, 9)
    SentEmail.objects.all().delete()
    mail.outbox.clear()
    many = _queries(more)

    assert len(more) == 12
    assert few == many
    assert len(mail.outbox) == 12
    assert SentEmail.objects.filter(error="").count() == 12


def test_the_emails_go_over_one_connection_once_each_however_often_the_task_runs(
    acme, at, smtp_sink
):
    failing_renewal(acme.account, at, email="late@example.com")
    for n in range(5):
        subscribe(acme.account, email=f"c{n}@example.com")
    event_ids = list(
        Event.objects.filter(type__in=("invoice.paid", "invoice.payment_failed")).values_list(
            "id", flat=True
        )
    )
    SentEmail.objects.all().delete()

    assert customer_emails_send(event_ids=event_ids) == 7  # six receipts and the failure notice
    assert customer_emails_send(event_ids=event_ids) == 0

    assert len(smtp_sink.messages) == 7
    assert len(smtp_sink.sessions) == 1
    recipients = sorted(to for _content, (to,) in smtp_sink.messages)
    assert recipients == sorted(
        [f"c{n}@example.com" for n in range(5)] + ["late@example.com", "late@example.com"]
    )
    assert SentEmail.objects.count() == 7
    assert set(SentEmail.objects.values_list("error", flat=True)) == {""}


def test_an_unreachable_mail_server_is_recorded_on_every_email_of_the_batch(acme, settings):
    event_ids = _paid_events(acme.account, 2)
    SentEmail.objects.all().delete()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    assert customer_emails_send(event_ids=event_ids) == 0

    rows = list(SentEmail.objects.all())
    assert len(rows) == 2
    assert all(row.error.startswith("ConnectionRefusedError") for row in rows)
    # Claimed: a second run does not send them again.
    assert customer_emails_send(event_ids=event_ids) == 0
    assert SentEmail.objects.count() == 2
