"""ACCEPTANCE X1 in Chromium: staff create a subscription for a French customer on a USD price
with an EUR option and a pay-what-you-want price with the amount the customer chose; the preview
shows EUR, and the invoice bills exactly what the preview showed."""

import re

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


def _eur(amount: str):
    return re.compile(rf"^\s*(€{re.escape(amount)}|{re.escape(amount)} EUR)\s*$")


@pytest.mark.browser
def test_a_french_customer_is_previewed_and_billed_in_eur(live_server, browser_page, at):
    from playwright.sync_api import expect

    at(utc(2025, 3, 10))
    acme = make_account("Acme")
    customer = customer_create(
        account=acme.account,
        **customer_create_parse(
            {"email": "camille@example.com", "source": "tok_visa", "address": {"country": "FR"}}
        ),
        actor=SYSTEM,
    )
    pro = PriceFactory(
        account=acme.account,
        name="Pro",
        nickname="Pro monthly",
        unit_amount=2500,
        currency_options={"eur": {"unit_amount": 2300}},
    )
    tip = PriceFactory(
        account=acme.account,
        name="Support us",
        nickname="Support monthly",
        unit_amount=None,
        custom_unit_amount={"enabled": True, "minimum": 100, "maximum": 10000},
        currency_options={
            "eur": {"custom_unit_amount": {"enabled": True, "minimum": 100, "maximum": 10000}}
        },
    )
    user = staff_user_with_device(account=acme.account, email="ada@example.com")
    page = browser_page
    staff_sign_in(page, live_server, user)

    page.goto(live_server.url + reverse("admin:subscriptions_subscription_new"))
    form = page.locator("[data-new-subscription-form]")
    form.locator("input[name=customer]").fill(customer.id)
    form.locator("select[name=items-0-price]").select_option(pro.id)
    form.locator("select[name=items-1-price]").select_option(tip.id)
    form.locator("input[name=items-1-custom_amount]").fill("0.5")
    errors = page.locator("[data-preview-errors]")
    expect(errors).to_contain_text("amount chosen: The amount must be at least")
    form.locator("input[name=items-1-custom_amount]").fill("7.25")

    first = page.locator('[data-preview-invoice="first"]')
    expect(first.locator("[data-preview-amount-due]")).to_have_text(_eur("30.25"))
    shown = [
        t.strip() for t in first.locator("[data-preview-line] [data-amount]").all_inner_texts()
    ]
    assert len(shown) == 2
    assert _eur("23.00").match(shown[0]), shown
    assert _eur("7.25").match(shown[1]), shown

    form.get_by_role("button", name="Create subscription").click()
    subscription = Subscription.objects.get(customer=customer)
    expect(page.get_by_text(f"Subscription {subscription.id} was created.")).to_be_visible()
    invoice = Invoice.objects.get(subscription=subscription)
    assert (invoice.currency, invoice.total, invoice.status) == ("eur", 3025, "paid")
    page.locator(f'[data-invoice="{invoice.id}"] a').click()
    expect(page.locator("[data-invoice-total]")).to_have_text(_eur("30.25"))
    billed = [t.strip() for t in page.locator("[data-line] [data-amount]").all_inner_texts()]
    assert billed == shown
