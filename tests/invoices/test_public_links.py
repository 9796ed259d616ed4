"""Hosted invoice and PDF links open wherever the server runs: ``PUBLIC_URL`` when set, else the
origin of the request being answered, else (a worker with no request) the fallback."""

import requests
import stripe

from apps.core.management.commands.runstack import served_url, stack_commands
from apps.invoices.documents import hosted_invoice_url, invoice_pdf_url
from apps.invoices.models import Invoice
from tests.factories import SubscriptionFactory


def _paid_subscription_invoice():
    customer = stripe.Customer.create(email="ada@example.com", source="tok_visa")
    price = stripe.Price.create(
        product_data={"name": "Basic"},
        currency="usd",
        unit_amount=2500,
        recurring={"interval": "month"},
    )
    subscription = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    return stripe.Invoice.retrieve(subscription.latest_invoice)


def test_sdk_invoice_links_start_with_the_live_servers_origin_and_open(stripe_sdk, live_server):
    invoice = _paid_subscription_invoice()
    token = Invoice.objects.get(id=invoice.id).hosted_token
    assert invoice.status == "paid"
    assert invoice.hosted_invoice_url == f"{live_server.url}/i/{token}/"
    assert invoice.invoice_pdf == f"{live_server.url}/i/{token}/pdf"
    page = requests.get(invoice.hosted_invoice_url, timeout=10)
    assert page.status_code == 200
    assert invoice.number in page.text
    pdf = requests.get(invoice.invoice_pdf, timeout=10)
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")


def test_links_follow_the_requests_host_and_proxy_scheme(api, acme, settings):
    settings.ALLOWED_HOSTS = ["billing.example.test"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    invoice = Invoice.objects.get(subscription=SubscriptionFactory(account=acme.account))
    shown = api.get(
        f"/v1/invoices/{invoice.id}",
        HTTP_HOST="billing.example.test:8443",
        HTTP_X_FORWARDED_PROTO="https",
    ).json()
    origin = "https://billing.example.test:8443"
    assert shown["hosted_invoice_url"] == f"{origin}/i/{invoice.hosted_token}/"
    assert shown["invoice_pdf"] == f"{origin}/i/{invoice.hosted_token}/pdf"


def test_public_url_wins_over_the_request(api, acme, settings):
    settings.PUBLIC_URL = "https://pay.example.com"
    invoice = Invoice.objects.get(subscription=SubscriptionFactory(account=acme.account))
    shown = api.get(f"/v1/invoices/{invoice.id}").json()
    assert shown["hosted_invoice_url"] == f"https://pay.example.com/i/{invoice.hosted_token}/"


def test_outside_a_request_links_use_public_url_else_the_fallback(acme, settings):
    invoice = Invoice.objects.get(subscription=SubscriptionFactory(account=acme.account))
    settings.PUBLIC_URL = ""
    settings.PUBLIC_URL_FALLBACK = "http://127.0.0.1:8000"
    assert hosted_invoice_url(invoice) == f"http://127.0.0.1:8000/i/{invoice.hosted_token}/"
    settings.PUBLIC_URL = "http://10.0.0.5:9000"
    assert invoice_pdf_url(invoice) == f"http://10.0.0.5:9000/i/{invoice.hosted_token}/pdf"


def test_runstack_gives_worker_and_beat_the_served_address(settings):
    settings.PUBLIC_URL = ""
    children = stack_commands(host="0.0.0.0", port=8123, server="runserver", python="/p/python")
    env = {child.name: child.env for child in children}
    # The web server takes the origin from each request; only the processes with none get it.
    assert env == {
        "web": {},
        "worker": {"PUBLIC_URL": "http://127.0.0.1:8123"},
        "beat": {"PUBLIC_URL": "http://127.0.0.1:8123"},
    }
    assert served_url(host="::1", port=8000) == "http://[::1]:8000"
    settings.PUBLIC_URL = "https://billing.example.com"
    children = stack_commands(host="127.0.0.1", port=8123, server="gunicorn", python="/p/python")
    assert [child.env for child in children] == [{}, {}, {}]
