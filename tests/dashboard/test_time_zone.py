"""Times on dashboard pages are in the staff member's time zone (their browser's, sent as a
cookie), UTC while it is unknown or not a real zone."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from apps.customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

CREATED = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)


def _created_shown(client, customer) -> str:
    html = client.get(reverse("admin:customers_customer_change", args=[customer.id])).content
    match = re.search(r'<time datetime="2026-12-07T23:30:00Z"[^>]*>([^<]*)</time>', html.decode())
    assert match
    return match.group(1)


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        (None, "7 Dec 2026, 23:30"),
        ("Asia/Tokyo", "8 Dec 2026, 08:30"),
        ("America/New_York", "7 Dec 2026, 18:30"),
        ("Mars/Olympus_Mons", "7 Dec 2026, 23:30"),
        ("../../etc/passwd", "7 Dec 2026, 23:30"),
    ],
)
def test_the_customer_page_shows_times_in_the_staff_members_zone(staff_client, acme, zone, shown):
    customer = CustomerFactory(account=acme.account)
    Customer.objects.filter(pk=customer.pk).update(created_at=CREATED)
    if zone is not None:
        staff_client.cookies["ledgerline_tz"] = zone
    assert _created_shown(staff_client, customer) == shown
