"""The dashboard in a real browser: sign in with a password and a TOTP code, switch to a
sandbox, create a restricted key, find the audit entry in Team activity.

Debian's Chromium drives the pages (``playwright install`` cannot download browsers here).
"""

import re

import pytest
from django.urls import reverse

from apps.accounts.models import ApiKey
from apps.accounts.services import sandbox_create
from apps.core.actor import SYSTEM
from tests.conftest import make_account
from tests.dashboard.conftest import PASSWORD, staff_user_with_device, totp_code


@pytest.mark.browser
def test_sign_in_switch_to_sandbox_create_restricted_key_see_audit(live_server, browser_page):
    from playwright.sync_api import expect

    acme = make_account("Acme")
    sandbox, _ = sandbox_create(parent=acme.account, name="Staging", actor=SYSTEM)
    user = staff_user_with_device(account=acme.account, email="ada@example.com")
    page = browser_page

    # Sign in: password, then the authenticator code.
    page.goto(live_server.url + reverse("admin:index"))
    expect(page).to_have_url(re.compile(r"/dashboard/login/"))
    page.fill("input[name=username]", "ada@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard/login/code/$"))
    page.fill("input[name=code]", totp_code(user))
    page.click("#code-form button[type=submit]")
    expect(page).to_have_url(live_server.url + reverse("admin:index"))
    expect(page.get_by_text("Acme: test data")).to_be_visible()

    # Switch to the sandbox from the account dropdown at the top of the sidebar (an htmx POST).
    page.locator("#nav-sidebar-inner, nav").get_by_text("unfold_more").first.click()
    sandbox_item = page.locator(f'a[data-account-id="{sandbox.id}"]')
    expect(sandbox_item).to_be_visible()
    sandbox_item.click()
    expect(page.get_by_text("You are now working in Staging.")).to_be_visible()
    expect(page).to_have_url(live_server.url + reverse("admin:index"))
    expect(page.get_by_text("Sandbox: Staging").first).to_be_visible()

    # Create a restricted key that may read customers and write invoices.
    page.goto(live_server.url + reverse("dashboard:api-key-create"))
    page.check("input[name=kind][value=restricted]")
    page.fill("input[name=name]", "Reporting")
    page.check("input[name=access_customers][value=read]")
    page.check("input[name=access_invoices][value=write]")
    page.get_by_role("button", name="Create key").click()
    token = page.locator("[data-new-token]")
    expect(token).to_have_value(re.compile(r"^rk_test_"))

    api_key = ApiKey.objects.get(name="Reporting")
    assert api_key.account_id == sandbox.id
    assert api_key.permissions == {"customers": "read", "invoices": "write"}

    # Team activity (in the sandbox) shows who created it.
    page.goto(live_server.url + reverse("admin:accounts_auditlogentry_changelist"))
    row = page.locator("tr", has_text=api_key.id)
    expect(row).to_contain_text("api_key.created")
    expect(row).to_contain_text("ada@example.com")
