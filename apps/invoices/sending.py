"""``POST /v1/invoices/:id/send``: a finalized ``send_invoice`` invoice emailed to its customer
with the link to its hosted page.

The email goes out before anything is recorded and outside any transaction: ``sent_at``, the
``invoice.sent`` event and the audit entry say only what the mail server accepted.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from apps.accounts.audit import change_record
from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import Actor
from apps.core.errors import ApplicationError, InvalidRequestError, ResourceMissingError
from apps.core.money import format_amount
from apps.invoices.documents import hosted_invoice_url
from apps.invoices.drafts import invoice_locked
from apps.invoices.models import Invoice
from apps.invoices.services import invoice_render

SENDABLE = ("open", "paid", "uncollectible")


class EmailNotSent(ApplicationError):
    """The mail server refused or could not be reached; nothing was recorded."""

    type = "api_error"
    http_status = 502


def _sendable_check(invoice: Invoice) -> None:
    if invoice.collection_method != "send_invoice":
        raise InvalidRequestError(
            "You can only manually send an invoice if its collection method is 'send_invoice'.",
            code="invoice_not_sendable",
        )
    if invoice.status not in SENDABLE:
        raise InvalidRequestError(
            f"Invoice {invoice.id} is {invoice.status}; only finalized invoices that are not "
            "void can be sent.",
            code="invoice_not_sendable",
        )
    if not invoice.customer.email:
        raise InvalidRequestError(
            f"Customer {invoice.customer_id} has no email address to send the invoice to.",
            code="customer_email_missing",
        )


def invoice_email(invoice: Invoice) -> EmailMultiAlternatives:
    """The email of an invoice: subject, amount due, due date and the hosted page's link."""
    customer = invoice.customer
    context = {
        "account_name": invoice.account.name,
        "customer_name": customer.name or customer.email,
        "number": invoice.number or invoice.id,
        "amount_due": format_amount(invoice.amount_due - invoice.amount_paid, invoice.currency),
        "due_date": invoice.due_date,
        "description": invoice.description,
        "footer": invoice.footer,
        "hosted_url": hosted_invoice_url(invoice),
    }
    subject = render_to_string("invoices/email/invoice_sent_subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string("invoices/email/invoice_sent.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[customer.email],
    )
    message.attach_alternative(
        render_to_string("invoices/email/invoice_sent.html", context), "text/html"
    )
    return message


def invoice_send(*, account: Account, invoice_id: str, actor: Actor) -> Invoice:
    invoice = (
        Invoice.objects.select_related("account", "customer")
        .filter(account=account, id=invoice_id)
        .first()
    )
    if invoice is None:
        raise ResourceMissingError("invoice", invoice_id)
    _sendable_check(invoice)
    try:
        invoice_email(invoice).send()
    except OSError as exc:  # smtplib's errors are OSErrors
        raise EmailNotSent(
            "The invoice email could not be sent; nothing was recorded. Try again.",
            code="email_not_sent",
        ) from exc
    with transaction.atomic():
        invoice = invoice_locked(account, invoice_id)
        invoice.sent_at = clock.now(test_clock_id=invoice.customer.test_clock_id)
        invoice.save(update_fields=["sent_at", "updated_at"])
        change_record(
            account=account,
            actor=actor,
            type="invoice.sent",
            object_type="invoice",
            data_object=invoice_render(invoice),
        )
    return invoice
