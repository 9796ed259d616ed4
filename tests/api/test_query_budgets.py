"""Query budgets of the integrator's SDK flow: customer create, card attach, default payment
method, subscription create with its first invoice paid (issue 16).

Each API call's statements are counted with ``CaptureQueriesContext`` on the request's
connection, every statement included: ``BEGIN``, savepoints, reads and writes, and what runs at
commit. Tasks a call queues (its events' webhook fan-out, the retry of a customer's failed
invoices on a new card, the receipt email) are sent to the broker as production sends them and
run afterwards, as a worker runs them, outside the call's count; the test checks what they did
(one receipt per paid invoice, sent once). The test runs in
real transactions (``transaction=True``), so each call opens and commits its own as in
production, instead of savepoints inside the test's transaction. What production keeps off a
request is kept off here too: the key lookup is served from the per-process key cache (warmed
by the calls that set up the price) and the request log row waits in its buffer.

The counts are exact, not upper bounds: a change that adds a statement must say so here.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.collections.models import SentEmail
from apps.core import request_log
from apps.customers.models import Customer
from apps.invoices.models import Invoice
from apps.payments.models import Charge
from apps.subscriptions.models import Subscription
from tests.conftest import ApiClient, make_account

# The budgets.
BUDGETS = {"customer": 5, "attach": 6, "default": 5, "subscription": 20}
# What each call costs today (the second flow of an account), and which budgets that meets.
# The first three write their row, the audit entry and the event in one transaction, nothing
# else: webhook deliveries are made after the commit (apps.webhooks.services.outbox) and a new
# card's retry of failed invoices is looked for in a worker (apps.collections.consumers); the
# default payment method is set by the customer's locked read itself (``row_lock_update``).
# A subscription create runs two transactions around the processor call: the creation's
# (subscription, items, the first invoice inserted finalized with its lines, the payment's
# claim and pending charge, one insert of audit entries and one of events) and the outcome's
# (the charge's outcome and the invoice paid). The invoice's three renders (created, finalized,
# paid) use the lines and prices in memory; the customer's tax ids are read once.
COUNTS = {"customer": 5, "attach": 6, "default": 5, "subscription": 28}
# On PostgreSQL the batched writes (``apps.core.bulk``) go through ``COPY``, which
# ``CaptureQueriesContext`` does not see: the same calls show fewer statements there.
POSTGRES_COUNTS = {**COUNTS, "subscription": 20}
MET: set[str] = {"customer", "attach", "default"}


@pytest.fixture
def production_request_path(settings):
    """The key cache and the batched request log of the production settings."""
    settings.API_KEY_CACHE_SECONDS = 600.0
    settings.API_REQUEST_LOG_BATCH_SIZE = 10_000
    settings.API_REQUEST_LOG_FLUSH_SECONDS = 3600.0
    yield
    request_log._buffer.flush()


def _counted(call):
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code == 200, response.content
    return response.json(), [query["sql"] for query in queries.captured_queries]


def _price(api: ApiClient) -> str:
    product = api.post("/v1/products", {"name": "Pro"}).json()
    price = api.post(
        "/v1/prices",
        {
            "product": product["id"],
            "unit_amount": 2500,
            "currency": "usd",
            "recurring": {"interval": "month"},
        },
    )
    return price.json()["id"]


def _flow(api: ApiClient, price: str, email: str) -> dict[str, list[str]]:
    customer, customer_sql = _counted(lambda: api.post("/v1/customers", {"email": email}))
    card, attach_sql = _counted(
        lambda: api.post("/v1/payment_methods/pm_card_visa/attach", {"customer": customer["id"]})
    )
    updated, default_sql = _counted(
        lambda: api.post(
            f"/v1/customers/{customer['id']}",
            {"invoice_settings": {"default_payment_method": card["id"]}},
        )
    )
    assert updated["invoice_settings"]["default_payment_method"] == card["id"]
    subscription, subscription_sql = _counted(
        lambda: api.post(
            "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": price}]}
        )
    )
    assert subscription["status"] == "active"
    invoice = Invoice.objects.get(pk=subscription["latest_invoice"])
    assert (invoice.status, invoice.amount_paid) == ("paid", 2500)
    return {
        "customer": customer_sql,
        "attach": attach_sql,
        "default": default_sql,
        "subscription": subscription_sql,
    }


@pytest.mark.django_db(transaction=True)
def test_the_sdk_flow_costs_exactly_these_queries(production_request_path, tasks_queued):
    acme = make_account("Acme")
    api = ApiClient(acme.secret_key)
    price = _price(api)
    first = _flow(api, price, "first@example.com")
    assert tasks_queued.run() >= 1  # the first receipt, sent as a worker sends it
    second = _flow(api, price, "second@example.com")
    assert tasks_queued.run() >= 1

    counts = {name: len(sql) for name, sql in second.items()}
    expected = POSTGRES_COUNTS if connection.vendor == "postgresql" else COUNTS
    assert counts == expected, second
    # The account's first subscription also creates its invoice number sequence (not found
    # by the advancing update, made in a savepoint, advanced) and its payment settings (made
    # in a savepoint of the outcome's transaction); otherwise the first flow costs the same.
    first_counts = {name: len(sql) for name, sql in first.items()}
    assert first_counts == {**expected, "subscription": expected["subscription"] + 8}, first
    assert {name for name, count in COUNTS.items() if count <= BUDGETS[name]} == MET
    # Everything the two flows were to write is there, once.
    account = acme.account
    assert Customer.objects.filter(account=account).count() == 2
    assert Subscription.objects.filter(account=account, status="active").count() == 2
    assert Charge.objects.filter(account=account, status="succeeded").count() == 2
    # The workers' part: one receipt per paid invoice, sent once.
    receipts = SentEmail.objects.filter(account=account, kind="receipt")
    assert sorted(receipts.values_list("to", flat=True)) == [
        "first@example.com",
        "second@example.com",
    ]
    assert all(sent.sent_at and not sent.error for sent in receipts)
