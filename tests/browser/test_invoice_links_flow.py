"""An invoice's customer page and PDF links in the dashboard open on the port the server runs on
(pytest-django's live server picks a free one), not on a fixed :8000."""

import pytest
from django.urls import reverse

from apps.invoices.models import Invoice
from tests.browser.conftest import staff_sign_in
from tests.conftest import make_account
from tests.dashboard.conftest import staff_user_with_device
from tests.factories import SubscriptionFactory


@pytest.mark.browser
def test_invoice_page_links_open_on_the_live_servers_port(live_server, browser_page):
    from playwright.sync_api import expect

    acme = make_account("Acme")
    invoice = Invoice.objects.get(subscription=SubscriptionFactory(account=acme.account))
    user = staff_user_with_device(account=acme.account, email="ada@example.com")
    page = browser_page
    staff_sign_in(page, live_server, user)

    page.goto(live_server.url + reverse("admin:invoices_invoice_change", args=[invoice.pk]))
    hosted = page.locator("[data-hosted-link]").get_attribute("href")
    pdf = page.locator("[data-pdf-link]").get_attribute("href")
    assert hosted == f"{live_server.url}/i/{invoice.hosted_token}/"
    assert pdf == f"{live_server.url}/i/{invoice.hosted_token}/pdf"

    response = page.request.get(pdf)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    with page.context.expect_page() as opened:
        page.locator("[data-hosted-link]").click()
    customer_page = opened.value
    customer_page.wait_for_load_state()
    assert customer_page.url == hosted
    expect(customer_page.locator(f'[data-hosted-invoice="{invoice.id}"]')).to_be_visible()
    download = customer_page.locator(f'a[href="{pdf}"]')
    expect(download).to_be_visible()
    assert customer_page.request.get(download.get_attribute("href")).status == 200
