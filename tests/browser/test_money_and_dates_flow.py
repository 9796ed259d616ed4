"""Amounts and times as staff see them, in Chromium: each currency in its own format on the
customer and invoice pages, times in the staff member's time zone with UTC on hover."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from apps.invoices.models import Invoice
from tests.browser.conftest import staff_sign_in
from tests.conftest import make_account
from tests.dashboard.conftest import staff_user_with_device
from tests.factories import ChargeFactory, SubscriptionFactory


@pytest.mark.browser
def test_customer_and_invoice_pages_show_each_currency_its_own_way(live_server, browser_page):
    from playwright.sync_api import expect

    acme = make_account("Acme")
    account = acme.account
    subscription = SubscriptionFactory(account=account, email="jenny@example.com")
    jenny = subscription.customer
    yen = ChargeFactory(account=account, amount=1250, currency="jpy")
    invoice = Invoice.objects.get(subscription=subscription)
    user = staff_user_with_device(account=account, email="ada@example.com")
    page = browser_page

    staff_sign_in(page, live_server, user)
    # The dashboard learnt the browser's time zone (headless Chromium here runs in UTC).
    zones = [c["value"] for c in page.context.cookies() if c["name"] == "ledgerline_tz"]
    assert len(zones) == 1

    page.goto(live_server.url + reverse("admin:customers_customer_change", args=[jenny.id]))
    payments = page.locator("[data-customer-payments]")
    expect(payments.locator(f'[data-charge="{invoice.charge_id}"] td').first).to_have_text("$25.00")
    expect(page.locator("[data-customer-balance]")).to_have_text("$0.00")

    page.goto(live_server.url + reverse("admin:payments_charge_changelist"))
    results = page.locator("#result_list")
    expect(results.get_by_role("row").filter(has_text=yen.id)).to_contain_text("¥1,250")
    expect(results).not_to_contain_text("1250 JPY")

    # A staff member in Tokyo sees Tokyo time; the UTC time is on hover.
    # (The cookie the page set, replaced: same name, host and path.)
    host = urlsplit(live_server.url).hostname
    page.context.add_cookies(
        [{"name": "ledgerline_tz", "value": "Asia/Tokyo", "domain": host, "path": "/dashboard/"}]
    )
    assert [c["value"] for c in page.context.cookies() if c["name"] == "ledgerline_tz"] == [
        "Asia/Tokyo"
    ]
    page.goto(live_server.url + reverse("admin:invoices_invoice_change", args=[invoice.id]))
    expect(page.locator("[data-invoice-total]")).to_have_text("$25.00")
    created = page.locator("[data-invoice-created] time")
    utc = invoice.created_at
    expect(created).to_have_attribute("title", utc.strftime("%Y-%m-%d %H:%M:%S UTC"))
    tokyo_hour = (utc.hour + 9) % 24
    expect(created).to_have_text(re.compile(rf", {tokyo_hour:02d}:{utc.minute:02d}$"))
