from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from apps.accounts.dashboard.badges import badge_html
from apps.accounts.enums import ApiKeyKind, Role
from apps.accounts.models import ApiKey, AuditLogEntry, SecurityEvent
from apps.accounts.services import api_key_create
from apps.core import clock
from apps.core.actor import SYSTEM
from apps.core.api.resources import RESOURCES
from apps.dashboard.views.developers import NEW_TOKEN_SESSION_KEY
from tests.conftest import ApiClient
from tests.dashboard.conftest import staff_login

CREATE_URL = reverse("dashboard:api-key-create")
LIST_URL = reverse("admin:accounts_apikey_changelist")


def _create_data(kind: str, name: str = "", **access: str) -> dict[str, str]:
    data = {"kind": kind, "name": name}
    for resource in RESOURCES:
        data[f"access_{resource}"] = access.get(resource, "none")
    return data


def _reveal(client: Client, response) -> str:
    """Follow the redirect to the one-time token page and return the token shown there."""
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["token"] is not None
    assert page.context["token"] in page.content.decode()
    return page.context["token"]


def _events_status(token: str) -> int:
    return ApiClient(token).get("/v1/events").status_code


def test_create_secret_key_shows_token_once_and_it_works(staff_client, acme):
    # when
    response = staff_client.post(CREATE_URL, _create_data(ApiKeyKind.SECRET, "Backend"))
    token = _reveal(staff_client, response)

    # then
    api_key = ApiKey.objects.get(account=acme.account, name="Backend")
    assert api_key.kind == ApiKeyKind.SECRET
    assert response["Location"] == reverse("dashboard:api-key-token", args=[api_key.id])
    assert token.startswith("sk_test_")
    assert api_key.redacted == f"sk_test_…{token[-4:]}"
    assert _events_status(token) == 200
    audit = AuditLogEntry.objects.get(action="api_key.created", object_id=api_key.id)
    assert audit.account_id == acme.id
    assert audit.actor_label == f"administrator.{acme.id}@example.com"
    # A second load of the page shows no token.
    again = staff_client.get(response["Location"])
    assert again.status_code == 200
    assert again.context["token"] is None
    assert token not in again.content.decode()
    assert api_key.redacted in again.content.decode()


def test_create_restricted_key_with_matrix(staff_client, acme):
    # when
    reader = staff_client.post(
        CREATE_URL,
        _create_data(ApiKeyKind.RESTRICTED, "Event reader", events="read", customers="write"),
    )
    reader_token = _reveal(staff_client, reader)
    blind = staff_client.post(CREATE_URL, _create_data(ApiKeyKind.RESTRICTED, "No events"))
    blind_token = _reveal(staff_client, blind)

    # then
    reader_key = ApiKey.objects.get(account=acme.account, name="Event reader")
    assert reader_key.kind == ApiKeyKind.RESTRICTED
    assert reader_key.permissions == {"events": "read", "customers": "write"}
    assert reader_token.startswith("rk_test_")
    assert _events_status(reader_token) == 200
    assert ApiKey.objects.get(account=acme.account, name="No events").permissions == {}
    assert _events_status(blind_token) == 403


def test_restricted_key_without_name_is_a_form_error(staff_client, acme):
    # given
    keys_before = ApiKey.objects.count()
    audit_before = AuditLogEntry.objects.count()

    # when
    response = staff_client.post(CREATE_URL, _create_data(ApiKeyKind.RESTRICTED, events="read"))

    # then
    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["A restricted key needs a name."]}
    assert ApiKey.objects.count() == keys_before
    assert AuditLogEntry.objects.count() == audit_before


def test_view_only_member_cannot_create_keys(acme):
    # given
    client = staff_login(Client(), account=acme.account, role=Role.VIEW_ONLY)
    keys_before = ApiKey.objects.count()
    audit_before = AuditLogEntry.objects.count()
    security_before = SecurityEvent.objects.count()

    # when
    response = client.post(CREATE_URL, _create_data(ApiKeyKind.SECRET, "Sneaky"))

    # then
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Your role (view_only) does not allow this action."
    ]
    assert "does not allow this action" in response.content.decode()
    assert NEW_TOKEN_SESSION_KEY not in client.session
    assert ApiKey.objects.count() == keys_before
    assert AuditLogEntry.objects.count() == audit_before
    assert SecurityEvent.objects.count() == security_before


def test_key_buttons_only_for_roles_that_manage_keys(staff_client, acme):
    # given
    viewer = staff_login(Client(), account=acme.account, role=Role.VIEW_ONLY)
    analyst = staff_login(Client(), account=acme.account, role=Role.ANALYST)
    create_action = reverse("admin:accounts_apikey_create_key")

    # when
    admin_page = staff_client.get(LIST_URL).content.decode()
    viewer_page = viewer.get(LIST_URL)
    analyst_page = analyst.get(LIST_URL)

    # then
    assert create_action in admin_page
    assert "Roll key" in admin_page
    assert viewer_page.status_code == 200
    assert analyst_page.status_code == 200
    for page in (viewer_page.content.decode(), analyst_page.content.decode()):
        assert create_action not in page
        assert "Roll key" not in page
        assert "Revoke key" not in page
    assert viewer.get(create_action).status_code == 403
    assert staff_client.get(create_action)["Location"] == CREATE_URL


def test_list_shows_keys_with_status_and_redacted_tokens(staff_client, acme, globex):
    # given
    rolled = api_key_create(account=acme.account, kind=ApiKeyKind.SECRET, actor=SYSTEM)[0]
    ApiKey.objects.filter(pk=rolled.pk).update(expires_at=clock.now() + timedelta(hours=1))
    revoked = api_key_create(account=acme.account, kind=ApiKeyKind.SECRET, actor=SYSTEM)[0]
    ApiKey.objects.filter(pk=revoked.pk).update(revoked_at=clock.now())

    # when
    response = staff_client.get(LIST_URL)

    # then
    page = response.content.decode()
    shown = {row.pk for row in response.context["cl"].result_list}
    assert shown == set(ApiKey.objects.filter(account=acme.account).values_list("pk", flat=True))
    assert len(shown) == 4
    assert acme.publishable_key in page
    assert acme.secret_key not in page
    assert f"sk_test_…{acme.secret_key[-4:]}" in page
    assert globex.publishable_key not in page
    for status in ("Active", "Expiring", "Revoked"):
        assert status in page
    filtered = staff_client.get(LIST_URL, {"status": "expiring"}).context["cl"].result_list
    assert [row.pk for row in filtered] == [rolled.pk]


@pytest.mark.parametrize(("expires_in", "old_works_at_first"), [("3600", True), ("0", False)])
def test_roll_keeps_old_key_until_expiry(staff_client, acme, expires_in, old_works_at_first):
    # given
    old_key = ApiKey.objects.get(account=acme.account, kind=ApiKeyKind.SECRET)
    url = reverse("dashboard:api-key-roll", args=[old_key.id])

    # when
    response = staff_client.post(url, {"expires_in": expires_in})
    new_token = _reveal(staff_client, response)

    # then
    old_key.refresh_from_db()
    new_key = ApiKey.objects.get(account=acme.account, kind=ApiKeyKind.SECRET, expires_at=None)
    assert old_key.rolled_into_id == new_key.id
    assert old_key.expires_at is not None
    assert _events_status(new_token) == 200
    assert _events_status(acme.secret_key) == (200 if old_works_at_first else 401)
    with time_machine.travel(clock.now() + timedelta(seconds=int(expires_in) + 1)):
        assert _events_status(acme.secret_key) == 401
        assert _events_status(new_token) == 200
    assert AuditLogEntry.objects.filter(action="api_key.rolled", object_id=old_key.id).count() == 1


def test_roll_of_a_publishable_key_is_a_form_error(staff_client, acme):
    # given
    publishable = ApiKey.objects.get(account=acme.account, kind=ApiKeyKind.PUBLISHABLE)
    keys_before = ApiKey.objects.count()

    # when
    response = staff_client.post(
        reverse("dashboard:api-key-roll", args=[publishable.id]), {"expires_in": "0"}
    )

    # then
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Publishable keys are not rolled."]
    assert ApiKey.objects.count() == keys_before
    publishable.refresh_from_db()
    assert publishable.expires_at is None


def test_revoke_key(staff_client, acme):
    # given
    api_key = ApiKey.objects.get(account=acme.account, kind=ApiKeyKind.SECRET)
    url = reverse("dashboard:api-key-revoke", args=[api_key.id])
    assert staff_client.get(url).status_code == 200

    # when
    response = staff_client.post(url)

    # then
    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert _events_status(acme.secret_key) == 401
    assert AuditLogEntry.objects.filter(action="api_key.revoked", object_id=api_key.id).count() == 1


def test_view_only_member_cannot_revoke(acme):
    # given
    client = staff_login(Client(), account=acme.account, role=Role.VIEW_ONLY)
    api_key = ApiKey.objects.get(account=acme.account, kind=ApiKeyKind.SECRET)

    # when
    response = client.post(reverse("dashboard:api-key-revoke", args=[api_key.id]))

    # then
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Your role (view_only) does not allow this action."
    ]
    api_key.refresh_from_db()
    assert api_key.revoked_at is None
    assert _events_status(acme.secret_key) == 200


@pytest.mark.parametrize("name", ["api-key-roll", "api-key-revoke", "api-key-token"])
def test_another_accounts_key_is_not_found(staff_client, globex, name):
    # given
    foreign = ApiKey.objects.get(account=globex.account, kind=ApiKeyKind.SECRET)
    url = reverse(f"dashboard:{name}", args=[foreign.id])

    # when
    get_response = staff_client.get(url)
    post_response = staff_client.post(url, {"expires_in": "0"})

    # then
    assert get_response.status_code == 404
    assert post_response.status_code in (404, 405)
    foreign.refresh_from_db()
    assert foreign.revoked_at is None
    assert foreign.expires_at is None
    assert _events_status(globex.secret_key) == 200


def test_pages_need_a_dashboard_session(acme):
    # given: signed in with a password but not through two-factor
    client = staff_login(Client(), account=acme.account)
    session = client.session
    session["ledgerline_2fa_verified"] = False
    session.save()

    # when
    response = client.post(CREATE_URL, _create_data(ApiKeyKind.SECRET, "x"))

    # then
    assert response.status_code == 302
    assert not ApiKey.objects.filter(name="x").exists()


def test_key_detail_is_read_only_and_hides_the_hash(staff_client, acme):
    # given
    api_key = ApiKey.objects.get(account=acme.account, kind=ApiKeyKind.SECRET)

    # when
    response = staff_client.get(reverse("admin:accounts_apikey_change", args=[api_key.id]))

    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert badge_html("active", "Active") in page
    assert api_key.redacted in page
    assert api_key.token_hash not in page
    assert acme.secret_key not in page
    assert (
        staff_client.post(
            reverse("admin:accounts_apikey_change", args=[api_key.id]), {"name": "renamed"}
        ).status_code
        == 403
    )
    assert ApiKey.objects.get(pk=api_key.pk).name == api_key.name


def test_the_permission_grid_lists_only_resources_that_exist(staff_client, acme):
    """Every resource of the grid guards some endpoint, and every endpoint's resource is there."""
    from tests.api.routes import v1_routes

    guarded = {route.view_class.resource for route in v1_routes()}
    assert set(RESOURCES) == guarded
    page = staff_client.get(CREATE_URL)
    assert page.status_code == 200
    names = sorted(
        {
            name[len("access_") :]
            for name in page.context["form"].fields
            if name.startswith("access_")
        }
    )
    assert names == sorted(guarded)
    html = page.content.decode()
    for label in ("Disputes", "Files", "Connected accounts", "Meters", "entitlements"):
        assert label not in html
    assert "Setup intents" in html
    refused = staff_client.post(
        CREATE_URL, {**_create_data(ApiKeyKind.RESTRICTED, "Old"), "access_disputes": "read"}
    )
    assert ApiKey.objects.get(name="Old").permissions == {}
    assert refused.status_code == 302
