"""Account-scoped reads for collections."""

from apps.accounts.models import Account
from apps.collections.models import CollectionSettings, EmailTemplate, SentEmail
from apps.collections.schedule import RetryPolicy
from apps.customers.models import Customer
from apps.customers.selectors import TimelineEntry


def collection_settings(account: Account) -> CollectionSettings:
    """The account's settings, or the defaults (unsaved) when it never changed them."""
    row = CollectionSettings.objects.filter(account=account).first()
    return row if row is not None else CollectionSettings(account=account)


def retry_policy_of(settings: CollectionSettings) -> RetryPolicy:
    return RetryPolicy(
        mode=settings.retry_mode,
        attempts=settings.retry_attempts,
        window_days=settings.retry_window_days,
        delays_days=tuple(settings.retry_delays or ()),
    )


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
