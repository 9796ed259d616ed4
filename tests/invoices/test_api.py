"""/v1/invoices, /v1/invoiceitems and /v1/credit_notes over HTTP."""

from tests.subscriptions.wire import prices_and_customer


def test_invoice_states_and_pending_items(api):
    price, _, _ = prices_and_customer(api)
    failing = api.post(
        "/v1/customers", {"email": "f@example.com", "source": "tok_chargeCustomerFail"}
    ).json()
    subscription = api.post(
        "/v1/subscriptions", {"customer": failing["id"], "items": [{"price": price["id"]}]}
    ).json()
    assert subscription["status"] == "incomplete"
    invoice = api.get("/v1/invoices", {"customer": failing["id"]}).json()["data"][0]
    assert invoice["status"] == "open"
    retry = api.post(f"/v1/invoices/{invoice['id']}/pay")
    assert retry.status_code == 402
    assert api.delete(f"/v1/invoices/{invoice['id']}").status_code == 400  # not a draft
    marked = api.post(f"/v1/invoices/{invoice['id']}/mark_uncollectible").json()
    assert marked["status"] == "uncollectible"
    voided = api.post(f"/v1/invoices/{invoice['id']}/void").json()
    assert voided["status"] == "void"
    assert api.post(f"/v1/invoices/{invoice['id']}/void").status_code == 400

    item = api.post(
        "/v1/invoiceitems",
        {
            "customer": failing["id"],
            "amount": 750,
            "currency": "usd",
            "description": "Setup",
            "subscription": subscription["id"],
        },
    ).json()
    assert item["invoice"] is None
    pending = api.get("/v1/invoiceitems", {"customer": failing["id"], "pending": "true"}).json()
    assert [i["id"] for i in pending["data"]] == [item["id"]]
    assert api.delete(f"/v1/invoiceitems/{item['id']}").json()["deleted"] is True
    assert (
        api.post(
            "/v1/invoiceitems",
            {
                "customer": failing["id"],
                "amount": 1,
                "currency": "eur",
                "subscription": subscription["id"],
            },
        ).json()["error"]["param"]
        == "currency"
    )


def test_credit_notes_on_paid_and_open_invoices(api):
    price, _, customer = prices_and_customer(api)
    subscription = api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": price["id"]}]}
    ).json()
    paid = api.get("/v1/invoices", {"subscription": subscription["id"]}).json()["data"][0]
    line = api.get(f"/v1/invoices/{paid['id']}/lines").json()["data"][0]
    uneven = api.post(
        "/v1/credit_notes", {"invoice": paid["id"], "amount": 1000, "refund_amount": 500}
    )
    assert uneven.json()["error"]["param"] == "refund_amount"
    note = api.post(
        "/v1/credit_notes",
        {
            "invoice": paid["id"],
            "lines": [{"invoice_line": line["id"], "amount": 1000}],
            "refund_amount": 600,
            "credit_amount": 400,
            "reason": "product_unsatisfactory",
        },
    ).json()
    assert (note["amount"], note["refunds"][0]["amount_refunded"]) == (1000, 600)
    assert api.get(f"/v1/customers/{customer['id']}").json()["balance"] == -400
    from apps.payments.models import Refund

    assert Refund.objects.get(id=note["refunds"][0]["refund"]).amount == 600
    too_much = api.post(
        "/v1/credit_notes", {"invoice": paid["id"], "amount": 1501, "out_of_band_amount": 1501}
    )
    assert too_much.json()["error"]["param"] == "amount"
    failing = api.post(
        "/v1/customers", {"email": "o@example.com", "source": "tok_chargeCustomerFail"}
    ).json()
    sub = api.post(
        "/v1/subscriptions", {"customer": failing["id"], "items": [{"price": price["id"]}]}
    ).json()
    open_invoice = api.get("/v1/invoices", {"subscription": sub["id"]}).json()["data"][0]
    api.post("/v1/credit_notes", {"invoice": open_invoice["id"], "amount": 2500})
    settled = api.get(f"/v1/invoices/{open_invoice['id']}").json()
    assert (settled["amount_due"], settled["status"]) == (0, "paid")
