"""Customer emails as an SMTP server receives them (apps.collections.email_mime, email_sender):
the bytes written without Django's generator parse, with the ``email`` package's modern policy,
into the same email Django's ``EmailMultiAlternatives`` would send — headers, both bodies —
for ASCII and non-ASCII customers, long lines and lines starting with a dot."""

import email
import email.policy
from datetime import UTC, datetime

import pytest
from django.core import mail

from apps.accounts.models import Account
from apps.collections.email_mime import Outgoing, address, mime_bytes
from apps.collections.email_sender import email_message
from apps.collections.emails import customer_emails_send
from apps.collections.models import EmailTemplate, SentEmail
from apps.core.models import Event
from apps.customers.models import Customer
from tests.collections.dunning import subscribe

CUSTOMERS = {
    "pat@example.com": "Pat Lee",
    "taro@example.jp": "山田太郎",
    "zoe@example.com": "Zoë",
}


def _receipts(account) -> list[str]:
    for to, name in CUSTOMERS.items():
        subscribe(account, email=to)
        Customer.objects.filter(account=account, email=to).update(name=name)
    SentEmail.objects.all().delete()
    return list(Event.objects.filter(type="invoice.paid").values_list("id", flat=True))


def _received(sink) -> dict[str, tuple[bytes, email.message.EmailMessage]]:
    return {
        to: (raw, email.message_from_bytes(raw, policy=email.policy.default))
        for raw, (to,) in sink.messages
    }


def _bodies(message) -> tuple[str, str]:
    text, html = message.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    return text.get_content(), html.get_content()


def _unix(text: str) -> str:
    return text.replace("\r\n", "\n")


@pytest.mark.parametrize("account_name", ["Acme", "Café Zoë"])
def test_the_sent_bytes_parse_into_the_email_for_ascii_and_non_ascii_customers(
    acme, smtp_sink, settings, account_name
):
    Account.objects.filter(pk=acme.account.pk).update(name=account_name, email="help@acme.test")
    event_ids = _receipts(acme.account)

    before = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    assert customer_emails_send(event_ids=event_ids) == 3
    after = datetime.now(UTC).replace(tzinfo=None)

    received = _received(smtp_sink)
    assert sorted(received) == sorted(CUSTOMERS)
    for row in SentEmail.objects.all():
        raw, message = received[row.to]
        # Everything non-ASCII is encoded, and no line is over SMTP's 998 bytes.
        assert raw.isascii()
        assert max(len(line) for line in raw.split(b"\r\n")) <= 998
        assert message["From"] == settings.DEFAULT_FROM_EMAIL
        assert message["To"] == row.to
        assert message["Reply-To"] == "help@acme.test"
        assert message["Subject"] == row.subject
        assert row.subject.startswith(f"Your receipt from {account_name} for invoice ")
        assert message["MIME-Version"] == "1.0"
        # UTC, written "-0000" as Django writes it (EMAIL_USE_LOCALTIME off).
        assert before <= message["Date"].datetime <= after
        assert message["Message-ID"].startswith("<")
        assert message["Message-ID"].endswith(">")
        assert message.get_content_type() == "multipart/alternative"
        text, html = _bodies(message)
        name = CUSTOMERS[row.to]
        assert _unix(text) == row.body
        assert row.body.startswith(f"Hello {name},\n\nThank you for your payment of $25.00")
        assert f"<p>Hello {name},</p>" in html
        assert f"<title>{account_name}</title>" in html
        encoding = "7bit" if (name + account_name).isascii() else "quoted-printable"
        for part in message.iter_parts():
            assert part["Content-Transfer-Encoding"] == encoding


def test_long_lines_and_leading_dots_arrive_as_written(acme, smtp_sink):
    paragraph = "Merci, {{ customer_name }}. " + "Ceci est une très longue ligne. " * 60
    EmailTemplate.objects.create(
        account=acme.account,
        kind="receipt",
        subject="Reçu {{ invoice_number }}",
        body=f"{paragraph}\n.\n..two dots\n. {{{{ amount }}}}",
    )
    event_ids = _receipts(acme.account)

    assert customer_emails_send(event_ids=event_ids) == 3

    received = _received(smtp_sink)
    for row in SentEmail.objects.all():
        raw, message = received[row.to]
        assert max(len(line) for line in raw.split(b"\r\n")) <= 998
        assert len(row.body.split("\n")[0].encode()) > 998
        text, html = _bodies(message)
        assert _unix(text) == _unix(row.body)
        assert _unix(text).split("\n")[1:] == [".", "..two dots", ". $25.00"]
        assert message["Subject"] == row.subject
        assert row.subject.startswith("Reçu ")
        assert html.count("<p>") == 1
        assert "<br>.<br>..two dots<br>. $25.00</p>" in html


def _django(outgoing: Outgoing) -> email.message.EmailMessage:
    raw = email_message(outgoing).message().as_bytes(linesep="\r\n")
    return email.message_from_bytes(raw, policy=email.policy.default)


@pytest.mark.parametrize(
    "outgoing",
    [
        Outgoing(to="pat@example.com", subject="Hi", text="Hello\n", html="<p>Hello</p>"),
        Outgoing(
            to="Zoë Ünal <zoe@exämple.com>",
            subject=" ".join(["Ihre Rechnung von Müller & Söhne"] * 5),
            text="Grüße,\r\n" + "x" * 1200 + "\n.\n",
            html="<p>Grüße</p>",
            reply_to="Müller <help@example.com>",
        ),
        Outgoing(to="pat@example.com", subject="A" * 150, text="Hi", html="<p>Hi</p>"),
        Outgoing(
            to="pat@example.com", subject=" ".join(["word"] * 300), text="Hi", html="<p>Hi</p>"
        ),
    ],
)
def test_the_bytes_say_what_djangos_message_says(settings, outgoing):
    sender = address(settings.DEFAULT_FROM_EMAIL)
    raw = mime_bytes(
        outgoing, from_header=sender, date="Mon, 07 Dec 2026 10:00:00 -0000", message_id="<1@x>"
    )
    ours = email.message_from_bytes(raw, policy=email.policy.default)
    theirs = _django(outgoing)

    # Django's folding of a long subject leaves a space before it.
    assert ours["Subject"] == outgoing.subject == theirs["Subject"].lstrip()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    for header in ("From", "To", "Reply-To", "MIME-Version", "Content-Type"):
        assert str(ours[header]).split(";")[0] == str(theirs[header]).split(";")[0], header
    assert [_unix(body) for body in _bodies(ours)] == [_unix(body) for body in _bodies(theirs)]


def test_an_address_with_a_line_break_fails_that_email_only(acme, smtp_sink):
    event_ids = _receipts(acme.account)
    Customer.objects.filter(email="taro@example.jp").update(email="taro@example.jp\r\nBcc: x@y.z")

    assert customer_emails_send(event_ids=event_ids) == 2

    assert sorted(to for _raw, (to,) in smtp_sink.messages) == [
        "pat@example.com",
        "zoe@example.com",
    ]
    failed = SentEmail.objects.exclude(error="").get()
    assert failed.error.startswith("ValueError: Invalid address")


def test_other_backends_get_djangos_message(acme, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    event_ids = _receipts(acme.account)

    assert customer_emails_send(event_ids=event_ids) == 3

    assert sorted(message.to[0] for message in mail.outbox) == sorted(CUSTOMERS)
    for message in mail.outbox:
        row = SentEmail.objects.get(to=message.to[0])
        assert (message.subject, message.body) == (row.subject, row.body)
        [(html, mimetype)] = message.alternatives
        assert mimetype == "text/html"
        assert f"<p>Hello {CUSTOMERS[row.to]},</p>" in html
