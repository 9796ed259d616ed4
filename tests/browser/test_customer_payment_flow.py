"""The staff payment flow in Chromium: find a customer by email, add a test card, charge it,
refund part of it, and see the refund on the customer's timeline."""

import re

import pytest
from django.urls import reverse

from apps.core.actor import SYSTEM
from apps.customers.api.params import customer_create_parse
from apps.customers.services import customer_create
from apps.payments.models import Charge, Refund
from tests.conftest import make_account
from tests.dashboard.conftest import PASSWORD, staff_user_with_device, totp_code


@pytest.mark.browser
def test_find_customer_add_card_charge_refund_see_timeline(live_server, browser_page):
    from playwright.sync_api import expect

    acme = make_account("Acme")
    jenny = customer_create(
        account=acme.account,
        **customer_create_parse({"email": "jenny@example.com", "name": "Jenny"}),
        actor=SYSTEM,
    )
    customer_create(
        account=acme.account, **customer_create_parse({"email": "max@example.com"}), actor=SYSTEM
    )
    user = staff_user_with_device(account=acme.account, email="ada@example.com")
    page = browser_page

    page.goto(live_server.url + reverse("admin:index"))
    page.fill("input[name=username]", "ada@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.fill("input[name=code]", totp_code(user))
    page.click("#code-form button[type=submit]")
    expect(page).to_have_url(live_server.url + reverse("admin:index"))

    # Find the customer by email from the customers list.
    page.goto(live_server.url + reverse("admin:customers_customer_changelist"))
    page.fill("input[name=q]", "jenny@example.com")
    page.keyboard.press("Enter")
    expect(page.locator("#result_list")).to_contain_text(jenny.id)
    expect(page.locator("#result_list")).not_to_contain_text("max@example.com")
    page.locator("#result_list a", has_text="jenny@example.com").first.click()
    expect(page.locator("[data-customer-email]")).to_have_text("jenny@example.com")

    # Add a test card.
    page.select_option("[data-add-test-card] select[name=number]", "4242424242424242")
    page.locator("[data-add-test-card] button[type=submit]").click()
    expect(page.locator("[data-payment-methods]")).to_contain_text("4242")

    # Charge it 25.00 USD.
    page.fill("[data-charge-form] input[name=amount]", "25.00")
    page.fill("[data-charge-form] input[name=currency_code]", "usd")
    page.locator("[data-charge-form] button[type=submit]").click()
    expect(page.locator("[data-confirm-summary]")).to_have_text(
        "Charge 25.00 USD to Visa •••• 4242 of jenny@example.com."
    )
    assert not Charge.objects.filter(customer=jenny).exists()
    page.locator("[data-confirm-form] button[type=submit]").click()
    expect(page.get_by_text("Charged 25.00 USD.")).to_be_visible()
    charge = Charge.objects.get(customer=jenny)
    assert (charge.amount, charge.status) == (2500, "succeeded")

    # Refund 10.00 of it from the charge page.
    page.locator(f'[data-charge="{charge.id}"] a').click()
    page.fill("[data-refund-form] input[name=amount]", "10.00")
    page.locator("[data-refund-form] button[type=submit]").click()
    expect(page.locator("[data-confirm-summary]")).to_have_text(
        "Refund 10.00 USD of 25.00 USD to Visa •••• 4242 of jenny@example.com."
    )
    assert not Refund.objects.filter(charge=charge).exists()
    page.locator("[data-confirm-form] button[type=submit]").click()
    expect(page.get_by_text("Refunded 10.00 USD.")).to_be_visible()
    expect(page.locator("[data-charge-state]")).to_have_text("Partially refunded")
    assert Refund.objects.get(charge=charge).amount == 1000

    # The customer's timeline shows the refund.
    page.goto(live_server.url + reverse("admin:customers_customer_change", args=[jenny.id]))
    timeline = page.locator("[data-timeline]")
    expect(timeline).to_contain_text("charge.refunded")
    expect(timeline).to_contain_text("charge.succeeded")
    expect(page.locator(f'[data-charge="{charge.id}"]')).to_contain_text(
        re.compile(r"Partially refunded.*10\.00 USD", re.S)
    )
