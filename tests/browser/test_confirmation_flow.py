"""The confirmation step in Chromium: cancelling a subscription shows the plan, the customer
and the unused time, and "Go back" leaves it active; voiding an invoice names it and its
amount; removing a card names the card. Each acts only once confirmed."""

import pytest
from django.urls import reverse

from apps.customers.models import PaymentMethod
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice
from apps.subscriptions.models import Subscription
from tests.conftest import make_account
from tests.dashboard.conftest import PASSWORD, staff_user_with_device, totp_code
from tests.factories import CustomerFactory, SubscriptionFactory


@pytest.fixture
def clock_start():
    return utc(2025, 1, 1)


@pytest.mark.browser
def test_cancel_void_and_remove_card_ask_first(live_server, browser_page, at):
    from playwright.sync_api import expect

    acme = make_account("Acme")
    subscription = SubscriptionFactory(account=acme.account, email="ada@example.com")
    other = SubscriptionFactory(account=acme.account, email="bob@example.com")
    invoice = Invoice.objects.get(subscription=other)
    Invoice.objects.filter(id=invoice.id).update(status="open", amount_paid=0, paid_at=None)
    jenny = CustomerFactory(account=acme.account, email="jenny@example.com", source="tok_visa")
    at(utc(2025, 1, 16))
    user = staff_user_with_device(account=acme.account, email="staff@example.com")
    page = browser_page
    page.goto(live_server.url + reverse("admin:index"))
    page.fill("input[name=username]", "staff@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.fill("input[name=code]", totp_code(user))
    page.click("#code-form button[type=submit]")
    expect(page).to_have_url(live_server.url + reverse("admin:index"))

    subscription_page = reverse("admin:subscriptions_subscription_change", args=[subscription.id])
    page.goto(live_server.url + subscription_page)
    page.locator("[data-cancel-form] button[type=submit]").click()
    expect(page.locator("[data-confirm-summary]")).to_have_text(
        "Cancel Basic — 25.00 USD / month for ada@example.com now."
    )
    expect(page.locator("[data-confirm-details]")).to_contain_text("worth -12.90 USD")
    page.get_by_role("link", name="Go back").click()
    expect(page).to_have_url(live_server.url + subscription_page)
    assert Subscription.objects.get(id=subscription.id).status == "active"
    page.locator("[data-cancel-form] button[type=submit]").click()
    page.locator("[data-confirm-form] button[type=submit]").click()
    expect(page.get_by_text("The subscription was canceled.")).to_be_visible()
    assert Subscription.objects.get(id=subscription.id).status == "canceled"

    page.goto(live_server.url + reverse("admin:invoices_invoice_change", args=[invoice.id]))
    page.get_by_role("button", name="Void").click()
    expect(page.locator("[data-confirm-summary]")).to_have_text(
        f"Void invoice {invoice.number} of 25.00 USD for bob@example.com; it can no longer be paid."
    )
    assert Invoice.objects.get(id=invoice.id).status == "open"
    page.locator("[data-confirm-form] button[type=submit]").click()
    expect(page.get_by_text("Invoice: void done.")).to_be_visible()
    assert Invoice.objects.get(id=invoice.id).status == "void"

    page.goto(live_server.url + reverse("admin:customers_customer_change", args=[jenny.id]))
    page.locator("[data-payment-methods]").get_by_role("button", name="Remove").click()
    expect(page.locator("[data-confirm-summary]")).to_have_text(
        "Remove Visa •••• 4242 from jenny@example.com."
    )
    assert PaymentMethod.objects.filter(customer=jenny).count() == 1
    page.locator("[data-confirm-form] button[type=submit]").click()
    expect(page.get_by_text("Removed")).to_be_visible()
    assert PaymentMethod.objects.filter(customer=jenny).count() == 0
