"""The wording of customer emails and its restricted renderer: a pure core (no ORM, no clock).

An account may rewrite each kind of email (``EmailTemplate``). What it writes is plain text with
placeholders, ``{{ customer_name }}``, and nothing else: no tags, filters, attribute lookups or
expressions. Rendering substitutes plain strings from a fixed context built by Ledgerline
(apps.collections.emails), so a template can never reach a model, a setting or any other data.
Templates are checked when saved (``template_errors``): an unknown or malformed placeholder is
refused with a message saying which and what is available.
"""

import re
from dataclasses import dataclass
from html import escape

from apps.collections.models import EmailTemplate

Kind = EmailTemplate.Kind

# Every placeholder and what it holds (shown to staff beside the editor).
PLACEHOLDERS: dict[str, str] = {
    "customer_name": "The customer's name (their email address when they have no name)",
    "account_name": "Your business name",
    "amount": "The amount, with its currency (e.g. $25.00)",
    "invoice_number": "The invoice's number",
    "hosted_invoice_url": "The link to the invoice's page, where it can be paid",
    "update_payment_method_url": "The link where the customer replaces their payment method",
    "next_retry_date": "When the payment is tried again (empty when no retry is left)",
    "renewal_date": "When the subscription renews",
    "card_brand": "The card's brand (e.g. Visa)",
    "card_last4": "The card number's last four digits",
    "card_expiry": "The card's expiry, MM/YYYY",
}
_COMMON = ("customer_name", "account_name")
_CARD = ("card_brand", "card_last4", "card_expiry")
_DUNNING = (
    *_COMMON,
    "amount",
    "invoice_number",
    "hosted_invoice_url",
    "update_payment_method_url",
    "next_retry_date",
    *_CARD,
)
# The placeholders each kind of email may use (the others mean nothing for it).
KIND_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    Kind.PAYMENT_FAILED: _DUNNING,
    Kind.FINAL_NOTICE: _DUNNING,
    Kind.RECEIPT: (*_COMMON, "amount", "invoice_number", "hosted_invoice_url", *_CARD),
    Kind.UPCOMING_RENEWAL: (
        *_COMMON,
        "amount",
        "renewal_date",
        "update_payment_method_url",
        *_CARD,
    ),
    Kind.CARD_EXPIRING: (*_COMMON, "update_payment_method_url", *_CARD),
}
# Placeholders holding links: the HTML alternative makes them clickable.
URL_PLACEHOLDERS = frozenset({"hosted_invoice_url", "update_payment_method_url"})
SUBJECT_MAX = 200
BODY_MAX = 20_000


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str


BUILT_IN: dict[str, Wording] = {
    Kind.PAYMENT_FAILED: Wording(
        subject="Your payment to {{ account_name }} did not go through",
        body="""Hello {{ customer_name }},

We tried to charge {{ amount }} for invoice {{ invoice_number }} from {{ account_name }}, but the payment did not go through.

We will try again on {{ next_retry_date }}. To make sure it succeeds, update your payment method and we will charge it right away:
{{ update_payment_method_url }}

You can also view and pay the invoice here:
{{ hosted_invoice_url }}

Thank you,
{{ account_name }}""",  # noqa: E501 (one paragraph a line, as the email is written)
    ),
    Kind.FINAL_NOTICE: Wording(
        subject="Final notice: your payment to {{ account_name }} is overdue",
        body="""Hello {{ customer_name }},

We still have not been able to collect {{ amount }} for invoice {{ invoice_number }} from {{ account_name }}. This is our final notice: if the invoice stays unpaid, your subscription may be canceled.

Update your payment method and we will charge it right away:
{{ update_payment_method_url }}

Or view and pay the invoice here:
{{ hosted_invoice_url }}

Thank you,
{{ account_name }}""",  # noqa: E501 (one paragraph a line, as the email is written)
    ),
    Kind.RECEIPT: Wording(
        subject="Your receipt from {{ account_name }} for invoice {{ invoice_number }}",
        body="""Hello {{ customer_name }},

Thank you for your payment of {{ amount }} to {{ account_name }} for invoice {{ invoice_number }}.

View the invoice or download it as a PDF:
{{ hosted_invoice_url }}

{{ account_name }}""",  # noqa: E501 (one paragraph a line, as the email is written)
    ),
    Kind.UPCOMING_RENEWAL: Wording(
        subject="Your {{ account_name }} subscription renews on {{ renewal_date }}",
        body="""Hello {{ customer_name }},

Your subscription with {{ account_name }} renews on {{ renewal_date }}, for {{ amount }}.

To check or change the payment method it will be charged to:
{{ update_payment_method_url }}

{{ account_name }}""",  # noqa: E501 (one paragraph a line, as the email is written)
    ),
    Kind.CARD_EXPIRING: Wording(
        subject="Your {{ card_brand }} card ending in {{ card_last4 }} expires soon",
        body="""Hello {{ customer_name }},

The {{ card_brand }} card ending in {{ card_last4 }} that you use to pay {{ account_name }} expires at the end of this month ({{ card_expiry }}).

To keep your payments going without interruption, add your new card here:
{{ update_payment_method_url }}

Thank you,
{{ account_name }}""",  # noqa: E501 (one paragraph a line, as the email is written)
    ),
}

# A well-formed placeholder: a name (lowercase letters, digits, underscores) in double braces.
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")
# Anything in double braces, to find the malformed ones.
_BRACED = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def template_errors(kind: str, text: str) -> list[str]:
    """What is wrong with a subject or body an account wrote for ``kind``; [] when nothing."""
    allowed = KIND_PLACEHOLDERS[kind]
    errors: list[str] = []
    if "{%" in text or "%}" in text:
        errors.append("Template tags ({% … %}) are not supported: use placeholders only.")
    if "{#" in text:
        errors.append("Template comments ({# … #}) are not supported.")
    for match in _BRACED.finditer(text):
        inner = match.group(1).strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]*", inner):
            errors.append(
                f"{match.group(0)} is not a placeholder: write a name alone in double braces, "
                "such as {{ customer_name }} (no dots, filters or spaces inside the name)."
            )
        elif inner not in allowed:
            errors.append(
                f"Unknown placeholder {{{{ {inner} }}}} in this email; available: "
                + ", ".join(allowed)
                + "."
            )
    leftover = _BRACED.sub("", text)
    if "{{" in leftover or "}}" in leftover:
        errors.append("Unbalanced braces: every {{ needs its }}.")
    return errors


def subject_errors(kind: str, subject: str) -> list[str]:
    errors = template_errors(kind, subject)
    if not subject.strip():
        errors.insert(0, "The subject cannot be empty.")
    elif "\n" in subject or "\r" in subject:
        errors.insert(0, "The subject must be a single line.")
    elif len(subject) > SUBJECT_MAX:
        errors.insert(0, f"The subject is limited to {SUBJECT_MAX} characters.")
    return errors


def body_errors(kind: str, body: str) -> list[str]:
    errors = template_errors(kind, body)
    if not body.strip():
        errors.insert(0, "The body cannot be empty.")
    elif len(body) > BODY_MAX:
        errors.insert(0, f"The body is limited to {BODY_MAX:,} characters.")
    return errors


def render_text(text: str, context: dict[str, str]) -> str:
    """``text`` with each placeholder replaced by its context value ('' when absent): plain
    substitution, never evaluated, and values are not scanned again for placeholders."""
    return _PLACEHOLDER.sub(lambda match: context.get(match.group(1), ""), text)


def render_subject(subject: str, context: dict[str, str]) -> str:
    """One line: whitespace (line breaks a value may carry included) collapsed."""
    return " ".join(render_text(subject, context).split())


def render_html(body: str, context: dict[str, str]) -> str:
    """The body as HTML paragraphs: its text and values escaped, link placeholders clickable."""
    pieces: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(body):
        pieces.append(escape(body[position : match.start()]))
        name = match.group(1)
        value = escape(context.get(name, ""))
        if name in URL_PLACEHOLDERS and value:
            pieces.append(f'<a href="{value}">{value}</a>')
        else:
            pieces.append(value)
        position = match.end()
    pieces.append(escape(body[position:]))
    paragraphs = re.split(r"\n\s*\n", "".join(pieces).strip())
    return "\n".join(
        f"<p>{paragraph.strip().replace(chr(10), '<br>')}</p>" for paragraph in paragraphs
    )


# What the dashboard's preview fills the placeholders with (the account's own name added).
SAMPLE_CONTEXT: dict[str, str] = {
    "customer_name": "Jenny Rosen",
    "amount": "$49.00",
    "invoice_number": "A1B2C3D4-0007",
    "hosted_invoice_url": "https://billing.example.com/i/sample/",
    "update_payment_method_url": "https://billing.example.com/payment_method/sample/",
    "next_retry_date": "March 14, 2025",
    "renewal_date": "April 1, 2025",
    "card_brand": "Visa",
    "card_last4": "4242",
    "card_expiry": "04/2025",
}
