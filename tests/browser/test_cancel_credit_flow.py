"""Cancelling now in Chromium with "Credit the unused time" and "Invoice now" ticked: the
confirmation states the credit and the final invoice, and the final invoice carries the credit
(Basic at $25.00 a month from 2025-01-01, cancelled on 2025-01-16: −round(2500 × 16/31) =
−$12.90), its negative total credited to the customer's balance."""

import pytest
from django.urls import reverse

from apps.customers.selectors import customer_balance
from apps.invoices.engine.periods import utc
from apps.subscriptions.models import Subscription
from tests.browser.conftest import staff_sign_in
from tests.conftest import make_account
from tests.dashboard.conftest import staff_user_with_device
from tests.factories import SubscriptionFactory


@pytest.mark.browser
def test_cancel_with_credit_and_final_invoice(live_server, browser_page, at):
    from playwright.sync_api import expect

    acme = make_account("Acme")
    subscription = SubscriptionFactory(account=acme.account, email="ada@example.com")
    at(utc(2025, 1, 16))
    user = staff_user_with_device(account=acme.account, email="staff@example.com")
    page = browser_page
    staff_sign_in(page, live_server, user)

    page.goto(
        live_server.url + reverse("admin:subscriptions_subscription_change", args=[subscription.id])
    )
    form = page.locator("[data-cancel-form]")
    expect(form.locator("[data-cancel-prorate]")).to_have_text("Credit the unused time (-$12.90)")
    form.locator("input[name=prorate]").check()
    form.locator("input[name=invoice_now]").check()
    form.get_by_role("button", name="Cancel now").click()
    details = page.locator("[data-confirm-details]")
    expect(details).to_contain_text("The unused time until 1 Feb 2025 is credited: -$12.90.")
    expect(details).to_contain_text("A final invoice of 1 item(s) totalling -$12.90")
    expect(details).to_contain_text("goes to the customer's credit balance")
    page.locator("[data-confirm-form] button[type=submit]").click()
    expect(
        page.get_by_text("The subscription was canceled; its final invoice was made.")
    ).to_be_visible()

    canceled = Subscription.objects.get(id=subscription.id)
    assert canceled.status == "canceled"
    assert canceled.latest_invoice_id != subscription.latest_invoice_id
    page.locator(f'[data-invoice="{canceled.latest_invoice_id}"] a').click()
    expect(page.locator("[data-invoice-total]")).to_have_text("-$12.90")
    lines = [t.strip() for t in page.locator("[data-line] [data-amount]").all_inner_texts()]
    assert lines == ["-$12.90"]
    assert customer_balance(canceled.customer) == -1290
