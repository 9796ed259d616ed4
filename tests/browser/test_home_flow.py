"""The home page in Chromium: the account's figures as cards, the charts, menu labels written
for people, and each card leading to the list it counts."""

import re

import pytest
from django.urls import reverse

from apps.core.actor import SYSTEM
from apps.core.money import format_amount
from apps.subscriptions.services import ItemRequest, subscription_create
from apps.subscriptions.transitions import subscription_status_set
from tests.browser.conftest import staff_sign_in
from tests.conftest import make_account
from tests.dashboard.conftest import staff_user_with_device
from tests.factories import CustomerFactory, PriceFactory


@pytest.mark.browser
def test_home_shows_figures_charts_and_links_to_the_filtered_lists(live_server, browser_page):
    from playwright.sync_api import expect

    acme = make_account("Acme")
    account = acme.account
    basic = PriceFactory(account=account)
    for email in ("one@example.com", "two@example.com"):
        customer = CustomerFactory(account=account, email=email, source="tok_visa")
        subscription = subscription_create(
            account=account, customer=customer, items=[ItemRequest(basic)], actor=SYSTEM
        )
    subscription_status_set(subscription, "past_due")
    subscription.save(update_fields=["status"])
    user = staff_user_with_device(account=account, email="ada@example.com")
    page = browser_page

    staff_sign_in(page, live_server, user)
    expect(page).to_have_url(live_server.url + reverse("admin:index"))
    home = page.locator("[data-home]")
    # Two subscriptions of 25.00 USD a month, one of them past due: both count towards MRR.
    fifty = format_amount(5000, "usd")
    expect(home.locator('[data-card="mrr"] [data-value]')).to_have_text(fifty)
    expect(home.locator('[data-card="active_subscriptions"] [data-value]')).to_have_text("1")
    expect(home.locator('[data-card="revenue"] [data-value]')).to_have_text(fifty)
    expect(home.locator('[data-card="failed_payments"] [data-value]')).to_have_text("0")
    expect(home.locator('[data-chart="revenue"] canvas')).to_be_visible()
    expect(home.locator('[data-chart="failed"] canvas')).to_be_visible()
    # No raw app index on the page; the menu speaks of what staff know.
    expect(page.get_by_text("Site administration")).to_have_count(0)
    sidebar = page.locator("#nav-sidebar-inner, nav").first
    for label in ("Home", "Billing settings", "FX rates", "API keys"):
        # A link's name starts with its icon's ligature ("home Home").
        link = sidebar.get_by_role("link", name=re.compile(rf" {re.escape(label)}$"))
        expect(link).to_have_count(1)

    # The MRR card opens the subscriptions it counts.
    home.locator('[data-card="mrr"]').click()
    expect(page).to_have_url(
        re.compile(r"/subscriptions/subscription/\?status__in=active,past_due$")
    )
    expect(page.locator("#result_list tbody tr")).to_have_count(2)

    page.goto(live_server.url + reverse("admin:index"))
    page.locator('[data-card="active_subscriptions"]').click()
    expect(page).to_have_url(re.compile(r"\?status__exact=active$"))
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
