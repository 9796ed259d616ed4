"""Exports of Team activity and the security history: CSV content, filters, roles, and the
``data.exported`` record each export leaves."""

import csv
import io

from django.test import Client

from apps.accounts.enums import Role
from apps.accounts.models import AuditLogEntry, SecurityEvent
from apps.accounts.services import api_key_create
from apps.core.actor import SYSTEM
from apps.webhooks.services import webhook_endpoint_create
from tests.dashboard.conftest import staff_login

ACTIVITY = "/dashboard/team/activity/export/"
SECURITY = "/dashboard/team/security/export/"


def _rows(response) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment; filename=" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def _trail(account):
    api_key_create(account=account, kind="secret", name="Reporting", actor=SYSTEM, check_role=False)
    webhook_endpoint_create(
        account=account, url="https://example.com/hook", enabled_events=["*"], actor=SYSTEM
    )


def test_team_activity_export_honours_filters_and_is_recorded(staff_client, acme, globex):
    _trail(acme.account)
    _trail(globex.account)
    everything = _rows(staff_client.get(ACTIVITY))
    assert {r["action"] for r in everything} >= {"api_key.created", "webhook_endpoint.created"}
    assert all(r["time"].endswith("Z") for r in everything)
    only_keys = _rows(staff_client.get(ACTIVITY, {"action": "api_key.created"}))
    assert {r["action"] for r in only_keys} == {"api_key.created"}
    assert (
        len(only_keys)
        == AuditLogEntry.objects.filter(account=acme.account, action="api_key.created").count()
    )
    event = SecurityEvent.objects.filter(type="data.exported").order_by("-created_at").first()
    assert event.account_id == acme.account.id
    assert event.detail == {
        "export": "audit_log",
        "filters": {"action": "api_key.created"},
        "rows": len(only_keys),
    }
    assert AuditLogEntry.objects.filter(account=acme.account, action="data.exported").count() == 2


def test_view_only_and_support_cannot_export(acme):
    for role in (Role.VIEW_ONLY, Role.SUPPORT_SPECIALIST):
        client = staff_login(Client(), account=acme.account, role=role)
        assert client.get(ACTIVITY).status_code == 403
        assert client.get(SECURITY).status_code == 403
    assert not SecurityEvent.objects.filter(type="data.exported").exists()
    analyst = staff_login(Client(), account=acme.account, role=Role.ANALYST)
    assert analyst.get(ACTIVITY).status_code == 200
    assert analyst.get(SECURITY).status_code == 403  # the security history is administrators'
    assert not SecurityEvent.objects.filter(
        type="data.exported", username__startswith="view"
    ).exists()


def test_security_history_export_lists_the_export_itself_next_time(staff_client, acme):
    first = _rows(staff_client.get(SECURITY))
    assert "data.exported" not in {r["type"] for r in first}
    second = _rows(staff_client.get(SECURITY))
    assert "data.exported" in {r["type"] for r in second}
    page = staff_client.get("/dashboard/team/security/").content.decode()
    assert "Data exported" in page
    assert "Export CSV" in page


def test_team_activity_list_export_action_keeps_the_filters(staff_client, acme):
    response = staff_client.get(
        "/dashboard/accounts/auditlogentry/export_csv/",
        HTTP_REFERER="http://testserver/dashboard/accounts/auditlogentry/?action=api_key.created",
    )
    assert response.status_code == 302
    assert response["Location"] == f"{ACTIVITY}?action=api_key.created"


def test_api_key_page_shows_its_history(staff_client, acme):
    key, _ = api_key_create(
        account=acme.account, kind="secret", name="Ops", actor=SYSTEM, check_role=False
    )
    page = staff_client.get(f"/dashboard/accounts/apikey/{key.id}/change/").content.decode()
    assert "data-object-history" in page
    assert "api_key.created" in page
