from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from apps.accounts.enums import AccountKind
from apps.accounts.models import Account
from apps.accounts.selectors import account_get, account_list_for_user, membership_role
from apps.dashboard.session import SESSION_ACCOUNT_KEY


def _default_account(user) -> Account | None:
    """Where a session starts: the user's first live (non-sandbox) account, else any."""
    accounts = account_list_for_user(user=user)
    return accounts.exclude(kind=AccountKind.SANDBOX).first() or accounts.first()


class DashboardAccountMiddleware:
    """Puts the staff member's current account and role on the request.

    The account is the one chosen with the switcher (kept in the session) if the user still
    has a role there, else their first live account.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.account = None
        request.account_role = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.path.startswith("/dashboard/"):
            account = None
            account_id = request.session.get(SESSION_ACCOUNT_KEY)
            if account_id:
                account = account_get(account_id=account_id)
            role = membership_role(user=user, account=account) if account else None
            if role is None:
                account = _default_account(user)
                role = membership_role(user=user, account=account) if account else None
                if account is not None:
                    request.session[SESSION_ACCOUNT_KEY] = account.id
            request.account, request.account_role = (account, role) if role else (None, None)
        return self.get_response(request)


# Set by static/dashboard/timezone.js from the browser's own time zone.
TIME_ZONE_COOKIE = "ledgerline_tz"


def _zone(name: str | None) -> ZoneInfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class StaffTimeZoneMiddleware:
    """Shows the dashboard's times in the staff member's time zone (their browser's), UTC
    until the browser has told it; stored times stay UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = None
        if request.path.startswith("/dashboard/"):
            zone = _zone(request.COOKIES.get(TIME_ZONE_COOKIE))
        if zone is None:
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)
