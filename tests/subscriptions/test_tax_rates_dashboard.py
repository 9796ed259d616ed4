"""Dashboard: a new subscription's and a new invoice's default tax rates (the account's active
rates, by name), previewed with their tax lines and created with them."""

import re
from decimal import Decimal

import pytest

from apps.catalog.services import NewTaxRate, TaxRateChanges, tax_rate_create, tax_rate_update
from apps.core import clock
from apps.core.actor import SYSTEM
from apps.customers.api.params import customer_create_parse
from apps.customers.services import customer_create
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice, InvoiceItem
from apps.subscriptions.models import Subscription
from apps.subscriptions.planning import ItemRequest
from apps.subscriptions.services import subscription_create
from tests.customers.conftest import staff_client  # noqa: F401
from tests.factories import PriceFactory
from tests.subscriptions.test_subscription_create_dashboard import _form

BASE = "/dashboard/subscriptions/subscription"


@pytest.fixture
def rates(acme):
    vat = tax_rate_create(
        account=acme.account,
        rate=NewTaxRate(display_name="VAT", percentage=Decimal(20), inclusive=False),
        actor=SYSTEM,
    )
    old = tax_rate_create(
        account=acme.account,
        rate=NewTaxRate(display_name="Old VAT", percentage=Decimal("17.5"), inclusive=False),
        actor=SYSTEM,
    )
    tax_rate_update(
        account=acme.account, tax_rate_id=old.id, changes=TaxRateChanges(active=False), actor=SYSTEM
    )
    return vat, old


def test_a_new_subscription_s_default_tax_rates_are_previewed_and_billed(
    staff_client,  # noqa: F811
    acme,
    at,
    rates,
):
    vat, old = rates
    at(utc(2025, 3, 10))
    customer = customer_create(
        account=acme.account,
        **customer_create_parse({"email": "nia@example.com", "source": "tok_visa"}),
        actor=SYSTEM,
    )
    launch = PriceFactory(account=acme.account, unit_amount=2900, name="Launch")
    page = staff_client.get(f"{BASE}/new/?customer={customer.id}").content.decode()
    # Only active rates are offered, by name and rate.
    assert f'<option value="{vat.id}">VAT 20 % (exclusive)</option>' in page
    assert old.id not in page
    now = str(clock.to_epoch(utc(2025, 3, 10)))
    form = _form(now, customer.id, [{"price": launch.id}], default_tax_rates=[vat.id])
    preview = staff_client.get(f"{BASE}/new/preview/", form).content.decode()
    first = preview.split('data-preview-invoice="first"')[1].split("data-preview-invoice=")[0]
    assert re.findall(r"<tr data-preview-tax><td class=\"py-1\">([^<]+)</td>", first) == [
        "VAT (20 %)"
    ]
    assert re.search(r"data-preview-tax>.*?data-amount>([^<]+)<", first, re.S).group(1) == (
        "5.80 USD"
    )
    assert re.search(r"data-preview-amount-due>([^<]+)<", first).group(1) == "34.80 USD"
    assert staff_client.post(f"{BASE}/new/", form).status_code == 302
    subscription = Subscription.objects.get(customer=customer)
    assert subscription.default_tax_rates == [vat.id]
    invoice = Invoice.objects.get(subscription=subscription)
    assert (invoice.tax, invoice.total, invoice.amount_paid) == (580, 3480, 3480)


def test_a_new_invoice_s_default_tax_rates(staff_client, acme, rates):  # noqa: F811
    vat, _ = rates
    customer = customer_create(
        account=acme.account, **customer_create_parse({"email": "ada@example.com"}), actor=SYSTEM
    )
    InvoiceItem.objects.create(
        account=acme.account,
        customer=customer,
        amount=1000,
        currency="usd",
        period_start=clock.now(),
        period_end=clock.now(),
        created_at=clock.now(),
    )
    response = staff_client.post(
        "/dashboard/invoices/invoice/new/",
        {
            "customer": customer.id,
            "currency": "usd",
            "collection_method": "charge_automatically",
            "include_pending": "on",
            "default_tax_rates": [vat.id],
            "items-TOTAL_FORMS": "0",
            "items-INITIAL_FORMS": "0",
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "250",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    invoice = Invoice.objects.get(customer=customer)
    assert (invoice.default_tax_rates, invoice.tax, invoice.total) == ([vat.id], 200, 1200)
    page = staff_client.get(response.url).content.decode()
    assert f'data-tax-line="{vat.id}"' in page
    assert "VAT (20 %)" in page


def test_a_subscription_s_default_tax_rates_are_chosen_on_its_page(
    staff_client,  # noqa: F811
    acme,
    rates,
):
    vat, old = rates
    customer = customer_create(
        account=acme.account,
        **customer_create_parse({"email": "nia@example.com", "source": "tok_visa"}),
        actor=SYSTEM,
    )
    subscription = subscription_create(
        account=acme.account,
        customer=customer,
        items=[ItemRequest(price=PriceFactory(account=acme.account, unit_amount=2900))],
        actor=SYSTEM,
    )
    page_url = f"{BASE}/{subscription.id}/change/"
    response = staff_client.post(
        f"{BASE}/{subscription.id}/tax-rates/", {"default_tax_rates": [vat.id]}
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.default_tax_rates == [vat.id]
    page = staff_client.get(page_url).content.decode()
    assert "The default tax rates were saved." in page
    assert f'<option value="{vat.id}" selected>VAT 20 % (exclusive)</option>' in page
    # An inactive rate is not offered, and cannot be chosen by hand either.
    refused = staff_client.post(
        f"{BASE}/{subscription.id}/tax-rates/", {"default_tax_rates": [old.id]}
    )
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    subscription.refresh_from_db()
    assert subscription.default_tax_rates == [vat.id]
