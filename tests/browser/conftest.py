"""Browser tests: Debian's Chromium driven by Playwright (``playwright install`` cannot download
browsers here), against pytest-django's live server."""

import pytest
from django.db import connections
from django.urls import reverse

from tests.dashboard.conftest import PASSWORD, totp_code

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API keeps an event loop running in this thread; the test's own ORM
    # calls are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.set_default_timeout(15_000)
        yield page
        browser.close()
        # ORM calls made while Playwright's loop runs open connections in that loop's context;
        # close them here, in the same context, or the test database cannot be dropped.
        connections.close_all()


def staff_sign_in(page, live_server, user) -> None:
    """Sign ``user`` (a staff member with a confirmed authenticator, ``staff_user_with_device``)
    in through the dashboard's two login steps, password then code, and land on the home page.
    tests/browser/test_dashboard_flow.py checks each step of the login itself."""
    from playwright.sync_api import expect

    page.goto(live_server.url + reverse("admin:index"))
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.fill("input[name=code]", totp_code(user))
    page.click("#code-form button[type=submit]")
    expect(page).to_have_url(live_server.url + reverse("admin:index"))
