from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine

from apps.accounts.enums import Role
from apps.accounts.models import SecurityEvent
from apps.accounts.services import (
    staff_user_create,
    two_factor_confirm,
    two_factor_enroll,
    two_factor_verify,
)
from apps.core.errors import InvalidRequestError

MOMENT = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def user(acme):
    return staff_user_create(
        email="ada@example.com",
        password="correct horse battery",
        account=acme.account,
        role=Role.ADMINISTRATOR,
    )


def test_enrol_confirm_and_verify_once(user):
    with time_machine.travel(MOMENT, tick=False):
        device = two_factor_enroll(user=user)
        totp = pyotp.TOTP(device.secret)
        assert two_factor_verify(user=user, code=totp.at(MOMENT)) is False  # not confirmed yet
        two_factor_confirm(user=user, code=totp.at(MOMENT))
    later = MOMENT + timedelta(seconds=60)
    with time_machine.travel(later, tick=False):
        code = totp.at(later)
        assert two_factor_verify(user=user, code=code) is True
        assert two_factor_verify(user=user, code=code) is False  # a code works once
    assert SecurityEvent.objects.filter(user=user, type="two_factor.enabled").count() == 1
    assert SecurityEvent.objects.filter(user=user, type="two_factor.failed").count() == 1


def test_wrong_confirmation_code_leaves_device_unconfirmed(user):
    device = two_factor_enroll(user=user)
    with pytest.raises(InvalidRequestError):
        two_factor_confirm(
            user=user, code="000000" if pyotp.TOTP(device.secret).now() != "000000" else "111111"
        )
    device.refresh_from_db()
    assert device.confirmed_at is None


def test_code_from_a_distant_step_is_refused(user):
    with time_machine.travel(MOMENT, tick=False):
        device = two_factor_enroll(user=user)
        totp = pyotp.TOTP(device.secret)
        two_factor_confirm(user=user, code=totp.at(MOMENT))
        assert two_factor_verify(user=user, code=totp.at(MOMENT + timedelta(minutes=5))) is False
