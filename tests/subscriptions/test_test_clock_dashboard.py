"""Dashboard → Billing → Test clocks: create a clock, add a subscribed customer to it, advance
it (queued for the worker; the status panel polls until it is ready) and read what the advance
did."""

import pytest
from django.test import Client

from apps.accounts.models import TestClock
from apps.core.models import Event
from apps.customers.models import Customer
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice
from apps.subscriptions.models import Subscription
from apps.subscriptions.services import test_clocks
from tests.customers.conftest import staff_client  # noqa: F401
from tests.dashboard.conftest import staff_login
from tests.factories import ChargeFactory, PriceFactory

CLOCKS = "/dashboard/accounts/testclock/"


@pytest.fixture
def clock(staff_client, acme):  # noqa: F811
    response = staff_client.post(CLOCKS, {"name": "January", "frozen_time": "2025-01-01T00:00"})
    row = TestClock.objects.get(account=acme.account)
    assert response["Location"] == f"{CLOCKS}{row.id}/change/"
    assert (row.name, row.frozen_time, row.status) == ("January", utc(2025, 1, 1), "ready")
    return row


def _subscribed(client, acme, clock) -> Subscription:
    price = PriceFactory(account=acme.account, name="Pro")
    client.post(
        f"{CLOCKS}{clock.id}/customers/",
        {"email": "ada@example.com", "name": "Ada", "source": "tok_visa", "price": price.id},
    )
    return Subscription.objects.get(customer__email="ada@example.com")


def test_a_new_customer_joins_the_clock_with_a_subscription_at_its_time(staff_client, acme, clock):  # noqa: F811
    page = staff_client.get(f"{CLOCKS}{clock.id}/change/").content.decode()
    assert 'value="2025-02-01T00:00"' in page  # one month on, ready to advance
    subscription = _subscribed(staff_client, acme, clock)
    customer = Customer.objects.get(email="ada@example.com")
    assert customer.test_clock_id == clock.id
    assert (subscription.status, subscription.current_period_start) == ("active", utc(2025, 1, 1))
    assert subscription.current_period_end == utc(2025, 2, 1)
    page = staff_client.get(f"{CLOCKS}{clock.id}/change/").content.decode()
    assert customer.id in page
    assert subscription.id in page
    listed = staff_client.get(CLOCKS).content.decode()
    assert f'data-test-clock="{clock.id}"' in listed


def test_advance_polls_while_advancing_then_shows_what_it_did(staff_client, acme, clock):  # noqa: F811
    subscription = _subscribed(staff_client, acme, clock)
    # Inside the test's transaction the queued run does not start: the clock stays advancing.
    # Past the renewal's hour as a draft, so it is finalized and paid too.
    response = staff_client.post(
        f"{CLOCKS}{clock.id}/advance/", {"frozen_time": "2025-02-02T00:00"}
    )
    assert response.status_code == 302
    status = staff_client.get(f"{CLOCKS}{clock.id}/status/").content.decode()
    assert 'data-clock-status="advancing"' in status
    assert 'hx-trigger="every 1s"' in status
    assert 'data-advance-status="advancing"' in status

    # Another customer's payment while the clock advances is not part of the advance.
    elsewhere = ChargeFactory(account=acme.account)
    test_clocks.test_clock_run(clock.id)  # what the worker's invoicing.test_clock_run does
    status = staff_client.get(f"{CLOCKS}{clock.id}/status/").content.decode()
    assert 'data-clock-status="ready"' in status
    assert "hx-trigger" not in status
    renewal = Invoice.objects.get(subscription=subscription, billing_reason="subscription_cycle")
    assert (renewal.total, renewal.status) == (2500, "paid")
    assert "2025-01-01 00:00 → 2025-02-02 00:00 UTC · ready" in status
    assert f"Invoice {renewal.id} created (subscription cycle): 25.00 USD" in status
    assert f"Invoice {renewal.number} paid: 25.00 USD" in status
    assert "1 invoice created, 1 invoice paid, 1 subscription renewed" in status
    assert f"Subscription {subscription.id} renewed for 2025-02-01 → 2025-03-01" in status
    assert elsewhere.id not in status


def test_advancing_backwards_or_twice_is_refused_on_the_form(staff_client, acme, clock):  # noqa: F811
    back = staff_client.post(f"{CLOCKS}{clock.id}/advance/", {"frozen_time": "2024-12-01T00:00"})
    assert back.status_code == 200
    assert "A test clock only moves forward" in back.content.decode()
    staff_client.post(f"{CLOCKS}{clock.id}/advance/", {"frozen_time": "2025-01-05T00:00"})
    again = staff_client.post(f"{CLOCKS}{clock.id}/advance/", {"frozen_time": "2025-01-09T00:00"})
    assert "wait until it is ready" in again.content.decode()
    assert TestClock.objects.get(id=clock.id).advancing_to == utc(2025, 1, 5)


def test_another_accounts_clock_is_not_found_and_viewers_cannot_advance(acme, globex, clock):
    other = staff_login(Client(), account=globex.account)
    assert other.get(f"{CLOCKS}{clock.id}/change/").status_code == 404
    assert other.get(f"{CLOCKS}{clock.id}/status/").status_code == 404
    viewer = staff_login(Client(), account=acme.account, role="view_only")
    events = Event.objects.count()
    refused = viewer.post(
        f"{CLOCKS}{clock.id}/advance/", {"frozen_time": "2025-02-01T00:00"}, follow=True
    )
    assert "Your role does not allow changing test clocks." in refused.content.decode()
    assert Event.objects.count() == events
    assert TestClock.objects.get(id=clock.id).status == "ready"
