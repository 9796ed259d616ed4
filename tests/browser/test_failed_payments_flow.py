"""The staff collections flow in Chromium: open Billing → Failed payments, read an invoice's next
retry time and decline code, retry it by hand once the card works again, and see it leave the
queue while another failed invoice stays."""

import pytest
from django.urls import reverse

from apps.invoices.models import Invoice
from tests.collections.dunning import RENEWED_AT, card_fixed
from tests.collections.failures import declining_subscription, renewal_failed
from tests.conftest import make_account
from tests.dashboard.conftest import PASSWORD, staff_user_with_device, totp_code


@pytest.mark.browser
def test_retry_a_failed_invoice_from_the_queue(live_server, browser_page, at):
    from playwright.sync_api import expect

    acme = make_account("Acme")
    pat = declining_subscription(acme.account, email="pat@example.com", name="Pat Doe")
    sam = declining_subscription(acme.account, email="sam@example.com", amount=1999)
    invoice = renewal_failed(pat, at, RENEWED_AT)
    other = renewal_failed(sam, at, RENEWED_AT)
    user = staff_user_with_device(account=acme.account, email="ada@example.com")
    page = browser_page
    page.goto(live_server.url + reverse("admin:index"))
    page.fill("input[name=username]", "ada@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.fill("input[name=code]", totp_code(user))
    page.click("#code-form button[type=submit]")
    expect(page).to_have_url(live_server.url + reverse("admin:index"))

    page.get_by_role("link", name="Failed payments").first.click()
    row = page.locator(f'[data-failed-invoice="{invoice.id}"]')
    expect(row).to_be_visible()
    next_retry = row.locator("[data-next-retry]").inner_text().strip()
    decline_code = row.locator("[data-decline-code]").inner_text().strip()
    assert next_retry == invoice.next_payment_attempt.strftime("%Y-%m-%d %H:%M")
    assert next_retry == "2025-02-01 07:51"
    assert decline_code == "generic_decline"
    expect(row.locator("[data-invoice-link]")).to_have_text(invoice.number)
    expect(row.locator("[data-amount-due]")).to_have_text("25.00 USD")

    card_fixed(invoice)
    row.get_by_role("button", name="Retry now").click()
    card = invoice.customer.default_payment_method or invoice.customer.default_source
    expect(page.locator("[data-confirm-summary]")).to_have_text(
        f"Charge 25.00 USD due on invoice {invoice.number} to Visa •••• {card.last4} of "
        "pat@example.com."
    )
    assert Invoice.objects.get(pk=invoice.pk).status == "open"
    page.locator("[data-confirm-form] button[type=submit]").click()

    expect(
        page.get_by_text(f"Paid: {invoice.number}. Paid invoices leave the queue.")
    ).to_be_visible()
    expect(page.locator(f'[data-failed-invoice="{invoice.id}"]')).to_have_count(0)
    expect(page.locator(f'[data-failed-invoice="{other.id}"]')).to_be_visible()
    paid = Invoice.objects.get(pk=invoice.pk)
    assert (paid.status, paid.amount_paid, paid.next_payment_attempt) == ("paid", 2500, None)
    assert Invoice.objects.get(pk=other.pk).status == "open"

    # The invoice page tells the same story: the failure, then the manual retry that paid.
    page.goto(live_server.url + reverse("admin:invoices_invoice_change", args=[invoice.id]))
    expect(page.locator("[data-attempt-trigger]")).to_have_text(["Automatic", "Manual"])
    expect(page.locator("[data-invoice-next-retry]")).to_have_text("No retry: the invoice is paid.")
