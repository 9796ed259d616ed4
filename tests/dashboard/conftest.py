"""Dashboard fixtures: a staff member signed in (password and two-factor done) on an account."""

from datetime import timedelta

import pyotp
import pytest
from django.test import Client

from apps.accounts.enums import Role
from apps.accounts.models import Account
from apps.accounts.selectors import two_factor_device_get
from apps.accounts.services import staff_user_create, two_factor_confirm, two_factor_enroll
from apps.core import clock
from apps.dashboard.middleware import SESSION_ACCOUNT_KEY
from apps.dashboard.sites import SESSION_TWO_FACTOR_KEY


def staff_login(
    client: Client, *, account: Account, role: str = Role.ADMINISTRATOR, email: str = ""
) -> Client:
    """Sign ``client`` in as a new staff member with ``role`` on ``account``."""
    user = staff_user_create(
        email=email or f"{role}.{account.id}@example.com",
        password="correct horse battery staple",
        account=account,
        role=role,
    )
    client.force_login(user)
    session = client.session
    session[SESSION_TWO_FACTOR_KEY] = True
    session[SESSION_ACCOUNT_KEY] = account.id
    session.save()
    return client


@pytest.fixture
def staff_client(acme) -> Client:
    """An administrator of acme, signed in to the dashboard."""
    return staff_login(Client(), account=acme.account)


PASSWORD = "correct horse battery staple"


def totp_code(user, *, offset_seconds: int = 0) -> str:
    """The code the member's authenticator shows now (or ``offset_seconds`` from now)."""
    device = two_factor_device_get(user=user)
    return pyotp.TOTP(device.secret).at(clock.now() + timedelta(seconds=offset_seconds))


def staff_user_with_device(*, account: Account, email: str, role: str = Role.ADMINISTRATOR):
    """A staff member with a confirmed authenticator whose current code is still unused (the
    device was confirmed with the previous time step's code, as an app a minute slow would)."""
    user = staff_user_create(email=email, password=PASSWORD, account=account, role=role)
    two_factor_enroll(user=user)
    two_factor_confirm(user=user, code=totp_code(user, offset_seconds=-30))
    return user
