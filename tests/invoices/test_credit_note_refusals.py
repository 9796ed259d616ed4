"""The refusals of ``POST /v1/credit_notes`` and of the dashboard's credit-note form, each with
its exact message and param, and nothing written."""

from apps.customers.models import CustomerBalanceTransaction
from apps.invoices.models import CreditNote, Invoice
from apps.payments.models import Refund
from tests.customers.conftest import staff_client  # noqa: F401
from tests.factories import SubscriptionFactory
from tests.subscriptions.wire import prices_and_customer


def _written(customer_id: str) -> tuple:
    return (
        CreditNote.objects.count(),
        Refund.objects.count(),
        CustomerBalanceTransaction.objects.filter(customer_id=customer_id).count(),
    )


def test_credit_note_refusals_write_nothing(api):
    price, _, customer = prices_and_customer(api)
    subscription = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": price["id"]}]}
    ).json()
    paid = api.get("/v1/invoices", {"subscription": subscription["id"]}).json()["data"][0]
    line = api.get(f"/v1/invoices/{paid['id']}/lines").json()["data"][0]
    draft = api.post("/v1/invoices", {"customer": customer["id"]}).json()
    before = _written(customer["id"])
    refusals = [
        ({"invoice": paid["id"], "lines": "x"}, "Invalid array: lines", "lines"),
        ({"invoice": paid["id"], "lines": ["x"]}, "Invalid hash", "lines[0]"),
        (
            {"invoice": paid["id"], "lines": [{"amount": "ten"}]},
            "Each line needs an amount.",
            "lines[0][amount]",
        ),
        (
            {"invoice": paid["id"], "lines": [{"amount": 0, "description": "x"}]},
            "Line amounts are positive.",
            "lines[0][amount]",
        ),
        (
            {"invoice": paid["id"], "lines": [{"amount": 100, "invoice_line": "il_other"}]},
            f"il_other is not a line of {paid['id']}.",
            "lines[0][invoice_line]",
        ),
        (
            {"invoice": paid["id"], "lines": [{"amount": 2501, "invoice_line": line["id"]}]},
            "A line cannot be credited more than it charged.",
            "lines[0][amount]",
        ),
        (
            {"invoice": paid["id"], "lines": [{"amount": 100}]},
            "A custom line needs a description.",
            "lines[0][description]",
        ),
        ({"invoice": paid["id"]}, "Missing required param: amount.", "amount"),
        ({"invoice": paid["id"], "amount": 0}, "Invalid amount: must be at least 1", "amount"),
        (
            {"invoice": paid["id"], "amount": 100, "credit_amount": -1},
            "Invalid credit_amount: must be at least 0",
            "credit_amount",
        ),
        (
            {"invoice": paid["id"], "amount": 100, "credit_amount": 50},
            "On a paid invoice, refund_amount + credit_amount + out_of_band_amount must equal "
            "the credit note's amount.",
            "refund_amount",
        ),
        (
            {"invoice": draft["id"], "amount": 100},
            "Credit notes are for open or paid invoices; this one is draft.",
            "invoice",
        ),
    ]
    for params, message, param in refusals:
        error = api.post("/v1/credit_notes", params).json()["error"]
        assert (error["message"], error["param"]) == (message, param), params
    assert _written(customer["id"]) == before


def test_dashboard_credit_note_refusal_is_shown(staff_client, acme):  # noqa: F811
    subscription = SubscriptionFactory(account=acme.account)
    invoice = Invoice.objects.get(subscription=subscription)
    before = _written(subscription.customer_id)
    response = staff_client.post(
        f"/dashboard/invoices/invoice/{invoice.id}/credit-note/",
        {"amount": "-5.00", "settle": "credit_amount"},
        follow=True,
    )
    assert "Invalid credit_amount: must be at least 0" in response.content.decode()
    assert _written(subscription.customer_id) == before
