"""A customer email as the bytes an SMTP server takes: a pure core (no ORM, no settings).

The emails are all one shape — a plain-text body with an HTML alternative of the same wording —
so their MIME form is written directly rather than through the ``email`` package's generator,
which costs about as much as drafting the email from the database. The ``email`` package is
used only where something needs encoding: RFC 2047 words for a non-ASCII or long subject and
Django's ``sanitize_address`` for an address that is not plain ASCII. A body is sent as 7bit
when it is ASCII with no line over 998 bytes, quoted-printable otherwise, so the message is
valid for any server (8BITMIME or not). Line ends are CRLF; dot-stuffing is smtplib's.
"""

import binascii
import random
import re
from dataclasses import dataclass
from email.header import Header

from django.core.mail.message import sanitize_address

_LINE_MAX = 998
# An address Django's sanitize_address returns unchanged: ASCII, no display name, no quoting.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")
_random = random.SystemRandom()


@dataclass(frozen=True)
class Outgoing:
    """One customer email: who it goes to and what it says."""

    to: str
    subject: str
    text: str
    html: str
    reply_to: str = ""


def address(value: str) -> str:
    """An address as a header holds it (and as the envelope gives it); ValueError when it is
    not an address (a line break in it included)."""
    if _PLAIN_ADDRESS.fullmatch(value):
        return value
    return sanitize_address(value, "utf-8")


def subject_header(subject: str) -> str:
    """The subject as is when it is ASCII and fits a line (``render_subject`` made it one line),
    else RFC 2047 words, folded (words of UTF-8 can break anywhere, unlike ASCII text)."""
    if subject.isascii() and len(subject) + len("Subject: ") <= _LINE_MAX:
        return subject
    return Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")


def _part(content_type: str, text: str) -> bytes:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if text.isascii() and max(map(len, lines)) <= _LINE_MAX:
        encoding, payload = "7bit", "\r\n".join(lines).encode("ascii")
    else:
        encoding = "quoted-printable"
        payload = binascii.b2a_qp("\r\n".join(lines).encode(), istext=True)
    return (
        f'Content-Type: {content_type}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    ).encode("ascii") + payload


def mime_bytes(email: Outgoing, *, from_header: str, date: str, message_id: str) -> bytes:
    """The message: multipart/alternative, text then HTML, headers as Django writes them.
    ``from_header`` is ``address(DEFAULT_FROM_EMAIL)``; ``date`` and ``message_id`` as
    ``email.utils.formatdate`` and ``make_msgid`` give them."""
    text = _part("text/plain", email.text)
    html = _part("text/html", email.html)
    boundary = f"==============={_random.getrandbits(63):019d}=="
    while boundary.encode() in text or boundary.encode() in html:
        boundary = f"==============={_random.getrandbits(63):019d}=="
    reply_to = f"Reply-To: {address(email.reply_to)}\r\n" if email.reply_to else ""
    head = (
        f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n'
        "MIME-Version: 1.0\r\n"
        f"Subject: {subject_header(email.subject)}\r\n"
        f"From: {from_header}\r\n"
        f"To: {address(email.to)}\r\n"
        f"{reply_to}"
        f"Date: {date}\r\n"
        f"Message-ID: {message_id}\r\n\r\n"
        f"--{boundary}\r\n"
    ).encode("ascii")
    separator = f"\r\n--{boundary}\r\n".encode("ascii")
    return head + text + separator + html + f"\r\n--{boundary}--\r\n".encode("ascii")
