"""Dashboard sign-in: password, TOTP code or first-time enrolment, throttling, security events."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from apps.accounts.enums import SecurityEventType
from apps.accounts.models import SecurityEvent, TwoFactorDevice
from apps.accounts.services import staff_user_create
from apps.dashboard.sites import SESSION_TWO_FACTOR_KEY
from apps.dashboard.views.auth import PENDING_LOGIN_KEY
from tests.dashboard.conftest import PASSWORD, staff_user_with_device, totp_code

LOGIN_URL = reverse("dashboard:login")
CODE_URL = reverse("dashboard:login-code")
ENROL_URL = reverse("dashboard:login-enrol")
INDEX_URL = reverse("admin:index")
EMAIL = "ada@example.com"


@pytest.fixture
def frozen():
    """A fixed moment (no ticking), so TOTP time steps and throttle windows are exact."""
    with time_machine.travel(datetime(2026, 11, 24, 12, 0, 5, tzinfo=UTC), tick=False) as t:
        yield t


def _types(**filters) -> list[str]:
    return list(
        SecurityEvent.objects.filter(**filters).order_by("id").values_list("type", flat=True)
    )


def _password(client: Client, username: str = EMAIL, password: str = PASSWORD, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password}, **extra)


def test_admin_login_url_is_the_two_step_sign_in(db):
    assert reverse("admin:login") == LOGIN_URL
    assert reverse("admin:logout") == reverse("dashboard:logout")

    response = Client().get(INDEX_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={INDEX_URL}"
    page = Client().get(response["Location"])
    assert page.status_code == 200
    assert "dashboard/auth/login.html" in [t.name for t in page.templates]


def test_full_login_with_password_and_code(acme, frozen):
    user = staff_user_with_device(account=acme.account, email=EMAIL)
    client = Client()
    client.get(LOGIN_URL)
    events_before = SecurityEvent.objects.count()

    # when: the password step
    response = client.post(
        LOGIN_URL, {"username": "Ada@Example.com ", "password": PASSWORD, "next": "/dashboard/"}
    )

    # then: half signed in, the dashboard still refuses
    assert response.status_code == 302
    assert response["Location"] == CODE_URL
    assert SESSION_KEY not in client.session
    assert SESSION_TWO_FACTOR_KEY not in client.session
    assert client.get(INDEX_URL).status_code == 302
    assert SecurityEvent.objects.count() == events_before
    session_key_before = client.session.session_key

    # when: the code step
    page = client.get(CODE_URL)
    response = client.post(CODE_URL, {"code": totp_code(user)})

    # then
    assert page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert client.session[SESSION_TWO_FACTOR_KEY] is True
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session.session_key != session_key_before
    assert PENDING_LOGIN_KEY not in client.session
    assert client.get(INDEX_URL).status_code == 200
    succeeded = SecurityEvent.objects.get(type=SecurityEventType.LOGIN_SUCCEEDED)
    assert (succeeded.user_id, succeeded.ip, succeeded.username) == (user.pk, "127.0.0.1", EMAIL)
    # A first sign-in has no earlier location to differ from.
    assert _types(user=user) == [SecurityEventType.TWO_FACTOR_ENABLED, "login.succeeded"]


def test_wrong_code_is_refused(acme, frozen):
    user = staff_user_with_device(account=acme.account, email=EMAIL)
    client = Client()
    _password(client)

    response = client.post(CODE_URL, {"code": totp_code(user, offset_seconds=300)})

    assert response.status_code == 200
    assert "That code is not valid" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert SESSION_TWO_FACTOR_KEY not in client.session
    assert client.get(INDEX_URL).status_code == 302
    assert _types(type__startswith="login.") == []
    assert _types(type=SecurityEventType.TWO_FACTOR_FAILED) == ["two_factor.failed"]


def test_code_step_without_password_step_goes_back_to_sign_in(acme, frozen):
    response = Client().post(CODE_URL, {"code": "123456"})

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL


def test_wrong_password_and_unknown_user_are_recorded(acme, frozen):
    user = staff_user_with_device(account=acme.account, email=EMAIL)
    client = Client()

    wrong = _password(client, password="wrong password")
    unknown = _password(client, username="nobody@example.com")

    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "Enter the email and password of a Ledgerline staff login." in (
            response.content.decode()
        )
    assert PENDING_LOGIN_KEY not in client.session
    failed = SecurityEvent.objects.filter(type=SecurityEventType.LOGIN_FAILED).order_by("id")
    assert [(e.username, e.user_id, e.ip) for e in failed] == [
        (EMAIL, user.pk, "127.0.0.1"),
        ("nobody@example.com", None, "127.0.0.1"),
    ]


def test_first_login_enrols_a_device(acme, frozen):
    user = staff_user_create(
        email=EMAIL, password=PASSWORD, account=acme.account, role="administrator"
    )
    client = Client()

    # when: the password is right and there is no device yet
    response = _password(client)

    # then: enrolment, with the new secret and its otpauth URI on the page
    assert response.status_code == 302
    assert response["Location"] == ENROL_URL
    device = TwoFactorDevice.objects.get(user=user)
    assert device.confirmed_at is None
    page = client.get(ENROL_URL)
    html = page.content.decode()
    assert device.secret in html
    assert f"otpauth://totp/Ledgerline:ada%40example.com?secret={device.secret}" in html
    # The code step is not reachable before enrolment is done.
    assert client.get(CODE_URL)["Location"] == ENROL_URL

    # when: a wrong code
    wrong = client.post(ENROL_URL, {"code": totp_code(user, offset_seconds=600)})

    # then: refused, recorded, nothing confirmed
    assert wrong.status_code == 200
    assert "That code is not valid" in wrong.content.decode()
    device.refresh_from_db()
    assert device.confirmed_at is None
    assert SESSION_TWO_FACTOR_KEY not in client.session
    assert _types(user=user) == ["two_factor.failed"]

    # when: the right code
    response = client.post(ENROL_URL, {"code": totp_code(user)})

    # then
    assert response.status_code == 302
    assert response["Location"] == INDEX_URL
    device.refresh_from_db()
    assert device.confirmed_at is not None
    assert client.session[SESSION_TWO_FACTOR_KEY] is True
    assert client.get(INDEX_URL).status_code == 200
    assert _types(user=user) == ["two_factor.failed", "two_factor.enabled", "login.succeeded"]


def test_throttled_after_failures_even_with_the_right_password(acme, frozen, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    staff_user_with_device(account=acme.account, email=EMAIL)
    client = Client()
    for _ in range(3):
        assert _password(client, password="guess").status_code == 200

    # when: the fourth attempt has the right password
    response = _password(client)

    # then
    assert response.status_code == 200
    assert "Too many failed sign-in attempts. Wait 15 minutes" in response.content.decode()
    assert PENDING_LOGIN_KEY not in client.session
    assert _types(type__startswith="login.") == ["login.failed"] * 3 + ["login.throttled"]
    throttled = SecurityEvent.objects.get(type=SecurityEventType.LOGIN_THROTTLED)
    assert (throttled.username, throttled.ip) == (EMAIL, "127.0.0.1")

    # when: the window has passed
    frozen.move_to(datetime(2026, 11, 24, 12, 15, 6, tzinfo=UTC))
    response = _password(client)

    # then
    assert response.status_code == 302
    assert response["Location"] == CODE_URL


def test_throttled_by_address_across_user_names(acme, frozen, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    staff_user_with_device(account=acme.account, email=EMAIL)
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for name in ("a@example.com", "b@example.com", "c@example.com"):
        _password(attacker, username=name, password="guess")

    refused = _password(attacker)
    elsewhere = _password(Client(REMOTE_ADDR="198.51.100.1"))

    assert "Too many failed sign-in attempts" in refused.content.decode()
    assert elsewhere.status_code == 302


def test_wrong_codes_count_towards_the_throttle(acme, frozen, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 2
    user = staff_user_with_device(account=acme.account, email=EMAIL)
    client = Client()
    _password(client)
    for _ in range(2):
        client.post(CODE_URL, {"code": totp_code(user, offset_seconds=900)})

    response = client.post(CODE_URL, {"code": totp_code(user)})

    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert SESSION_TWO_FACTOR_KEY not in client.session
    assert _types(type=SecurityEventType.LOGIN_THROTTLED) == ["login.throttled"]


def _sign_in(client: Client, user) -> None:
    assert _password(client).status_code == 302
    assert client.post(CODE_URL, {"code": totp_code(user)}).status_code == 302


def test_new_location_is_recorded(acme, frozen):
    user = staff_user_with_device(account=acme.account, email=EMAIL)
    _sign_in(Client(REMOTE_ADDR="10.0.0.1", HTTP_USER_AGENT="Firefox"), user)
    frozen.shift(timedelta(seconds=30))
    _sign_in(Client(REMOTE_ADDR="10.0.0.1", HTTP_USER_AGENT="Firefox"), user)
    assert _types(type=SecurityEventType.LOGIN_NEW_LOCATION) == []

    # when: another address
    frozen.shift(timedelta(seconds=30))
    _sign_in(Client(REMOTE_ADDR="10.9.9.9", HTTP_USER_AGENT="Firefox"), user)
    # and: the same address with another browser
    frozen.shift(timedelta(seconds=30))
    _sign_in(Client(REMOTE_ADDR="10.0.0.1", HTTP_USER_AGENT="Safari"), user)

    # then
    new = SecurityEvent.objects.filter(type=SecurityEventType.LOGIN_NEW_LOCATION).order_by("id")
    assert [(e.user_id, e.ip, e.user_agent) for e in new] == [
        (user.pk, "10.9.9.9", "Firefox"),
        (user.pk, "10.0.0.1", "Safari"),
    ]


def test_logout_ends_the_session(acme, frozen):
    user = staff_user_with_device(account=acme.account, email=EMAIL)
    client = Client()
    _sign_in(client, user)

    response = client.post(reverse("admin:logout"))

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert SESSION_KEY not in client.session
    assert client.get(INDEX_URL).status_code == 302
    assert _types(type=SecurityEventType.LOGOUT, user=user) == ["logout"]


def test_password_change_records_an_event(acme, frozen):
    user = staff_user_with_device(account=acme.account, email=EMAIL)
    client = Client()
    _sign_in(client, user)
    url = reverse("admin:password_change")
    assert url == reverse("dashboard:password-change")

    wrong = client.post(
        url,
        {
            "old_password": "nope",
            "new_password1": "a new long pass",
            "new_password2": "a new long pass",
        },
    )
    assert wrong.status_code == 200
    assert "Your old password was entered incorrectly" in wrong.content.decode()
    assert _types(type=SecurityEventType.PASSWORD_CHANGED) == []

    response = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "a new long pass",
            "new_password2": "a new long pass",
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a new long pass")
    assert _types(type=SecurityEventType.PASSWORD_CHANGED, user=user) == ["password.changed"]
    # Still signed in on this session.
    assert client.get(INDEX_URL).status_code == 200
