"""CSV export of every dashboard list: the current filter and search, the account's rows only,
streamed in chunks, recorded, and refused to roles that may not export."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from apps.accounts.dashboard import exports
from apps.accounts.dashboard.admin_base import AccountScopedAdmin
from apps.accounts.dashboard.exports import csv_cell
from apps.accounts.enums import Role
from apps.accounts.models import AuditLogEntry, SecurityEvent
from tests.dashboard.conftest import staff_login
from tests.factories import CustomerFactory

CUSTOMERS = "/dashboard/customers/customer/"
CUSTOMERS_EXPORT = CUSTOMERS + "export.csv"


def _rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def _exportable_admins():
    return sorted(
        (
            model_admin
            for model_admin in admin.site._registry.values()
            if isinstance(model_admin, AccountScopedAdmin) and model_admin.csv_export
        ),
        key=lambda model_admin: model_admin.opts.label,
    )


def test_the_export_holds_the_lists_columns_and_only_this_accounts_rows(staff_client, acme, globex):
    ada = CustomerFactory(account=acme.account, email="ada@example.com", name="Ada Lovelace")
    CustomerFactory(account=acme.account, email="grace@example.com", name="Grace Hopper")
    CustomerFactory(account=globex.account, email="other@example.com", name="Ada Other")

    rows = _rows(staff_client.get(CUSTOMERS_EXPORT))

    assert list(rows[0]) == ["id", "Email", "Name", "Balance", "Created at"]
    assert sorted(r["Email"] for r in rows) == ["ada@example.com", "grace@example.com"]
    ada_row = next(r for r in rows if r["id"] == ada.id)
    assert ada_row["Name"] == "Ada Lovelace"
    assert ada_row["Balance"] == "$0.00"  # no balance yet: zero in the account's currency
    assert ada_row["Created at"] == ada.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_export_keeps_the_search_and_is_recorded_with_it(staff_client, acme):
    CustomerFactory(account=acme.account, email="ada@example.com", name="Ada Lovelace")
    CustomerFactory(account=acme.account, email="grace@example.com", name="Grace Hopper")

    rows = _rows(staff_client.get(CUSTOMERS_EXPORT, {"q": "Grace"}))

    assert [r["Email"] for r in rows] == ["grace@example.com"]
    event = SecurityEvent.objects.get(type="data.exported")
    assert event.account_id == acme.account.id
    assert event.detail == {"export": "customers.customer", "filters": {"q": "Grace"}, "rows": 1}
    entry = AuditLogEntry.objects.get(account=acme.account, action="data.exported")
    assert entry.object_id == "customers.customer"


def test_rows_are_streamed_in_chunks_and_none_is_lost(staff_client, acme, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_CHUNK_ROWS", 2)
    made = {CustomerFactory(account=acme.account, email=f"c{i}@example.com").id for i in range(5)}

    rows = _rows(staff_client.get(CUSTOMERS_EXPORT))

    assert [r["id"] for r in rows] == sorted(made, reverse=True)


def test_the_list_page_links_the_export_with_its_current_query(staff_client, acme):
    page = staff_client.get(CUSTOMERS, {"q": "Grace"})
    assert page.status_code == 200
    assert 'data-testid="export-csv"' in page.content.decode()
    assert page.context["csv_export_url"] == CUSTOMERS_EXPORT + "?q=Grace"


@pytest.mark.parametrize("role", [Role.VIEW_ONLY, Role.SUPPORT_SPECIALIST])
def test_roles_without_export_see_no_link_and_are_refused(acme, role):
    client = staff_login(Client(), account=acme.account, role=role)
    page = client.get(CUSTOMERS)
    assert page.status_code == 200
    assert "csv_export_url" not in page.context
    assert client.get(CUSTOMERS_EXPORT).status_code == 403
    assert not SecurityEvent.objects.filter(type="data.exported").exists()


@pytest.mark.parametrize(
    "model_admin", _exportable_admins(), ids=lambda model_admin: model_admin.opts.label
)
def test_every_account_list_exports(staff_client, acme, model_admin):
    name = f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_export"
    response = staff_client.get(reverse(name))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header = next(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert header[0] == "id"
    assert len(header) == 1 + len(model_admin.export_columns(response.wsgi_request))


def test_team_activity_keeps_its_own_export():
    audit_admin = admin.site._registry[AuditLogEntry]
    assert audit_admin.csv_export is False
    assert audit_admin not in _exportable_admins()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "true"),
        ("<span class='badge'>Past due</span>", "Past due"),
        ("Ada &amp; Co", "Ada & Co"),
        (("Ada Lovelace", "ada@example.com"), "Ada Lovelace — ada@example.com"),
        (datetime(2026, 12, 7, 14, 30, tzinfo=UTC), "2026-12-07T14:30:00Z"),
        ("-$5.00", "-$5.00"),
        ("-12", "-12"),
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1 555", "'+1 555"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
    ],
)
def test_cells_are_plain_text_and_never_formulas(value, text):
    assert csv_cell(value) == text
