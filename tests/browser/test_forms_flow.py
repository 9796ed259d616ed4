"""Dashboard forms in Chromium: an empty customer is refused in plain words, inputs are styled,
the breadcrumb names the customer, an edit form opens on the current values, and a price select
names prices and opens on the subscription's own."""

import pytest
from django.urls import reverse

from apps.customers.models import Customer
from tests.browser.conftest import staff_sign_in
from tests.conftest import make_account
from tests.dashboard.conftest import staff_user_with_device
from tests.factories import PriceFactory, SubscriptionFactory


@pytest.mark.browser
def test_customer_form_breadcrumb_and_price_select(live_server, browser_page):
    from playwright.sync_api import expect

    acme = make_account("Acme")
    subscription = SubscriptionFactory(account=acme.account)
    PriceFactory(account=acme.account, name="Pro", unit_amount=4500)
    user = staff_user_with_device(account=acme.account, email="ada@example.com")
    page = browser_page
    staff_sign_in(page, live_server, user)

    # An empty customer is refused, in words for staff.
    page.goto(live_server.url + reverse("admin:customers_customer_create"))
    email = page.locator("input[name=email]")
    assert email.evaluate("el => getComputedStyle(el).borderTopWidth") != "0px"
    before = Customer.objects.count()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("[data-form-errors]")).to_have_text(
        "Enter at least an email address or a name, so the customer can be found."
    )
    assert Customer.objects.count() == before

    page.fill("input[name=name]", "Grace Hopper")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Customer Grace Hopper was created.")).to_be_visible()
    grace = Customer.objects.get(name="Grace Hopper")
    expect(page.locator("h1").first).to_contain_text("Grace Hopper")

    # Its edit form opens on what it has.
    page.goto(live_server.url + reverse("admin:customers_customer_edit", args=[grace.id]))
    expect(page.locator("input[name=name]")).to_have_value("Grace Hopper")

    # The subscription's change form names prices and starts on the current one.
    page.goto(
        live_server.url + reverse("admin:subscriptions_subscription_change", args=[subscription.id])
    )
    select = page.locator("[data-change-form] select[name=price]")
    expect(select.locator("option:checked")).to_have_text("Basic — $25.00 / month")
    expect(select.locator("option", has_text="Pro — $45.00 / month")).to_have_count(1)
