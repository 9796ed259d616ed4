"""Account-scoped reads for collections."""

from datetime import UTC, date, datetime, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, NullIf, TruncDate

from apps.accounts.models import Account
from apps.collections.enums import AttemptOutcome
from apps.collections.models import CollectionSettings, EmailTemplate, PaymentAttempt, SentEmail
from apps.collections.recovery import CohortRow, RecoveryReport, report_build
from apps.collections.schedule import RetryPolicy, policy_of_plan
from apps.core.compiled import CompiledQuery
from apps.core.db import reporting_reads
from apps.customers.models import Customer
from apps.customers.selectors import TimelineEntry
from apps.invoices.models import Invoice

# Attempts that did not pay: declined, or not charged at all (no payment method, closed card).
UNPAID_OUTCOMES = (AttemptOutcome.FAILED, AttemptOutcome.SKIPPED)
# The failed-payments queue's retry filter.
RETRY_SCHEDULED, RETRY_DUE_24H, RETRY_NONE = "scheduled", "due_24h", "none"


# Read on every invoice preview and collection: compiled once (``CompiledQuery``), which costs
# about a third of the CPU of the same query built by the ORM each time (one row at most).
_settings_of = CompiledQuery(
    lambda account_id: CollectionSettings.objects.filter(account_id=account_id), "account_id"
)


def collection_settings(account: Account) -> CollectionSettings:
    """The account's settings, or the defaults (unsaved) when it never changed them."""
    row = next(iter(_settings_of(account_id=account.id)), None)
    if row is None:
        return CollectionSettings(account=account)
    row.account = account  # the same row: no query when it is asked for
    return row


def retry_policy_of(settings: CollectionSettings) -> RetryPolicy:
    return RetryPolicy(
        mode=settings.retry_mode,
        attempts=settings.retry_attempts,
        window_days=settings.retry_window_days,
        delays_days=tuple(settings.retry_delays or ()),
    )


def retry_policy_for(invoice: Invoice, settings: CollectionSettings) -> RetryPolicy:
    """The policy ``invoice``'s failed payments are retried on: the plan ``payments.collection``
    decided when it was finalized (``Invoice.retry_plan``), else the account's ``settings``."""
    if invoice.retry_plan is not None:
        return policy_of_plan(invoice.retry_plan)
    return retry_policy_of(settings)


def retry_plan_of_account(account: Account) -> dict:
    """The account's retry plan as the ``payments.collection`` stage takes it."""
    policy = retry_policy_of(collection_settings(account))
    return {
        "mode": policy.mode,
        "attempts": policy.attempts,
        "window_days": policy.window_days,
        "delays_days": list(policy.delays_days),
    }


def email_templates_of(account: Account) -> dict[str, EmailTemplate]:
    """The account's own wordings, by kind (kinds without one use the built-in wording)."""
    return {row.kind: row for row in EmailTemplate.objects.filter(account=account)}


def sent_email_list(*, account: Account, customer: Customer, limit: int) -> list[SentEmail]:
    """The emails sent to ``customer``, newest first."""
    return list(
        SentEmail.objects.filter(account=account, customer=customer).order_by("-sent_at", "-id")[
            :limit
        ]
    )


def sent_emails_timeline(account: Account, customer: Customer, limit: int) -> list[TimelineEntry]:
    """The customer timeline's source of sent emails (apps.customers.selectors)."""
    return [
        TimelineEntry(
            created_at=row.sent_at, template="collections/_timeline_email.html", object=row
        )
        for row in sent_email_list(account=account, customer=customer, limit=limit)
    ]


def _reason():
    """An attempt's decline code, or its failure code when the processor gave none (e.g.
    ``invoice_no_payment_method``)."""
    return Coalesce(
        NullIf(F("decline_code"), Value("")), NullIf(F("failure_code"), Value("")), Value("")
    )


def failed_payment_list(
    *, account: Account, now: datetime, decline_code: str = "", retry: str = "", search: str = ""
) -> QuerySet[Invoice]:
    """The failed-payments queue: open invoices of ``account`` with an attempt that did not pay,
    each annotated with its newest such attempt (``last_code``, ``last_failed_at``,
    ``last_message``), soonest retry first, those with no retry left last.

    Filters: the last decline code; ``retry`` scheduled, due within 24 hours of ``now`` or
    none left; ``search`` in the customer's email or name, or an exact customer or invoice id
    or invoice number."""
    unpaid = PaymentAttempt.objects.filter(invoice=OuterRef("pk"), outcome__in=UNPAID_OUTCOMES)
    newest = unpaid.order_by("-attempted_at", "-pk")
    queryset = (
        Invoice.objects.filter(account=account, status="open")
        .filter(Exists(unpaid))
        .annotate(
            last_code=Subquery(newest.annotate(reason=_reason()).values("reason")[:1]),
            last_failed_at=Subquery(newest.values("attempted_at")[:1]),
            last_message=Subquery(newest.values("failure_message")[:1]),
        )
        .select_related(
            "customer__default_payment_method",
            "customer__default_source",
            "subscription__default_payment_method",
        )
    )
    if decline_code:
        queryset = queryset.filter(last_code=decline_code)
    if retry == RETRY_SCHEDULED:
        queryset = queryset.filter(next_payment_attempt__isnull=False)
    elif retry == RETRY_DUE_24H:
        queryset = queryset.filter(next_payment_attempt__lte=now + timedelta(hours=24))
    elif retry == RETRY_NONE:
        queryset = queryset.filter(next_payment_attempt__isnull=True)
    search = search.strip()
    if search:
        queryset = queryset.filter(
            Q(customer__email__icontains=search)
            | Q(customer__name__icontains=search)
            | Q(customer_id=search)
            | Q(id=search)
            | Q(number=search)
        )
    return queryset.order_by(F("next_payment_attempt").asc(nulls_last=True), "-id")


def failed_payment_codes(*, account: Account, now: datetime) -> list[str]:
    """The last decline codes found in the queue, for its filter."""
    codes = failed_payment_list(account=account, now=now).order_by().values_list("last_code")
    return sorted({code for (code,) in codes.distinct() if code})


def invoice_numbers(*, account: Account, invoice_ids: list[str]) -> dict[str, str]:
    """Each invoice's number (its id while it has none), by id, for messages."""
    rows = Invoice.objects.filter(account=account, id__in=invoice_ids).values_list("id", "number")
    return {pk: number or pk for pk, number in rows}


def payment_attempt_list(*, account: Account, invoice: Invoice) -> list[PaymentAttempt]:
    """An invoice's payment attempts, oldest first."""
    return list(
        PaymentAttempt.objects.filter(account=account, invoice=invoice).order_by(
            "attempted_at", "pk"
        )
    )


@reporting_reads
def recovery_report(*, account: Account, start: date, end: date) -> RecoveryReport:
    """Revenue recovery of the invoices whose payment first failed from ``start`` to ``end``
    (UTC days, both included): see apps.collections.recovery."""
    unpaid = PaymentAttempt.objects.filter(account=account, outcome__in=UNPAID_OUTCOMES)
    earlier = unpaid.filter(invoice=OuterRef("invoice")).filter(
        Q(attempted_at__lt=OuterRef("attempted_at"))
        | Q(attempted_at=OuterRef("attempted_at"), pk__lt=OuterRef("pk"))
    )
    first_failures = unpaid.filter(
        attempted_at__gte=datetime.combine(start, datetime.min.time(), tzinfo=UTC),
        attempted_at__lt=datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC),
    ).exclude(Exists(earlier))
    paid = Q(invoice__status="paid")
    figures = {
        "entered": Count("pk"),
        "failed_amount": Sum("amount"),
        "recovered": Count("pk", filter=paid),
        "recovered_amount": Coalesce(Sum("invoice__amount_paid", filter=paid), 0),
    }

    def grouped(queryset, key: str) -> list[CohortRow]:
        rows = queryset.values(key, "invoice__currency").annotate(**figures).order_by()
        return [
            CohortRow(
                key=row[key],
                currency=row["invoice__currency"],
                entered=row["entered"],
                failed_amount=row["failed_amount"],
                recovered=row["recovered"],
                recovered_amount=row["recovered_amount"],
            )
            for row in rows
        ]

    return report_build(
        start=start,
        end=end,
        by_code=grouped(first_failures.annotate(code=_reason()), "code"),
        by_day=grouped(first_failures.annotate(day=TruncDate("attempted_at", tzinfo=UTC)), "day"),
    )
