"""Invoice branding in Chromium: staff upload a logo and type the address on Billing settings,
then find them, with a Japanese customer's name and an amount in euros, on the invoice's
customer page and in its PDF, opened from the invoice's page in the dashboard."""

from urllib.parse import urlparse

import pytest
from django.urls import reverse

from tests.accounts.test_branding import image
from tests.browser.conftest import staff_sign_in
from tests.conftest import ApiClient, make_account
from tests.dashboard.conftest import staff_user_with_device
from tests.invoices.pdf_text import pdf_text


@pytest.mark.browser
def test_a_logo_uploaded_in_settings_is_on_the_invoice_page_and_pdf(
    live_server, browser_page, tmp_path
):
    from playwright.sync_api import expect

    acme = make_account("Acme")
    user = staff_user_with_device(account=acme.account, email="ada@example.com")
    page = browser_page
    staff_sign_in(page, live_server, user)

    page.goto(live_server.url + reverse("admin:subscriptions_billingsettings_changelist"))
    expect(page.get_by_text("No logo yet.")).to_be_visible()
    not_an_image = tmp_path / "logo.png"
    not_an_image.write_bytes(b"%PDF-1.4\n")
    page.set_input_files("input[name=branding-logo]", str(not_an_image))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("this file is not one")).to_be_visible()

    logo = tmp_path / "acme.png"
    logo.write_bytes(image("PNG"))
    page.fill("textarea[name=branding-address]", "Acme GmbH\nMusterstraße 1\n10115 Berlin")
    page.set_input_files("input[name=branding-logo]", str(logo))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Billing settings saved.")).to_be_visible()
    expect(page.locator("[data-current-logo] img")).to_be_visible()

    api = ApiClient(acme.secret_key)
    customer = api.post("/v1/customers", {"name": "山田太郎", "email": "taro@example.jp"}).json()
    api.post("/v1/invoiceitems", {"customer": customer["id"], "amount": 125000, "currency": "eur"})
    draft = api.post(
        "/v1/invoices",
        {
            "customer": customer["id"],
            "currency": "eur",
            "collection_method": "send_invoice",
            "days_until_due": 30,
            "pending_invoice_items_behavior": "include",
        },
    ).json()
    invoice = api.post(f"/v1/invoices/{draft['id']}/finalize").json()
    assert (invoice["status"], invoice["total"]) == ("open", 125000)

    page.goto(live_server.url + reverse("admin:invoices_invoice_change", args=[invoice["id"]]))
    hosted_url = page.locator("[data-hosted-link]").get_attribute("href")
    page.goto(live_server.url + urlparse(hosted_url).path)
    expect(page.locator("[data-logo]")).to_be_visible()
    expect(page.locator("[data-seller-address]")).to_contain_text("Musterstraße 1")
    expect(page.locator("[data-customer-name]")).to_have_text("山田太郎")
    # The name is drawn in the shipped Japanese font (this machine has none of its own).
    loaded = page.evaluate(
        "document.fonts.ready.then(() => [...document.fonts]"
        ".filter(f => f.family.includes('Ledgerline CJK') && f.status === 'loaded').length)"
    )
    assert loaded == 1
    expect(page.locator("[data-total]").filter(has_text="Amount due")).to_contain_text("€1,250.00")

    pdf = page.request.get(live_server.url + urlparse(hosted_url).path + "pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.body())
    for shown in ("Acme", "Musterstraße 1", "山田太郎", "€1,250.00", "Open"):
        assert shown in text
