"""Staff sign-in: password, then a TOTP code (enrolling a device on first sign-in), with
throttling and the security history each step leaves.

These functions decide and record; the dashboard views keep the session (who is part way
through signing in, Django's ``login``). Failure paths record their security event and then
raise, so they are deliberately not wrapped in one transaction: the failed-attempt row must
survive the error, because throttling counts those rows.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from apps.accounts.audit import security_event_record
from apps.accounts.enums import SecurityEventType
from apps.accounts.models import TwoFactorDevice
from apps.accounts.selectors import (
    login_failure_count,
    login_location_seen,
    two_factor_device_get,
    user_get_by_username,
)
from apps.accounts.services.two_factor import (
    two_factor_confirm,
    two_factor_enroll,
    two_factor_verify,
)
from apps.core import clock
from apps.core.errors import ApplicationError, InvalidRequestError

WRONG_CREDENTIALS = "Enter the email and password of a Ledgerline staff login."
WRONG_CODE = "That code is not valid. Check the time on your device and try again."


class LoginThrottledError(ApplicationError):
    http_status = 429

    def __init__(self) -> None:
        minutes = int(settings.LOGIN_THROTTLE_WINDOW.total_seconds() // 60)
        super().__init__(
            f"Too many failed sign-in attempts. Wait {minutes} minutes and try again.",
            code="login_throttled",
        )


@dataclass(frozen=True)
class LoginOrigin:
    """Where a sign-in attempt comes from."""

    ip: str | None
    user_agent: str = ""


def login_username_clean(username: str) -> str:
    # Staff logins are email addresses, stored lower-case; one spelling per person also keeps
    # the per-name throttle from being dodged by changing letter case.
    return (username or "").strip().lower()


def _throttle_check(*, username: str, origin: LoginOrigin) -> None:
    since = clock.now() - settings.LOGIN_THROTTLE_WINDOW
    if login_failure_count(username=username, ip=origin.ip, since=since) >= (
        settings.LOGIN_THROTTLE_ATTEMPTS
    ):
        security_event_record(
            type=SecurityEventType.LOGIN_THROTTLED,
            user=user_get_by_username(username=username),
            username=username,
            ip=origin.ip,
            user_agent=origin.user_agent,
        )
        raise LoginThrottledError()


def login_password_check(
    *, request: HttpRequest | None, username: str, password: str, origin: LoginOrigin
):
    """The staff user for a name and password, or InvalidRequestError / LoginThrottledError.

    The throttle is checked before the password, so a throttled attempt is refused even when
    the password is right (and tells nothing about it).
    """
    username = login_username_clean(username)
    _throttle_check(username=username, origin=origin)
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_staff:
        security_event_record(
            type=SecurityEventType.LOGIN_FAILED,
            # Known names get the user attached so the attempt shows in their accounts'
            # security history; unknown names keep only what was typed.
            user=user or user_get_by_username(username=username),
            username=username,
            ip=origin.ip,
            user_agent=origin.user_agent,
            detail={"step": "password"},
        )
        raise InvalidRequestError(WRONG_CREDENTIALS, code="login_failed")
    return user


def login_needs_enrolment(*, user) -> bool:
    device = two_factor_device_get(user=user)
    return device is None or device.confirmed_at is None


def login_enrolment_start(*, user) -> TwoFactorDevice:
    """A fresh TOTP secret for a user signing in without a confirmed device."""
    return two_factor_enroll(user=user)


def login_enrolment_confirm(*, user, code: str, origin: LoginOrigin) -> None:
    """Confirm the new device with its first code; a wrong code counts as a failed attempt."""
    _throttle_check(username=user.get_username(), origin=origin)
    try:
        two_factor_confirm(user=user, code=code, ip=origin.ip)
    except InvalidRequestError:
        security_event_record(
            type=SecurityEventType.TWO_FACTOR_FAILED,
            user=user,
            ip=origin.ip,
            user_agent=origin.user_agent,
            detail={"step": "enrolment"},
        )
        raise InvalidRequestError(WRONG_CODE, param="code") from None


def login_code_check(*, user, code: str, origin: LoginOrigin) -> None:
    """The second step of a sign-in; two_factor_verify records a wrong code."""
    _throttle_check(username=user.get_username(), origin=origin)
    if not two_factor_verify(user=user, code=code, ip=origin.ip):
        raise InvalidRequestError(WRONG_CODE, param="code")


@transaction.atomic
def login_succeeded_record(*, user, origin: LoginOrigin) -> None:
    """The sign-in is complete: record it, and flag a place (address and browser) this user
    has not signed in from before. The very first sign-in has nothing to compare with."""
    seen = login_location_seen(user_id=user.pk, ip=origin.ip, user_agent=origin.user_agent)
    security_event_record(
        type=SecurityEventType.LOGIN_SUCCEEDED,
        user=user,
        ip=origin.ip,
        user_agent=origin.user_agent,
    )
    if seen is False:
        security_event_record(
            type=SecurityEventType.LOGIN_NEW_LOCATION,
            user=user,
            ip=origin.ip,
            user_agent=origin.user_agent,
        )


def logout_record(*, user, origin: LoginOrigin) -> None:
    security_event_record(
        type=SecurityEventType.LOGOUT, user=user, ip=origin.ip, user_agent=origin.user_agent
    )


@transaction.atomic
def password_change(*, user, new_password: str, origin: LoginOrigin) -> None:
    """Set a new password (the caller has checked the old one) and record it."""
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise InvalidRequestError(" ".join(exc.messages), param="new_password") from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    security_event_record(
        type=SecurityEventType.PASSWORD_CHANGED,
        user=user,
        ip=origin.ip,
        user_agent=origin.user_agent,
    )
