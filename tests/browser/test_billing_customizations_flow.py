"""ACCEPTANCE B1 in Chromium: Alex Miles pays Basic $25/month since 2025-01-01 (test clock). Staff
open Billing customizations, choose the minimum proration threshold of $5.00 for
billing.prorations, preview the move to Pro $27 on 2025-01-16 (a proration of 0, where the saved
default prorates +1.04), and save; the change is then made through the API and the 2025-02-01
invoice shows the same figures (27.00, no proration) and the implementations that computed it,
minimum_threshold among them (it waived the proration); a later change over the minimum is
prorated in full and its invoice names minimum_threshold."""

import pytest
from django.urls import reverse

from tests.browser.conftest import staff_sign_in
from tests.dashboard.conftest import staff_user_with_device
from tests.subscriptions.sdk_clock import advance, epoch, invoices_of, monthly

PRORATIONS = "billing.prorations"


def _amounts(locator) -> list[str]:
    return [text.strip() for text in locator.all_inner_texts()]


@pytest.mark.browser
def test_b1_minimum_threshold_chosen_previewed_saved_and_invoiced(
    live_server, browser_page, stripe_sdk, tasks_inline, acme
):
    from playwright.sync_api import expect

    stripe = stripe_sdk
    basic, pro = monthly(2500, "Basic"), monthly(2700, "Pro")
    test_clock = stripe.test_helpers.TestClock.create(frozen_time=epoch(2025, 1, 1))
    customer = stripe.Customer.create(
        name="Alex Miles", email="alex@example.com", test_clock=test_clock.id, source="tok_visa"
    )
    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": basic}])
    advance(test_clock, 2025, 1, 16)

    user = staff_user_with_device(account=acme.account, email="ada@example.com")
    page = browser_page
    staff_sign_in(page, live_server, user)

    # The sidebar's entry (Billing → Billing customizations).
    page.locator("#nav-sidebar-inner a", has_text="Billing customizations").click()
    stage = page.locator(f'[data-stage="{PRORATIONS}"]')
    expect(stage.locator("[data-current-implementation]")).to_contain_text(
        "Prorate by the second · version 1"
    )
    stage.get_by_role("link", name="Change").click()
    page.get_by_role("link", name="Minimum proration threshold").click()
    form = page.locator("[data-choice-form]")
    form.locator('input[name="config[minimum]"]').fill("5.00")
    form.locator("select[name=subscription]").select_option(subscription.id)
    form.locator("select[name=change_to]").select_option(pro)
    form.get_by_role("button", name="Preview").click()

    current = page.locator('[data-preview-side="current"]')
    draft = page.locator('[data-preview-side="draft"]')
    expect(current.locator("[data-preview-proration]")).to_have_text("$1.04")
    expect(current.locator("[data-preview-total]")).to_have_text("$28.04")
    assert sorted(_amounts(current.locator("[data-preview-line] [data-amount]"))) == [
        "$13.94",
        "$27.00",
        "-$12.90",
    ]
    expect(draft.locator("[data-preview-proration]")).to_have_text("$0.00")
    expect(draft.locator("[data-preview-total]")).to_have_text("$27.00")
    shown = _amounts(draft.locator("[data-preview-line] [data-amount]"))
    assert shown == ["$27.00"]

    page.locator("[data-choice-form]").get_by_role("button", name="Save").click()
    expect(page.get_by_text("Prorations: Minimum proration threshold saved.")).to_be_visible()
    stage = page.locator(f'[data-stage="{PRORATIONS}"]')
    expect(stage.locator("[data-current-implementation]")).to_contain_text(
        "Minimum proration threshold · version 1"
    )
    expect(stage.locator('[data-setting="minimum"]')).to_have_text("$5.00")

    # The change itself, through the API: what the staff member previewed is what is invoiced.
    item = subscription["items"].data[0].id
    change = {"items": [{"id": item, "price": pro}], "proration_date": epoch(2025, 1, 16)}
    preview = stripe.Invoice.create_preview(
        subscription=subscription.id,
        subscription_details={**change, "proration_behavior": "create_prorations"},
    )
    assert [line.amount for line in preview.lines.data] == [2700]
    stripe.Subscription.modify(subscription.id, proration_behavior="create_prorations", **change)
    advance(test_clock, 2025, 2, 1, 2)
    renewal = invoices_of(customer)[-1]
    assert (renewal.total, renewal.billing_reason) == (2700, "subscription_cycle")

    page.goto(live_server.url + reverse("admin:invoices_invoice_change", args=[renewal.id]))
    expect(page.locator("[data-invoice-total]")).to_have_text("$27.00")
    assert _amounts(page.locator("[data-line] [data-amount]")) == shown
    # The renewal's totals were computed by the default; the waived change left no line on it,
    # but its record: minimum_threshold decided its prorations.
    expect(page.locator('[data-invoice-stage="billing.compute_bill"]')).to_have_text(
        "standard · version 1"
    )
    expect(page.locator(f'[data-invoice-stage="{PRORATIONS}"]')).to_have_text(
        "minimum_threshold · version 1"
    )

    # A change over the minimum is prorated in full, and its invoice names the implementation:
    # Pro → Max $45 on 2025-02-15, half of February left: −13.50 + 22.50 = +9.00.
    max_price = monthly(4500, "Max")
    stripe.Subscription.modify(
        subscription.id,
        items=[{"id": item, "price": max_price}],
        proration_behavior="create_prorations",
        proration_date=epoch(2025, 2, 15),
    )
    advance(test_clock, 2025, 3, 1, 2)
    march = invoices_of(customer)[-1]
    page.goto(live_server.url + reverse("admin:invoices_invoice_change", args=[march.id]))
    expect(page.locator("[data-invoice-total]")).to_have_text("$54.00")
    assert sorted(_amounts(page.locator("[data-line] [data-amount]"))) == [
        "$22.50",
        "$45.00",
        "-$13.50",
    ]
    expect(page.locator(f'[data-invoice-stage="{PRORATIONS}"]')).to_have_text(
        "minimum_threshold · version 1"
    )
