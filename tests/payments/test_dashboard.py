"""Dashboard → Payments: status badges and filters, refund form errors."""

import pytest

from apps.core import clock
from apps.core.errors import CardError
from tests.customers.conftest import staff_client  # noqa: F401
from tests.factories import ChargeFactory

LIST = "/dashboard/payments/charge/"


def test_list_filters_by_state(staff_client, acme):  # noqa: F811
    paid = ChargeFactory(account=acme.account)
    with pytest.raises(CardError):
        ChargeFactory(account=acme.account, source="tok_radarBlock")
    with pytest.raises(CardError):
        ChargeFactory(account=acme.account, source="tok_chargeDeclined")
    page = staff_client.get(LIST).content.decode()
    assert "Blocked" in page
    assert "Failed" in page
    assert "Succeeded" in page
    blocked = staff_client.get(LIST, {"state": "blocked"}).content.decode()
    assert paid.id not in blocked
    assert blocked.count("Blocked") >= 1
    assert "Failed</" not in blocked
    assert paid.id in staff_client.get(LIST, {"state": "succeeded"}).content.decode()


def test_refund_form_refuses_more_than_the_charge(staff_client, acme):  # noqa: F811
    charge = ChargeFactory(account=acme.account)
    page = staff_client.post(f"{LIST}{charge.id}/refund/", {"amount": "25.00"})
    assert page.status_code == 200
    assert "greater than the unrefunded amount" in page.content.decode()
    done = staff_client.post(
        f"{LIST}{charge.id}/refund/", {"amount": "5.00", "reason": "duplicate", "confirm": "yes"}
    )
    assert done.status_code == 302
    charge.refresh_from_db()
    assert charge.amount_refunded == 500


def test_payment_settings_change_the_fee_of_later_charges(staff_client, acme):  # noqa: F811
    page = staff_client.get("/dashboard/payments/paymentsettings/")
    assert page.status_code == 200
    assert "2.900" in page.content.decode()
    refused = staff_client.post(
        "/dashboard/payments/paymentsettings/",
        {"fee_percent": "45", "fee_fixed": "30", "availability_days": "2"},
    )
    assert "between 0 and 20" in refused.content.decode()
    saved = staff_client.post(
        "/dashboard/payments/paymentsettings/",
        {"fee_percent": "1.5", "fee_fixed": "0", "availability_days": "0"},
    )
    assert saved.status_code == 302
    charge = ChargeFactory(account=acme.account)
    assert charge.balance_transaction.fee == 30  # 1.5 % of 2000
    assert charge.balance_transaction.available_on <= clock.now()


def test_refund_from_the_customer_page_returns_there(staff_client, acme):  # noqa: F811
    charge = ChargeFactory(account=acme.account)
    customer_page = f"/dashboard/customers/customer/{charge.customer_id}/change/"
    assert "data-inline-refund" in staff_client.get(customer_page).content.decode()
    response = staff_client.post(
        f"{LIST}{charge.id}/refund/", {"amount": "3.00", "next": customer_page, "confirm": "yes"}
    )
    assert response["Location"] == customer_page
    charge.refresh_from_db()
    assert charge.amount_refunded == 300
    outside = staff_client.post(
        f"{LIST}{charge.id}/refund/",
        {"amount": "1.00", "next": "https://evil.example/", "confirm": "yes"},
    )
    assert outside["Location"] == f"{LIST}{charge.id}/change/"
