"""Tax rates in Chromium: staff add a 20 % VAT rate from Product catalog → Tax rates; a
subscription billed with it as its default rate shows the tax line on its invoice's page, and the
customer's hosted page shows it with the customer's VAT number."""

from urllib.parse import urlparse

import pytest
from django.urls import reverse

from apps.catalog.models import TaxRate
from tests.dashboard.conftest import PASSWORD, staff_user_with_device, totp_code
from tests.subscriptions.sdk_clock import invoices_of, monthly


@pytest.mark.browser
def test_a_tax_rate_added_in_the_dashboard_shows_on_the_invoice(
    live_server, browser_page, stripe_sdk, tasks_inline, acme
):
    from playwright.sync_api import expect

    stripe = stripe_sdk
    user = staff_user_with_device(account=acme.account, email="ada@example.com")
    page = browser_page
    page.goto(live_server.url + reverse("admin:index"))
    page.fill("input[name=username]", "ada@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.fill("input[name=code]", totp_code(user))
    page.click("#code-form button[type=submit]")
    expect(page).to_have_url(live_server.url + reverse("admin:index"))

    page.locator("#nav-sidebar-inner a", has_text="Tax rates").click()
    page.get_by_role("link", name="Add tax rate").click()
    page.fill("input[name=display_name]", "VAT")
    page.fill("input[name=percentage]", "20")
    page.fill("input[name=country]", "G1")
    page.get_by_role("button", name="Save").click()
    # Refused on the field, in words, and nothing is made.
    expect(page.get_by_text("two-letter ISO 3166-1 code such as DE")).to_be_visible()
    assert not TaxRate.objects.exists()
    page.select_option("select[name=inclusive]", "false")
    page.fill("input[name=country]", "gb")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Tax rate VAT 20 % (exclusive) was created.")).to_be_visible()
    rate = TaxRate.objects.get()
    assert (rate.display_name, rate.country, rate.inclusive) == ("VAT", "GB", False)

    customer = stripe.Customer.create(name="Ada", email="ada@customer.example", source="tok_visa")
    stripe.Customer.create_tax_id(customer.id, type="gb_vat", value="GB123456789")
    stripe.Subscription.create(
        customer=customer.id,
        items=[{"price": monthly(2500, "Basic")}],
        default_tax_rates=[rate.id],
    )
    invoice = invoices_of(customer)[0]
    page.goto(live_server.url + reverse("admin:invoices_invoice_change", args=[invoice.id]))
    tax_line = page.locator(f'[data-tax-line="{rate.id}"]')
    expect(tax_line).to_contain_text("VAT (20 %)")
    expect(tax_line.locator("[data-amount]")).to_have_text("5.00 USD")
    expect(page.locator("[data-invoice-subtotal]")).to_have_text("25.00 USD")
    expect(page.locator("[data-invoice-total]")).to_have_text("30.00 USD")
    expect(page.locator("[data-customer-tax-id]")).to_have_text("gb_vat GB123456789")

    page.goto(live_server.url + urlparse(invoice.hosted_invoice_url).path)
    hosted = page.locator("[data-hosted-invoice]")
    expect(hosted).to_contain_text("GB VAT GB123456789")
    expect(hosted).to_contain_text("VAT (20 %)")
    expect(hosted).to_contain_text("5.00 USD")
    expect(hosted).to_contain_text("30.00 USD")
