"""Dashboard → Failed payments: the queue (open invoices whose payment failed, their attempts,
last decline and next retry), its filters, "Retry now" and "Retry selected", roles and CSRF;
the invoice page's payment attempts."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.accounts.enums import Role
from apps.collections.models import CollectionSettings, PaymentAttempt
from apps.collections.selectors import failed_payment_codes, failed_payment_list
from apps.collections.services import invoices_retry_now
from apps.core.actor import SYSTEM
from apps.invoices.invoice_items import invoice_item_create
from apps.invoices.models import Invoice
from apps.invoices.one_off import InvoiceDraft, invoice_create
from apps.invoices.services import invoice_finalize
from apps.payments.models import Charge
from apps.subscriptions.services import subscription_renew
from tests.collections.dunning import RENEWED_AT, START, card_fixed, subscribe
from tests.collections.failures import card_scenario_set, declining_subscription, renewal_failed
from tests.conftest import make_account
from tests.dashboard.conftest import staff_client, staff_login  # noqa: F401

QUEUE = "/dashboard/collections/paymentattempt/"
RETRY = QUEUE + "retry/"
# The default schedule's first retry: 14 days × 1/49 (6 h 51 m 25 s) after the failure.
FIRST_RETRY = RENEWED_AT + timedelta(seconds=24_685)


def rows_of(html: str) -> dict[str, str]:
    """Each queue row's HTML by invoice id, in the order shown."""
    return {
        match.group(1): match.group(2)
        for match in re.finditer(r'data-failed-invoice="([^"]+)">(.*?)</tr>', html, re.S)
    }


def cell(row: str, name: str) -> str:
    match = re.search(rf"<[^>]*{name}[^>]*>([^<]*)<", row)
    assert match, name
    return match.group(1).strip()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def two_failed(acme, at):
    """Pat's renewal declined (generic_decline); Sam's too, then a manual retry declined for
    insufficient funds (the newest decline)."""
    pat = declining_subscription(acme.account, email="pat@example.com", name="Pat Doe")
    sam = declining_subscription(acme.account, email="sam@example.com", amount=1999)
    pat_invoice = renewal_failed(pat, at, RENEWED_AT)
    sam_invoice = renewal_failed(sam, at, RENEWED_AT)
    card_scenario_set(sam_invoice.customer, "decline_insufficient_funds")
    at(RENEWED_AT + timedelta(hours=2))
    invoices_retry_now(account=acme.account, invoice_ids=[sam_invoice.id], actor=SYSTEM)
    return pat_invoice, sam_invoice


def test_the_queue_shows_each_failed_invoice_with_its_attempts_decline_and_next_retry(
    staff_client,  # noqa: F811
    acme,
    at,
    two_failed,
):
    pat, sam = two_failed
    at(START)
    healthy = subscribe(acme.account, email="ok@example.com")
    globex = make_account("Globex")
    elsewhere = declining_subscription(globex.account, email="pat@example.com")
    elsewhere = renewal_failed(elsewhere, at, RENEWED_AT)
    subscription_renew(subscription_id=healthy.id)  # paid at once: never in the queue
    renewed = Invoice.objects.get(subscription=healthy, billing_reason="subscription_cycle")
    assert renewed.status == "paid"
    emailed = invoice_create(
        account=acme.account,
        draft=InvoiceDraft(
            customer_id=pat.customer_id,
            collection_method="send_invoice",
            days_until_due=7,
        ),
        actor=SYSTEM,
    )
    invoice_item_create(account=acme.account, actor=SYSTEM, invoice_id=emailed.id, amount=500)
    invoice_finalize(account=acme.account, invoice_id=emailed.id)  # open, never attempted
    assert Invoice.objects.get(pk=emailed.pk).status == "open"

    page = staff_client.get(QUEUE)

    assert page.status_code == 200
    html = page.content.decode()
    rows = rows_of(html)
    # Same next retry: the newer invoice first.
    assert list(rows) == sorted([pat.id, sam.id], reverse=True)
    assert elsewhere.id not in html
    pat_row, sam_row = rows[pat.id], rows[sam.id]
    assert cell(pat_row, "data-invoice-link") == pat.number
    assert f'href="/dashboard/invoices/invoice/{pat.id}/change/"' in pat_row
    assert cell(pat_row, "data-customer-link") == "pat@example.com"
    assert f'href="/dashboard/customers/customer/{pat.customer_id}/change/"' in pat_row
    assert cell(pat_row, "data-amount-due") == "25.00 USD"
    assert cell(pat_row, "data-attempts") == "1"
    assert cell(pat_row, "data-decline-code") == "generic_decline"
    assert cell(pat_row, "data-next-retry") == "2025-02-01 07:51"
    # The manual retry neither counted nor moved the schedule; its decline is the newest.
    assert cell(sam_row, "data-amount-due") == "19.99 USD"
    assert cell(sam_row, "data-attempts") == "1"
    assert cell(sam_row, "data-decline-code") == "insufficient_funds"
    assert cell(sam_row, "data-next-retry") == "2025-02-01 07:51"
    assert 'name="invoice"' in pat_row
    assert 'name="selected"' in pat_row
    # The retry names the card it charges: the customer's default.
    card = pat.customer.default_payment_method or pat.customer.default_source
    assert cell(pat_row, "data-retry-card") == f"Retry now with Visa •••• {card.last4}"
    assert "Failed payments" in staff_client.get("/dashboard/").content.decode()


def test_the_queue_filters_by_decline_code_retry_and_customer(staff_client, acme, at):  # noqa: F811
    soon = declining_subscription(acme.account, email="soon@example.com")
    later = declining_subscription(acme.account, email="later@example.com", name="Lena Later")
    spent = declining_subscription(
        acme.account, email="spent@example.com", scenario="decline_insufficient_funds"
    )
    soon_invoice = renewal_failed(soon, at, RENEWED_AT)
    # Three days to the only retry, then one try only: no retry at all.
    CollectionSettings.objects.create(
        account=acme.account, retry_mode="custom", retry_delays=[3], subscription_after="past_due"
    )
    later_invoice = renewal_failed(later, at, RENEWED_AT)
    CollectionSettings.objects.filter(account=acme.account).update(
        retry_mode="smart", retry_attempts=1
    )
    spent_invoice = renewal_failed(spent, at, RENEWED_AT)
    assert later_invoice.next_payment_attempt == RENEWED_AT + timedelta(days=3)
    assert spent_invoice.next_payment_attempt is None

    def shown(**query) -> list[str]:
        return list(rows_of(staff_client.get(QUEUE, query).content.decode()))

    assert shown() == [soon_invoice.id, later_invoice.id, spent_invoice.id]
    assert cell(
        rows_of(staff_client.get(QUEUE).content.decode())[spent_invoice.id], "data-next-retry"
    ) == ("No more retries")
    assert shown(decline_code="insufficient_funds") == [spent_invoice.id]
    assert shown(decline_code="generic_decline") == [soon_invoice.id, later_invoice.id]
    assert shown(retry="scheduled") == [soon_invoice.id, later_invoice.id]
    assert shown(retry="due_24h") == [soon_invoice.id]
    assert shown(retry="none") == [spent_invoice.id]
    assert shown(q="LENA") == [later_invoice.id]
    assert shown(q="spent@") == [spent_invoice.id]
    assert shown(q=soon_invoice.number) == [soon_invoice.id]
    assert shown(q=soon_invoice.customer_id, retry="none") == []
    assert shown(decline_code="lost_card") == []
    # The decline filter offers the codes found in the queue.
    assert failed_payment_codes(account=acme.account, now=RENEWED_AT) == [
        "generic_decline",
        "insufficient_funds",
    ]
    empty = staff_client.get(QUEUE, {"decline_code": "lost_card"}).content.decode()
    assert "No failed payments match these filters." in empty


def test_the_queue_reads_in_the_same_number_of_queries_for_one_row_or_many(acme, at):
    subscriptions = [
        declining_subscription(acme.account, email=f"c{n}@example.com") for n in range(4)
    ]
    renewal_failed(subscriptions[0], at, RENEWED_AT)
    client = staff_login(Client(), account=acme.account)
    with CaptureQueriesContext(connection) as one:
        assert len(rows_of(client.get(QUEUE).content.decode())) == 1
    for subscription in subscriptions[1:]:
        renewal_failed(subscription, at, RENEWED_AT)
    with CaptureQueriesContext(connection) as four:
        assert len(rows_of(client.get(QUEUE).content.decode())) == 4
    assert len(four) == len(one)
    queue = failed_payment_list(account=acme.account, now=RENEWED_AT)
    with CaptureQueriesContext(connection) as listed:
        codes = [(invoice.customer.email, invoice.last_code) for invoice in queue]
    assert len(listed) == 1
    assert sorted(codes) == [(f"c{n}@example.com", "generic_decline") for n in range(4)]


def test_retry_now_pays_one_invoice_and_it_leaves_the_queue(
    staff_client,  # noqa: F811
    acme,
    at,
    two_failed,
):
    pat, sam = two_failed
    card_fixed(pat)
    at(RENEWED_AT + timedelta(hours=3))

    done = staff_client.post(
        RETRY, {"invoice": pat.id, "filters": "retry=scheduled&evil=1", "confirm": "yes"}
    )

    assert done.status_code == 302
    assert done["Location"] == QUEUE + "?retry=scheduled"
    after = Invoice.objects.get(pk=pat.pk)
    assert (after.status, after.amount_paid, after.next_payment_attempt) == ("paid", 2500, None)
    manual = PaymentAttempt.objects.get(invoice=pat, trigger="manual")
    assert (manual.outcome, manual.charge_id) == ("succeeded", after.charge_id)
    # Sam's invoice was not asked for: no new attempt.
    assert PaymentAttempt.objects.filter(invoice=sam, trigger="manual").count() == 1
    page = staff_client.get(done["Location"])
    assert messages_of(page) == [f"Paid: {pat.number}. Paid invoices leave the queue."]
    assert list(rows_of(page.content.decode())) == [sam.id]


def test_a_retry_is_confirmed_first_naming_each_invoice_amount_and_card(
    staff_client,  # noqa: F811
    acme,
    at,
    two_failed,
):
    pat, sam = two_failed
    card_fixed(pat)
    at(RENEWED_AT + timedelta(hours=3))
    attempts, charges = PaymentAttempt.objects.count(), Charge.objects.count()
    pat_card = pat.customer.default_payment_method or pat.customer.default_source

    one = staff_client.post(RETRY, {"invoice": pat.id, "filters": "retry=scheduled"})
    html = one.content.decode()
    assert one.status_code == 200
    assert (
        f"Charge 25.00 USD due on invoice {pat.number} to Visa •••• {pat_card.last4} of "
        "pat@example.com." in html
    )
    assert f'name="invoice" value="{pat.id}"' in html
    assert 'name="filters" value="retry=scheduled"' in html
    assert 'name="confirm" value="yes"' in html
    several = staff_client.post(RETRY, {"selected": [pat.id, sam.id], "bulk": "1"})
    html = several.content.decode()
    assert "Charge 2 invoices now, 44.99 USD in all." in html
    assert html.count('name="selected"') == 2
    assert (PaymentAttempt.objects.count(), Charge.objects.count()) == (attempts, charges)
    assert Invoice.objects.get(pk=pat.pk).status == "open"


def test_retry_selected_reports_each_outcome(staff_client, acme, at, two_failed):  # noqa: F811
    pat, sam = two_failed
    card_fixed(pat)
    at(RENEWED_AT + timedelta(hours=3))

    done = staff_client.post(
        RETRY, {"selected": [pat.id, sam.id], "bulk": "1", "confirm": "yes"}, follow=True
    )

    assert messages_of(done) == [
        f"Paid: {pat.number}. Paid invoices leave the queue.",
        f"{sam.number} was not paid: Your card has insufficient funds. (insufficient_funds)",
    ]
    assert list(rows_of(done.content.decode())) == [sam.id]
    assert Invoice.objects.get(pk=pat.pk).status == "paid"
    after = Invoice.objects.get(pk=sam.pk)
    assert (after.status, after.attempt_count, after.next_payment_attempt) == (
        "open",
        1,
        FIRST_RETRY,
    )
    assert PaymentAttempt.objects.filter(invoice=sam, trigger="manual").count() == 2


def test_nothing_selected_and_foreign_invoices_are_refused(staff_client, acme, at, two_failed):  # noqa: F811
    pat, _ = two_failed
    globex = make_account("Globex")
    at(START)
    foreign = renewal_failed(
        declining_subscription(globex.account, email="g@example.com"), at, RENEWED_AT
    )
    attempts = PaymentAttempt.objects.count()

    nothing = staff_client.post(RETRY, {"bulk": "1"}, follow=True)
    assert messages_of(nothing) == ["Select the invoices to retry."]
    foreign_try = staff_client.post(RETRY, {"invoice": foreign.id}, follow=True)
    assert messages_of(foreign_try) == [
        f"{foreign.id} was not paid: No such invoice: '{foreign.id}' (resource_missing)"
    ]
    assert PaymentAttempt.objects.count() == attempts
    assert Invoice.objects.get(pk=foreign.pk).status == "open"


def test_view_only_members_see_the_queue_but_cannot_retry(acme, at, two_failed):
    pat, _ = two_failed
    card_fixed(pat)
    viewer = staff_login(Client(), account=acme.account, role=Role.VIEW_ONLY)

    page = viewer.get(QUEUE).content.decode()
    assert set(rows_of(page)) == {invoice.id for invoice in two_failed}
    assert "Your role lets you see this queue but not retry payments." in page
    assert 'name="invoice"' not in page
    assert "Retry selected" not in page

    refused = viewer.post(RETRY, {"invoice": pat.id}, follow=True)

    assert messages_of(refused) == [
        "Your role does not allow retrying payments: ask a member who may change invoices."
    ]
    assert Invoice.objects.get(pk=pat.pk).status == "open"
    assert not PaymentAttempt.objects.filter(invoice=pat, trigger="manual").exists()


def test_a_retry_needs_the_csrf_token_and_a_post(acme, at, two_failed):
    pat, _ = two_failed
    card_fixed(pat)
    client = staff_login(Client(enforce_csrf_checks=True), account=acme.account)

    assert client.post(RETRY, {"invoice": pat.id}).status_code == 403
    assert client.get(RETRY, {"invoice": pat.id}).status_code == 405
    assert Invoice.objects.get(pk=pat.pk).status == "open"


def test_the_invoice_page_shows_its_attempts_and_next_retry(staff_client, acme, at, two_failed):  # noqa: F811
    _, sam = two_failed

    html = staff_client.get(f"/dashboard/invoices/invoice/{sam.id}/change/").content.decode()

    assert "Next retry: 2025-02-01 07:51 UTC (attempt 2)." in html
    attempts = re.findall(r'data-payment-attempt="\d+">(.*?)</tr>', html, re.S)
    assert len(attempts) == 2
    assert [cell(row, "data-attempt-trigger") for row in attempts] == ["Automatic", "Manual"]
    assert [cell(row, "data-attempt-code") for row in attempts] == [
        "generic_decline",
        "insufficient_funds",
    ]
    assert "2025-02-01 01:00" in attempts[0]
    assert "2025-02-01 03:00" in attempts[1]
    assert all("Failed" in row for row in attempts)
    # A paid invoice shows its history and no retry.
    card_scenario_set(sam.customer, "succeed")
    invoices_retry_now(account=acme.account, invoice_ids=[sam.id], actor=SYSTEM)
    html = staff_client.get(f"/dashboard/invoices/invoice/{sam.id}/change/").content.decode()
    assert "No retry: the invoice is paid." in html
    assert len(re.findall(r'data-payment-attempt="\d+"', html)) == 3
    # An invoice that never failed has no such section.
    first = Invoice.objects.get(subscription=sam.subscription, billing_reason="subscription_create")
    html = staff_client.get(f"/dashboard/invoices/invoice/{first.id}/change/").content.decode()
    assert "data-payment-attempts" not in html
    assert "Payment attempts" not in html


def test_a_past_due_subscription_page_retries_with_the_card_it_names(
    staff_client,  # noqa: F811
    acme,
    at,
    two_failed,
):
    pat, _sam = two_failed
    page_url = f"/dashboard/subscriptions/subscription/{pat.subscription_id}/change/"
    card = pat.customer.default_payment_method or pat.customer.default_source
    page = staff_client.get(page_url).content.decode()
    row = page.split(f'data-invoice="{pat.id}"')[1].split("</form>")[0]
    assert cell(row, "data-retry-card") == f"Retry now with Visa •••• {card.last4}"
    card_fixed(pat)
    at(RENEWED_AT + timedelta(hours=3))

    done = staff_client.post(RETRY, {"invoice": pat.id, "next": page_url, "confirm": "yes"})
    # Only a page of this dashboard is followed back.
    elsewhere = staff_client.post(
        RETRY, {"invoice": pat.id, "next": "https://evil.example/", "confirm": "yes"}
    )

    assert done["Location"] == page_url
    assert elsewhere["Location"] == QUEUE
    assert Invoice.objects.get(pk=pat.pk).status == "paid"
    assert messages_of(staff_client.get(page_url))[0] == (
        f"Paid: {pat.number}. Paid invoices leave the queue."
    )
    assert "data-retry-card" not in staff_client.get(page_url).content.decode()
