"""Paying one open invoice many times at once charges the card once."""

import requests

from apps.core.models import Event
from apps.invoices.models import Invoice
from apps.payments.models import Charge
from tests.conftest import make_account
from tests.races.conftest import RACERS, post_all


def _open_invoice(url: str, key: str, amount: int = 2500) -> str:
    def post(path: str, **data) -> dict:
        response = requests.post(
            f"{url}{path}", data=data, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
        assert response.status_code == 200, response.text
        return response.json()

    customer = post("/v1/customers", email="ada@example.com", source="tok_visa")
    post("/v1/invoiceitems", customer=customer["id"], amount=amount, currency="usd")
    draft = post("/v1/invoices", customer=customer["id"], pending_invoice_items_behavior="include")
    return post(f"/v1/invoices/{draft['id']}/finalize", auto_advance="false")["id"]


def _assert_paid_once(account, invoice_id: str, responses: list) -> None:
    codes = sorted((r.status_code, r.json().get("error", {}).get("code")) for r in responses)
    assert codes.count((200, None)) == 1, codes
    assert {c for c in codes if c != (200, None)} <= {
        (409, "invoice_payment_in_progress"),
        (400, "invoice_not_open"),
    }, codes
    invoice = Invoice.objects.get(id=invoice_id)
    assert (invoice.status, invoice.amount_paid) == ("paid", 2500)
    charges = Charge.objects.filter(account=account.account)
    assert [(c.status, c.amount, c.captured, c.amount_refunded) for c in charges] == [
        ("succeeded", 2500, True, 0)
    ]
    assert invoice.charge_id == charges[0].id
    types = list(
        Event.objects.filter(account=account.account, type__startswith="invoice.pa").values_list(
            "type", flat=True
        )
    )
    assert sorted(types) == ["invoice.paid", "invoice.payment_succeeded"]


def test_twenty_pays_from_two_processes_charge_once(two_processes):
    acme = make_account("Acme")
    invoice_id = _open_invoice(two_processes, acme.secret_key)

    responses = post_all(two_processes, acme.secret_key, f"/v1/invoices/{invoice_id}/pay")

    assert len(responses) == RACERS
    _assert_paid_once(acme, invoice_id, responses)
    winner = next(r for r in responses if r.status_code == 200).json()
    assert (winner["status"], winner["amount_paid"], winner["paid"]) == ("paid", 2500, True)
