import threading
import time
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from apps.accounts import keys
from apps.accounts.enums import AccountKind, SecurityEventType
from apps.accounts.models import (
    Account,
    AccountBranding,
    ApiKey,
    AuditLogEntry,
    Invitation,
    Membership,
    SecurityEvent,
    TestClock,
    TwoFactorDevice,
)
from apps.core import clock


class _KeyCache:
    """Recent key lookups of this process, by token hash, for ``API_KEY_CACHE_SECONDS``.

    Entries hold the rows' field values, not instances, so no two requests share a mutable
    ``ApiKey`` or ``Account``. Revoking a key takes effect in every process within the TTL.
    """

    def __init__(self) -> None:
        self.entries: dict[str, tuple[float, tuple, tuple]] = {}
        self.lock = threading.Lock()

    def get(self, token_hash: str) -> ApiKey | None:
        entry = self.entries.get(token_hash)
        if entry is None or entry[0] < time.monotonic():
            return None
        _, key_values, account_values = entry
        api_key = ApiKey.from_db("default", _KEY_FIELDS, key_values)
        api_key.account = Account.from_db("default", _ACCOUNT_FIELDS, account_values)
        return api_key

    def put(self, token_hash: str, api_key: ApiKey, ttl: float) -> None:
        values = tuple(getattr(api_key, f) for f in _KEY_FIELDS)
        account = tuple(getattr(api_key.account, f) for f in _ACCOUNT_FIELDS)
        with self.lock:
            if len(self.entries) >= _KEY_CACHE_MAX:
                self.entries.clear()
            self.entries[token_hash] = (time.monotonic() + ttl, values, account)


_KEY_CACHE_MAX = 10_000
_KEY_FIELDS = [f.attname for f in ApiKey._meta.concrete_fields]
_ACCOUNT_FIELDS = [f.attname for f in Account._meta.concrete_fields]
_key_cache = _KeyCache()


def api_key_authenticate(*, token: str) -> ApiKey | None:
    """The usable key for a token (not revoked, not past its roll expiry), with its account."""
    token_hash = keys.token_hash(token)
    ttl = settings.API_KEY_CACHE_SECONDS
    api_key = _key_cache.get(token_hash) if ttl > 0 else None
    if api_key is None:
        # token_hash is unique: slice instead of .first(), whose ORDER BY pk costs a compile
        # step on every API request and changes nothing here.
        rows = ApiKey.objects.select_related("account").filter(
            token_hash=token_hash, revoked_at__isnull=True
        )[:1]
        api_key = next(iter(rows), None)
        if api_key is None:
            return None
        if ttl > 0:
            _key_cache.put(token_hash, api_key, ttl)
    if api_key.expires_at is not None and api_key.expires_at <= clock.now():
        return None
    return api_key


def api_key_list(*, account: Account) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(account=account).order_by("-created_at")


def account_get(*, account_id: str) -> Account | None:
    return Account.objects.filter(pk=account_id).first()


def account_branding(*, account: Account) -> AccountBranding:
    """The account's invoice branding (unsaved and empty when it has none yet)."""
    return AccountBranding.objects.filter(account=account).first() or AccountBranding(
        account=account
    )


def membership_role(*, user, account: Account) -> str | None:
    """The user's role on ``account``: direct, else through the live parent (sandboxes, which
    inherit their parent's team), else through the account's organization."""
    if user is None or not user.is_authenticated:
        return None
    candidates = [account.pk]
    if account.kind == AccountKind.SANDBOX and account.parent_id:
        candidates.append(account.parent_id)
    rows = {
        m.account_id: m.role
        for m in Membership.objects.filter(user=user, account_id__in=candidates)
    }
    for account_id in candidates:
        if account_id in rows:
            return rows[account_id]
    if account.organization_id:
        org = Membership.objects.filter(user=user, organization_id=account.organization_id).first()
        if org is not None:
            return org.role
    return None


def account_list_for_user(*, user) -> QuerySet[Account]:
    """Every account a user may switch to: their accounts, those accounts' sandboxes and
    connected accounts, and the accounts of their organizations."""
    direct = Membership.objects.filter(user=user, account__isnull=False).values("account_id")
    orgs = Membership.objects.filter(user=user, organization__isnull=False).values(
        "organization_id"
    )
    return (
        Account.objects.filter(
            Q(pk__in=direct)
            | Q(parent_id__in=direct)
            | Q(platform_id__in=direct)
            | Q(organization_id__in=orgs)
            | Q(parent__organization_id__in=orgs)
        )
        .distinct()
        .order_by("kind", "name")
    )


def member_list(*, account: Account) -> QuerySet[Membership]:
    return Membership.objects.filter(account=account).select_related("user").order_by("user__email")


def audit_list(*, account: Account, object_id: str | None = None) -> QuerySet[AuditLogEntry]:
    entries = AuditLogEntry.objects.filter(account=account)
    if object_id is not None:
        entries = entries.filter(object_id=object_id)
    return entries.order_by("-id")


def security_event_list(*, account: Account) -> QuerySet[SecurityEvent]:
    """Security history of an account: its own events and its members' logins."""
    members = Membership.objects.filter(account=account).values("user_id")
    return SecurityEvent.objects.filter(
        Q(account=account) | Q(account__isnull=True, user_id__in=members)
    ).order_by("-created_at")


# ---------------------------------------------------------------------------------------------
# Dashboard sign-in, sandboxes and team pages.
# ---------------------------------------------------------------------------------------------


def sandbox_list(*, account: Account) -> QuerySet[Account]:
    """The sandboxes of a live account, oldest first."""
    return Account.objects.filter(parent=account, kind=AccountKind.SANDBOX).order_by(
        "created_at", "id"
    )


def sandbox_get(*, account: Account, sandbox_id: str) -> Account | None:
    return sandbox_list(account=account).filter(pk=sandbox_id).first()


def invitation_list_open(*, account: Account) -> QuerySet[Invitation]:
    """Invitations of ``account`` that can still be accepted."""
    return Invitation.objects.filter(
        account=account,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=clock.now(),
    ).order_by("-created_at")


def login_failure_count(*, username: str, ip: str | None, since: datetime) -> int:
    """Failed sign-in attempts (password or two-factor code) since ``since`` for a user name
    or from an address, whichever is higher."""
    failures = SecurityEvent.objects.filter(
        type__in=[SecurityEventType.LOGIN_FAILED, SecurityEventType.TWO_FACTOR_FAILED],
        created_at__gte=since,
    )
    by_username = failures.filter(username=username).count() if username else 0
    by_ip = failures.filter(ip=ip).count() if ip else 0
    return max(by_username, by_ip)


def login_location_seen(*, user_id: int, ip: str | None, user_agent: str) -> bool | None:
    """Whether the user signed in before from this address with this browser; None when the
    user has never signed in (there is no known location to compare with)."""
    logins = SecurityEvent.objects.filter(user_id=user_id, type=SecurityEventType.LOGIN_SUCCEEDED)
    if not logins.exists():
        return None
    return logins.filter(ip=ip, user_agent=user_agent[:300]).exists()


def two_factor_device_get(*, user) -> TwoFactorDevice | None:
    return TwoFactorDevice.objects.filter(user=user).first()


def staff_user_get(*, user_id: int):
    """An active staff user by primary key (the user part way through signing in)."""
    return get_user_model().objects.filter(pk=user_id, is_active=True, is_staff=True).first()


def user_get_by_username(*, username: str):
    return get_user_model().objects.filter(username=username).first()


def frozen_time_of_clock(clock_id: str) -> datetime | None:
    """A test clock's frozen time by its id, whatever its account (apps.core.clock's resolver;
    callers that take the id from a request also check the clock's account)."""
    return TestClock.objects.filter(id=clock_id).values_list("frozen_time", flat=True).first()
