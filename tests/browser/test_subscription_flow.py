"""The staff subscription flow in Chromium: open a subscription, change its price, read the exact
proration preview, confirm, and find the same figures on the resulting invoice and its PDF."""

import pytest
from django.urls import reverse

from apps.catalog.models import Price
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice
from tests.browser.conftest import staff_sign_in
from tests.conftest import make_account
from tests.dashboard.conftest import staff_user_with_device
from tests.factories import PriceFactory, SubscriptionFactory
from tests.invoices.pdf_text import pdf_text


@pytest.mark.browser
def test_change_price_preview_confirm_invoice_and_pdf(live_server, browser_page, at):
    from playwright.sync_api import expect

    acme = make_account("Acme")
    subscription = SubscriptionFactory(account=acme.account)
    PriceFactory(account=acme.account, unit_amount=2700, name="Pro", nickname="Pro monthly")
    at(utc(2025, 1, 16))
    user = staff_user_with_device(account=acme.account, email="ada@example.com")
    page = browser_page
    staff_sign_in(page, live_server, user)

    page.goto(live_server.url + reverse("admin:subscriptions_subscription_changelist"))
    page.locator("#result_list a", has_text=subscription.id).first.click()
    form = page.locator("[data-change-form]")
    pro = Price.objects.get(nickname="Pro monthly")
    form.locator("select[name=proration_behavior]").select_option("always_invoice")
    form.locator("select[name=price]").select_option(pro.id)
    preview = page.locator("[data-preview-result]")
    expect(preview).to_contain_text("-$12.90")
    expect(preview).to_contain_text("$13.94")
    expect(page.locator("[data-preview-total]")).to_have_text("$1.04")
    shown = [t.strip() for t in page.locator("[data-preview-line] [data-amount]").all_inner_texts()]

    form.get_by_role("button", name="Confirm change").click()
    expect(page.get_by_text("The subscription was changed.")).to_be_visible()
    invoice = Invoice.objects.get(billing_reason="subscription_update")
    page.locator(f'[data-invoice="{invoice.id}"] a').click()
    expect(page.locator("[data-invoice-total]")).to_have_text("$1.04")
    billed = [t.strip() for t in page.locator("[data-line] [data-amount]").all_inner_texts()]
    assert billed == shown == ["-$12.90", "$13.94"]
    pdf_url = page.locator("[data-pdf-link]").get_attribute("href")
    assert pdf_url.startswith(live_server.url + "/i/")
    pdf = page.request.get(pdf_url)
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.body())
    for amount in ("-$12.90", "$13.94", "$1.04"):
        assert amount in text
