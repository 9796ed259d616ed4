"""Account-scoped reads for collections."""

from apps.accounts.models import Account
from apps.collections.models import CollectionSettings
from apps.collections.schedule import RetryPolicy


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
