"""What happens between renewals, per the account's billing settings (run by beat):

- ``invoice.upcoming`` N days before a renewal (once per period), with the previewed invoice;
- ``invoice.will_be_due`` N days before an open invoice's due date (once).
(Trial ends and scheduled cancellations are apps.subscriptions.services.trials and
.lifecycle.)
Each step is idempotent: what was done is recorded on the row it concerns, under a lock.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import F

from apps.accounts.audit import change_record
from apps.core import clock
from apps.core.actor import SYSTEM
from apps.core.locks import row_lock
from apps.invoices.models import Invoice
from apps.invoices.services import invoice_render
from apps.subscriptions.invoice_preview import invoice_preview
from apps.subscriptions.models import Subscription
from apps.subscriptions.services.billing import billing_settings
from apps.subscriptions.services.renewal_parts import RENEWABLE


def upcoming_invoices_notify() -> int:
    sent = 0
    now = clock.now()
    candidates = Subscription.objects.filter(
        status__in=RENEWABLE,
        customer__test_clock_id__isnull=True,
        current_period_end__gt=now,
        current_period_end__lte=now + timedelta(days=60),
    ).exclude(upcoming_sent_for=F("current_period_end"))
    for subscription_id in candidates.values_list("id", flat=True)[:10_000]:
        with transaction.atomic():
            subscription = row_lock(
                Subscription.objects.select_related("customer", "account").filter(
                    id=subscription_id
                )
            )
            if subscription is None:
                continue
            days = billing_settings(subscription.account).upcoming_invoice_days
            due = subscription.current_period_end - timedelta(days=days)
            if subscription.upcoming_sent_for == subscription.current_period_end or now < due:
                continue
            preview = invoice_preview(subscription=subscription, changes=[])
            subscription.upcoming_sent_for = subscription.current_period_end
            subscription.save(update_fields=["upcoming_sent_for", "updated_at"])
            change_record(
                account=subscription.account,
                actor=SYSTEM,
                type="invoice.upcoming",
                object_type="invoice",
                data_object={**preview, "id": f"upcoming_{subscription.id}"},
            )
            sent += 1
    return sent


def will_be_due_notify() -> int:
    sent = 0
    now = clock.now()
    candidates = Invoice.objects.filter(
        status="open",
        due_date__gt=now,
        due_date__lte=now + timedelta(days=60),
        will_be_due_sent_at__isnull=True,
    )
    for invoice_id in candidates.values_list("id", flat=True)[:10_000]:
        with transaction.atomic():
            invoice = row_lock(
                Invoice.objects.select_related("account", "customer").filter(id=invoice_id)
            )
            if invoice is None:
                continue
            days = billing_settings(invoice.account).will_be_due_days
            if invoice.will_be_due_sent_at is not None or now < invoice.due_date - timedelta(
                days=days
            ):
                continue
            invoice.will_be_due_sent_at = now
            invoice.save(update_fields=["will_be_due_sent_at", "updated_at"])
            change_record(
                account=invoice.account,
                actor=SYSTEM,
                type="invoice.will_be_due",
                object_type="invoice",
                data_object=invoice_render(invoice),
            )
            sent += 1
    return sent
