"""The staff new-subscription flow in Chromium: open the page from the subscriptions list, pick a
customer and two prices (one on a 14-day trial), read the exact preview, create, and find the
same figures on the resulting invoice."""

import pytest
from django.urls import reverse

from apps.core.actor import SYSTEM
from apps.customers.api.params import customer_create_parse
from apps.customers.services import customer_create
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice
from apps.subscriptions.models import Subscription
from tests.browser.conftest import staff_sign_in
from tests.conftest import make_account
from tests.dashboard.conftest import staff_user_with_device
from tests.factories import PriceFactory


@pytest.mark.browser
def test_new_subscription_preview_create_and_invoice(live_server, browser_page, at):
    from playwright.sync_api import expect

    at(utc(2025, 3, 10))
    acme = make_account("Acme")
    customer = customer_create(
        account=acme.account,
        **customer_create_parse({"email": "nia@example.com", "source": "tok_visa"}),
        actor=SYSTEM,
    )
    launch = PriceFactory(
        account=acme.account, unit_amount=2900, name="Launch", nickname=f"{'Launch'} monthly"
    )
    intel = PriceFactory(
        account=acme.account, unit_amount=4900, name="Intel", nickname=f"{'Intel'} monthly"
    )
    user = staff_user_with_device(account=acme.account, email="ada@example.com")
    page = browser_page
    staff_sign_in(page, live_server, user)

    page.goto(live_server.url + reverse("admin:subscriptions_subscription_changelist"))
    page.locator('a[href$="/new_subscription/"]', has_text="New subscription").click()
    expect(page).to_have_url(live_server.url + reverse("admin:subscriptions_subscription_new"))
    form = page.locator("[data-new-subscription-form]")
    form.locator("input[name=customer]").fill(customer.id)
    form.locator("select[name=items-0-price]").select_option(launch.id)
    form.locator("select[name=items-1-price]").select_option(intel.id)
    form.locator("input[name=items-1-trial_days]").fill("14")

    first = page.locator('[data-preview-invoice="first"]')
    following = page.locator('[data-preview-invoice="next"]')
    # The preview settles once the trial days are in: Intel bills nothing now.
    expect(following.locator("[data-preview-amount-due]")).to_have_text("$104.87")
    expect(first.locator("[data-preview-amount-due]")).to_have_text("$29.00")
    shown = [
        t.strip() for t in first.locator("[data-preview-line] [data-amount]").all_inner_texts()
    ]
    assert shown == ["$29.00"]
    upcoming = [
        t.strip() for t in following.locator("[data-preview-line] [data-amount]").all_inner_texts()
    ]
    # Launch, Intel's 17 of 31 days after its trial (4900 × 17/31), Intel's next month.
    assert upcoming == ["$29.00", "$26.87", "$49.00"]
    expect(following).to_contain_text("Next invoice, 10 Apr 2025, 00:00")

    at(utc(2025, 3, 10, 0, 3))  # staff read for three minutes, then create
    form.get_by_role("button", name="Create subscription").click()
    subscription = Subscription.objects.get(customer=customer)
    expect(page.get_by_text(f"Subscription {subscription.id} was created.")).to_be_visible()
    invoice = Invoice.objects.get(subscription=subscription)
    page.locator(f'[data-invoice="{invoice.id}"] a').click()
    expect(page.locator("[data-invoice-total]")).to_have_text("$29.00")
    billed = [t.strip() for t in page.locator("[data-line] [data-amount]").all_inner_texts()]
    assert billed == shown
    assert subscription.billing_cycle_anchor == utc(2025, 3, 10)
    assert subscription.status == "active"
