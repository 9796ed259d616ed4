"""Dashboard fixtures: a staff member signed in (password and two-factor done) on an account."""

import pytest
from django.test import Client

from apps.accounts.enums import Role
from apps.accounts.models import Account
from apps.accounts.services import staff_user_create
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
