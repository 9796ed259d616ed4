"""Test clocks in Chromium: create a clock, add a customer with a monthly subscription to it,
advance it one month and find the renewal invoice in that advance's history."""

import pytest
from django.conf import settings
from django.urls import reverse

from apps.accounts.models import TestClock
from apps.invoices.models import Invoice
from apps.subscriptions.services import test_clocks
from config.celery import app as celery_app
from tests.conftest import make_account
from tests.dashboard.conftest import PASSWORD, staff_user_with_device, totp_code
from tests.factories import PriceFactory


@pytest.fixture
def queued_tasks():
    """Tasks go to the test broker's folder instead of running inline, as with a worker."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = eager
    # The queued run was done by hand (and what it queued is not under test): no worker started
    # later in the session may pick any of it up.
    queues = {"default", *(route["queue"] for route in settings.CELERY_TASK_ROUTES.values())}
    with celery_app.connection_for_write() as connection:
        for queue in queues:
            connection.default_channel.queue_purge(queue)


@pytest.mark.browser
def test_create_clock_subscribe_advance_a_month_see_the_renewal(live_server, browser_page, request):
    from playwright.sync_api import expect

    acme = make_account("Acme")
    price = PriceFactory(account=acme.account, name="Pro")
    user = staff_user_with_device(account=acme.account, email="staff@example.com")
    page = browser_page
    page.goto(live_server.url + reverse("admin:index"))
    page.fill("input[name=username]", "staff@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.fill("input[name=code]", totp_code(user))
    page.click("#code-form button[type=submit]")
    expect(page).to_have_url(live_server.url + reverse("admin:index"))

    page.get_by_role("link", name="Test clocks").first.click()
    page.fill("[data-test-clock-form] input[name=name]", "January run")
    page.fill("[data-test-clock-form] input[name=frozen_time]", "2025-01-01T00:00")
    page.locator("[data-test-clock-form] button[type=submit]").click()
    expect(page.get_by_text("Test clock January run was created.")).to_be_visible()
    clock = TestClock.objects.get(account=acme.account)
    expect(page.locator("[data-frozen-time]")).to_have_text("2025-01-01 00:00 UTC")

    form = page.locator("[data-clock-customer-form]")
    form.locator("input[name=email]").fill("ada@example.com")
    form.locator("select[name=source]").select_option("tok_visa")
    form.locator("select[name=price]").select_option(price.id)
    form.locator("button[type=submit]").click()
    expect(
        page.get_by_text("ada@example.com was added to the clock and subscribed (active).")
    ).to_be_visible()
    expect(page.locator("[data-clock-subscriptions]")).to_contain_text("2025-01-01 → 2025-02-01")

    advance = page.locator("[data-advance-form] input[name=frozen_time]")
    expect(advance).to_have_value("2025-02-01T00:00")
    advance.fill("2025-02-02T00:00")
    # The advance is queued for a worker (the test broker's folder), not run in the request,
    # so the page shows the clock advancing while it polls.
    request.getfixturevalue("queued_tasks")
    page.locator("[data-advance-form] button[type=submit]").click()
    status = page.locator("#test-clock-status")
    expect(status).to_have_attribute("data-clock-status", "advancing")
    expect(page.locator("[data-clock-state]")).to_contain_text("advancing to 2025-02-02 00:00")

    # What the worker's invoicing.test_clock_run does; the polling panel then turns ready,
    # without a reload, and stops polling.
    test_clocks.test_clock_run(clock.id)
    expect(status).to_have_attribute("data-clock-status", "ready")
    expect(status).not_to_have_attribute("hx-trigger", "every 1s")
    expect(page.locator("[data-frozen-time]")).to_have_text("2025-02-02 00:00 UTC")
    renewal = Invoice.objects.get(
        customer__test_clock_id=clock.id, billing_reason="subscription_cycle"
    )
    history = page.locator("[data-advance]").first
    expect(history).to_contain_text("2025-01-01 00:00 → 2025-02-02 00:00 UTC · ready")
    expect(history.locator("[data-advance-summary]")).to_have_text(
        "1 invoice created, 1 invoice paid, 1 subscription renewed"
    )
    expect(history).to_contain_text(f"Invoice {renewal.number} paid: 25.00 USD")
    page.reload()
    expect(page.locator("[data-clock-subscriptions]")).to_contain_text("2025-02-01 → 2025-03-01")
