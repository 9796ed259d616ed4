"""TOTP two-factor authentication for staff (RFC 6238 via pyotp)."""

import pyotp
from django.db import transaction

from apps.accounts.audit import security_event_record
from apps.accounts.enums import SecurityEventType
from apps.accounts.models import TwoFactorDevice
from apps.core import clock
from apps.core.errors import InvalidRequestError
from apps.core.locks import row_lock

ISSUER = "Ledgerline"


@transaction.atomic
def two_factor_enroll(*, user) -> TwoFactorDevice:
    """Start (or restart) enrolment: a fresh secret, unconfirmed until a code is entered."""
    device, _ = TwoFactorDevice.objects.update_or_create(
        user=user,
        defaults={"secret": pyotp.random_base32(), "confirmed_at": None, "last_used_step": 0},
    )
    return device


def provisioning_uri(device: TwoFactorDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(
        name=device.user.email or device.user.get_username(), issuer_name=ISSUER
    )


def _code_step(device: TwoFactorDevice, code: str) -> int | None:
    """The time step a code belongs to (current ±1 for clock drift), or None if wrong."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(device.secret)
    moment = clock.now()
    step = totp.timecode(moment)
    for candidate in (step, step - 1, step + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(candidate), code):
            return candidate
    return None


@transaction.atomic
def two_factor_confirm(*, user, code: str, ip: str | None = None) -> TwoFactorDevice:
    device = row_lock(TwoFactorDevice.objects.filter(user=user))
    if device is None:
        raise InvalidRequestError("Start two-factor enrolment first.", param="code")
    step = _code_step(device, code)
    if step is None:
        raise InvalidRequestError(
            "That code is not valid. Check the time on your device.", param="code"
        )
    device.confirmed_at = clock.now()
    device.last_used_step = step
    device.save(update_fields=["confirmed_at", "last_used_step", "updated_at"])
    security_event_record(type=SecurityEventType.TWO_FACTOR_ENABLED, user=user, ip=ip)
    return device


@transaction.atomic
def two_factor_verify(*, user, code: str, ip: str | None = None) -> bool:
    """Check a login code; each code works once."""
    device = row_lock(TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False))
    if device is None:
        return False
    step = _code_step(device, code)
    if step is None or step <= device.last_used_step:
        security_event_record(type=SecurityEventType.TWO_FACTOR_FAILED, user=user, ip=ip)
        return False
    device.last_used_step = step
    device.save(update_fields=["last_used_step", "updated_at"])
    return True
