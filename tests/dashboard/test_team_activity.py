"""Team activity (the audit log admin) and the reusable History section of change pages."""

from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from django.urls import reverse

from apps.accounts.dashboard.admin_base import AccountScopedAdmin, ObjectHistoryMixin
from apps.accounts.enums import ApiKeyKind, Role
from apps.accounts.models import ApiKey, AuditLogEntry
from apps.accounts.services import api_key_create, api_key_revoke, sandbox_create
from apps.core.actor import SYSTEM
from apps.dashboard.sites import SESSION_TWO_FACTOR_KEY

ACTIVITY_URL = reverse("admin:accounts_auditlogentry_changelist")


def _ids(response) -> list[str]:
    return [entry.id for entry in response.context["cl"].result_list]


def test_team_activity_lists_only_the_current_account(staff_client, acme, globex):
    mine, _ = api_key_create(account=acme.account, kind=ApiKeyKind.SECRET, actor=SYSTEM)
    theirs, _ = api_key_create(account=globex.account, kind=ApiKeyKind.SECRET, actor=SYSTEM)

    response = staff_client.get(ACTIVITY_URL)

    assert response.status_code == 200
    expected = list(
        AuditLogEntry.objects.filter(account=acme.account)
        .order_by("-id")
        .values_list("id", flat=True)
    )
    assert _ids(response) == expected
    html = response.content.decode()
    assert mine.id in html
    assert theirs.id not in html
    # Another account's entry is not reachable by id either.
    foreign = AuditLogEntry.objects.get(object_id=theirs.id)
    detail = staff_client.get(reverse("admin:accounts_auditlogentry_change", args=[foreign.id]))
    assert detail.status_code == 302


def test_team_activity_filters_and_search(staff_client, acme, globex):
    key, _ = api_key_create(account=acme.account, kind=ApiKeyKind.SECRET, actor=SYSTEM)
    api_key_revoke(account=acme.account, key_id=key.id, actor=SYSTEM)
    api_key_create(account=globex.account, kind=ApiKeyKind.RESTRICTED, name="x", actor=SYSTEM)

    revoked = staff_client.get(ACTIVITY_URL, {"action": "api_key.revoked"})
    searched = staff_client.get(ACTIVITY_URL, {"q": key.id})
    by_kind = staff_client.get(ACTIVITY_URL, {"actor_kind__exact": "user"})

    assert [e.action for e in revoked.context["cl"].result_list] == ["api_key.revoked"]
    assert [e.action for e in searched.context["cl"].result_list] == [
        "api_key.revoked",
        "api_key.created",
    ]
    assert (
        by_kind.context["cl"].result_list.count()
        == AuditLogEntry.objects.filter(account=acme.account, actor_kind="user").count()
    )
    # The action filter offers this account's actions only.
    action_filter = next(
        f for f in revoked.context["cl"].filter_specs if f.parameter_name == "action"
    )
    assert {value for value, _ in action_filter.lookup_choices} == set(
        AuditLogEntry.objects.filter(account=acme.account).values_list("action", flat=True)
    )


def test_team_activity_shows_changes(staff_client, acme):
    sandbox_create(parent=acme.account, name="Staging", actor=SYSTEM)

    html = staff_client.get(ACTIVITY_URL, {"action": "sandbox.created"}).content.decode()

    assert "<strong>name</strong>: — → Staging" in html


def test_team_activity_is_read_only(staff_client, acme):
    entry = AuditLogEntry.objects.filter(account=acme.account).first()

    add = staff_client.get(reverse("admin:accounts_auditlogentry_add"))
    delete = staff_client.post(reverse("admin:accounts_auditlogentry_delete", args=[entry.id]))

    assert add.status_code == 403
    assert delete.status_code == 403
    assert AuditLogEntry.objects.filter(pk=entry.pk).exists()


class _KeyWithHistoryAdmin(ObjectHistoryMixin, AccountScopedAdmin):
    fields = ("id", "name", "kind")


def _request(path: str, *, user, account):
    request = RequestFactory().get(path)
    request.user = user
    request.account = account
    request.account_role = Role.ADMINISTRATOR
    request.session = {SESSION_TWO_FACTOR_KEY: True}
    request._messages = FallbackStorage(request)
    return request


def test_history_section_lists_the_objects_audit_entries(staff_client, acme, globex):
    key, _ = api_key_create(account=acme.account, kind=ApiKeyKind.SECRET, name="A", actor=SYSTEM)
    api_key_revoke(account=acme.account, key_id=key.id, actor=SYSTEM)
    other, _ = api_key_create(account=acme.account, kind=ApiKeyKind.SECRET, actor=SYSTEM)
    user = staff_client.get(ACTIVITY_URL).wsgi_request.user
    model_admin = _KeyWithHistoryAdmin(ApiKey, admin.site)

    response = model_admin.change_view(_request("/", user=user, account=acme.account), key.id)
    response.render()

    entries = response.context_data["object_history_entries"]
    assert [e.action for e in entries] == ["api_key.revoked", "api_key.created"]
    html = response.content.decode()
    assert "data-object-history" in html
    assert 'data-audit-action="api_key.revoked"' in html
    assert other.id not in html
    # Another account in the request sees no entries of this object.
    foreign = model_admin.object_history(_request("/", user=user, account=globex.account), key.id)
    assert foreign == []
