"""Sending a batch of customer emails through the configured ``EMAIL_BACKEND``, over one open
connection, with no transaction open.

With Django's SMTP backend the connection it opens (host, port, TLS or SSL, login and timeout
from the settings) takes each message as the bytes ``email_mime`` writes, one
``sendmail(from, [to], bytes)`` each: building the message through Django's ``EmailMessage``
and the ``email`` package costs more than everything else in sending it. Any other backend
(locmem in the tests, console or file locally, one of a provider's) is given Django's
``EmailMultiAlternatives`` of the same email.
"""

import logging
from email.utils import formatdate, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.utils import DNS_NAME

from apps.collections.email_mime import Outgoing, address, mime_bytes

logger = logging.getLogger(__name__)


def email_message(email: Outgoing, *, connection=None) -> EmailMultiAlternatives:
    """The email as Django's message: plain text, with its HTML alternative."""
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        reply_to=[email.reply_to] if email.reply_to else None,
        connection=connection,
    )
    message.attach_alternative(email.html, "text/html")
    return message


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def emails_send(emails: list[tuple[str, Outgoing]]) -> dict[str, str]:
    """Sends each email over one open connection. The failures, by key: any backend's failure
    is returned for its email, never raised."""
    backend = get_connection()
    try:
        backend.open()
    except Exception as exc:
        logger.warning("The mail server could not be reached: %s", exc)
        return {key: _error(exc) for key, _ in emails}
    try:
        # Exactly Django's backend: a subclass may change how a message is sent.
        if type(backend) is SmtpBackend and backend.connection is not None:
            return _send_bytes(backend.connection, emails)
        return _send_messages(backend, emails)
    finally:
        backend.close()


def _send_bytes(connection, emails: list[tuple[str, Outgoing]]) -> dict[str, str]:
    failures: dict[str, str] = {}
    try:
        sender = address(settings.DEFAULT_FROM_EMAIL)
    except ValueError as exc:
        return {key: _error(exc) for key, _ in emails}
    localtime = settings.EMAIL_USE_LOCALTIME
    for key, email in emails:
        try:
            raw = mime_bytes(
                email,
                from_header=sender,
                date=formatdate(localtime=localtime),
                message_id=make_msgid(domain=str(DNS_NAME)),
            )
            connection.sendmail(sender, [address(email.to)], raw)
        except Exception as exc:
            logger.warning("Customer email %s to %s failed: %s", key, email.to, exc)
            failures[key] = _error(exc)
    return failures


def _send_messages(backend, emails: list[tuple[str, Outgoing]]) -> dict[str, str]:
    failures: dict[str, str] = {}
    for key, email in emails:
        try:
            email_message(email, connection=backend).send()
        except Exception as exc:
            logger.warning("Customer email %s to %s failed: %s", key, email.to, exc)
            failures[key] = _error(exc)
    return failures
