"""The Ctrl+K palette in Chromium: open it from any page, type the start of an email in another
case, move to the first result with the arrow key and open it with Enter."""

import pytest
from django.urls import reverse

from apps.customers.models import Customer
from tests.conftest import make_account
from tests.dashboard.conftest import PASSWORD, staff_user_with_device, totp_code
from tests.factories import CustomerFactory, SubscriptionFactory


@pytest.mark.browser
def test_control_k_finds_and_opens_a_customer(live_server, browser_page):
    from playwright.sync_api import expect

    acme = make_account("Acme")
    globex = make_account("Globex")
    ada = SubscriptionFactory(account=acme.account, email="ada.lovelace@example.com")
    Customer.objects.filter(id=ada.customer_id).update(name="Ada Lovelace")
    CustomerFactory(account=acme.account, email="bob@example.com")
    CustomerFactory(account=globex.account, email="ada@globex.example")
    user = staff_user_with_device(account=acme.account, email="staff@example.com")
    page = browser_page
    page.goto(live_server.url + reverse("admin:index"))
    page.fill("input[name=username]", "staff@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.fill("input[name=code]", totp_code(user))
    page.click("#code-form button[type=submit]")
    expect(page).to_have_url(live_server.url + reverse("admin:index"))

    page.goto(live_server.url + reverse("admin:invoices_invoice_changelist"))
    # The pointer stays off the results: hovering one selects it, as a click would.
    page.mouse.move(0, 0)
    page.keyboard.press("Control+K")
    palette = page.locator("#search-input-command")
    expect(palette).to_be_focused()
    palette.press_sequentially("ADA.L")
    results = page.locator("#command-results-list li")
    expect(results).to_have_count(3)  # the customer, their subscription, their payment
    expect(results.first).to_contain_text("ada.lovelace@example.com")
    expect(page.locator("#command-results")).not_to_contain_text("globex")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(
        live_server.url + reverse("admin:customers_customer_change", args=[ada.customer_id])
    )
    expect(page.locator("[data-customer-email]")).to_have_text("ada.lovelace@example.com")

    # Esc closes the palette again.
    page.mouse.move(0, 0)
    page.keyboard.press("Meta+K")
    expect(palette).to_be_focused()
    palette.press("Escape")
    expect(palette).to_be_hidden()
