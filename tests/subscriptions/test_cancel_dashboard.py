"""Dashboard → a subscription → Cancel: crediting the unused time and invoicing now, stated
with the amounts on the confirmation and done by the same service as the API's cancel.

Basic at $25.00 a month from 2025-01-01, cancelled on 2025-01-16: −round(2500 × 16/31) =
−1290 (−$12.90)."""

from html import unescape

from apps.core.models import Event
from apps.customers.selectors import customer_balance
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice, InvoiceItem
from tests.customers.conftest import staff_client  # noqa: F401
from tests.factories import SubscriptionFactory

BASE = "/dashboard/subscriptions/subscription"


def _details(response) -> list[str]:
    assert response.status_code == 200
    page = unescape(response.content.decode())
    block = page.split("data-confirm-details>", 1)[1].split("</ul>", 1)[0]
    return [line.split("</li>", 1)[0] for line in block.split("<li>")[1:]]


def _rows():
    return (
        Event.objects.count(),
        InvoiceItem.objects.count(),
        list(Invoice.objects.values_list("id", "status")),
    )


def test_the_cancel_form_offers_the_credit_with_its_amount(staff_client, acme, at):  # noqa: F811
    subscription = SubscriptionFactory(account=acme.account)
    at(utc(2025, 1, 16))
    page = unescape(staff_client.get(f"{BASE}/{subscription.id}/change/").content.decode())
    assert "Credit the unused time (-$12.90)" in page
    assert 'name="invoice_now"' in page


def test_credit_and_invoice_now_are_stated_then_done(staff_client, acme, at):  # noqa: F811
    subscription = SubscriptionFactory(account=acme.account)
    at(utc(2025, 1, 16))
    url = f"{BASE}/{subscription.id}/cancel/"
    form = {"feedback": "too_expensive", "prorate": "on", "invoice_now": "on"}
    before = _rows()
    first = staff_client.post(url, form)
    assert _details(first) == [
        "The unused time until 1 Feb 2025 is credited: -$12.90.",
        "A final invoice of 1 item(s) totalling -$12.90 (before discounts and taxes) is made "
        "and collected now.",
        "Its negative total, -$12.90, goes to the customer's credit balance for their next "
        "invoices.",
    ]
    assert _rows() == before
    staff_client.post(url, {**form, "confirm": "yes"})
    subscription.refresh_from_db()
    assert subscription.status == "canceled"
    final = Invoice.objects.get(id=subscription.latest_invoice_id)
    assert (final.total, final.status, final.ending_balance) == (-1290, "paid", -1290)
    assert list(final.lines.values_list("amount", "proration")) == [(-1290, True)]
    assert customer_balance(subscription.customer) == -1290


def test_credit_alone_waits_for_the_next_invoice(staff_client, acme, at):  # noqa: F811
    subscription = SubscriptionFactory(account=acme.account)
    at(utc(2025, 1, 16))
    url = f"{BASE}/{subscription.id}/cancel/"
    assert _details(staff_client.post(url, {"prorate": "on"})) == [
        "The unused time until 1 Feb 2025 is credited: -$12.90.",
        "The credit waits as a pending item for the customer's next invoice.",
        "No further invoices are created; open invoices stay as they are.",
    ]
    invoices = Invoice.objects.count()
    staff_client.post(url, {"prorate": "on", "confirm": "yes"})
    assert list(
        InvoiceItem.objects.filter(invoice__isnull=True).values_list("amount", "proration")
    ) == [(-1290, True)]
    assert Invoice.objects.count() == invoices


def test_a_bad_reason_is_refused_in_staff_words(staff_client, acme, at):  # noqa: F811
    subscription = SubscriptionFactory(account=acme.account)
    at(utc(2025, 1, 16))
    before = _rows()
    response = staff_client.post(
        f"{BASE}/{subscription.id}/cancel/",
        {"feedback": "bored", "prorate": "on", "invoice_now": "on", "confirm": "yes"},
        follow=True,
    )
    assert "Choose a reason from the list." in unescape(response.content.decode())
    subscription.refresh_from_db()
    assert subscription.status == "active"
    assert _rows() == before
