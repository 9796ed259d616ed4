"""/v1/customers: CRUD, search, balance ledger, notes, tax ids, over HTTP and the SDK."""

import stripe

from apps.core.models import Event
from apps.customers.models import Customer, CustomerBalanceTransaction


def test_create_retrieve_update_delete(api):
    created = api.post(
        "/v1/customers",
        {
            "email": "jenny@example.com",
            "name": "Jenny",
            "metadata": {"plan": "pro"},
            "address": {"country": "DE", "city": "Berlin"},
        },
    )
    assert created.status_code == 200, created.content
    customer = created.json()
    assert customer["object"] == "customer"
    assert customer["balance"] == 0
    assert customer["address"]["city"] == "Berlin"
    updated = api.post(
        f"/v1/customers/{customer['id']}", {"name": "Jenny Rosen", "metadata": {"plan": ""}}
    )
    assert updated.json()["name"] == "Jenny Rosen"
    assert updated.json()["metadata"] == {}
    event = Event.objects.get(type="customer.updated", object_id=customer["id"])
    assert event.previous_attributes["name"] == "Jenny"
    deleted = api.delete(f"/v1/customers/{customer['id']}")
    assert deleted.json() == {"id": customer["id"], "object": "customer", "deleted": True}
    assert api.get(f"/v1/customers/{customer['id']}").json()["deleted"] is True
    assert api.post(f"/v1/customers/{customer['id']}", {"name": "x"}).status_code == 404
    assert api.get("/v1/customers").json()["data"] == []


def test_bad_input_is_refused_and_writes_nothing(api):
    assert api.post("/v1/customers", {"email": "no-at-sign"}).json()["error"]["param"] == "email"
    assert api.post("/v1/customers", {"address": {"planet": "Mars"}}).status_code == 400
    bad_card = api.post("/v1/customers", {"email": "a@b.co", "source": "tok_chargeDeclined"})
    assert bad_card.status_code == 402
    assert api.post("/v1/customers", {"test_clock": "clock_nope"}).status_code == 404
    assert not Customer.objects.exists()
    assert not Event.objects.exists()


def test_search_and_list_filters(api):
    for email, name, plan in [
        ("jenny@example.com", "Jenny Rosen", "pro"),
        ("max@example.com", "Max Rosenberg", "free"),
        ("ann@example.com", "Ann Lee", "pro"),
    ]:
        api.post("/v1/customers", {"email": email, "name": name, "metadata": {"plan": plan}})
    found = api.get("/v1/customers/search", {"query": "email:'max@example.com'"}).json()
    assert found["object"] == "search_result"
    assert [c["email"] for c in found["data"]] == ["max@example.com"]
    rosen = api.get("/v1/customers/search", {"query": "name~'rosen'", "limit": 1}).json()
    assert rosen["has_more"] is True
    rest = api.get(
        "/v1/customers/search", {"query": "name~'rosen'", "limit": 1, "page": rosen["next_page"]}
    ).json()
    assert {rosen["data"][0]["email"], rest["data"][0]["email"]} == {
        "jenny@example.com",
        "max@example.com",
    }
    assert rest["has_more"] is False
    pro = api.get(
        "/v1/customers/search", {"query": "metadata['plan']:'pro' AND -email:'ann@example.com'"}
    ).json()
    assert [c["email"] for c in pro["data"]] == ["jenny@example.com"]
    listed = api.get("/v1/customers", {"email": "ann@example.com"}).json()
    assert [c["name"] for c in listed["data"]] == ["Ann Lee"]
    bad = api.get("/v1/customers/search", {"query": "name~'ro'"})
    assert bad.status_code == 400


def test_balance_ledger_is_append_only_with_running_totals(api):
    customer = api.post("/v1/customers", {"email": "b@example.com"}).json()
    path = f"/v1/customers/{customer['id']}/balance_transactions"
    first = api.post(path, {"amount": -1500, "currency": "usd", "description": "Goodwill"}).json()
    second = api.post(path, {"amount": 400, "currency": "usd"}).json()
    assert (first["ending_balance"], second["ending_balance"]) == (-1500, -1100)
    assert api.get(f"/v1/customers/{customer['id']}").json()["balance"] == -1100
    assert api.get(f"/v1/customers/{customer['id']}").json()["currency"] == "usd"
    mismatch = api.post(path, {"amount": 100, "currency": "eur"})
    assert mismatch.status_code == 400
    assert mismatch.json()["error"]["param"] == "currency"
    edited = api.post(f"{path}/{first['id']}", {"description": "Goodwill credit"}).json()
    assert edited["description"] == "Goodwill credit"
    assert edited["amount"] == -1500
    assert api.post(f"{path}/{first['id']}", {"amount": 1}).status_code == 400
    assert CustomerBalanceTransaction.objects.count() == 2
    assert [r["id"] for r in api.get(path).json()["data"]] == [second["id"], first["id"]]


def test_notes_and_tax_ids(api, acme):
    customer = api.post("/v1/customers", {"email": "n@example.com"}).json()
    notes = f"/v1/customers/{customer['id']}/notes"
    note = api.post(notes, {"body": "Prefers invoices by post"}).json()
    assert note["author"]["type"] == "api_key"
    assert note["author"]["name"].startswith("sk_test_")
    assert api.post(notes, {"body": "  "}).status_code == 400
    api.post(f"{notes}/{note['id']}", {"body": "Prefers email now"})
    assert api.get(notes).json()["data"][0]["body"] == "Prefers email now"
    assert api.delete(f"{notes}/{note['id']}").json()["deleted"] is True
    tax_ids = f"/v1/customers/{customer['id']}/tax_ids"
    vat = api.post(tax_ids, {"type": "eu_vat", "value": "DE123456789"}).json()
    assert vat["country"] == "DE"
    assert api.post(tax_ids, {"type": "eu_vat", "value": "DE123456789"}).status_code == 400
    assert (
        api.post(tax_ids, {"type": "us_ein", "value": "12"}).json()["error"]["code"]
        == "tax_id_invalid"
    )
    expanded = api.get(f"/v1/customers/{customer['id']}", {"expand[]": "tax_ids"}).json()
    assert [t["id"] for t in expanded["tax_ids"]["data"]] == [vat["id"]]


def test_the_official_sdk(stripe_sdk):
    customer = stripe.Customer.create(email="sdk@example.com", name="SDK", source="tok_visa")
    assert customer.default_source.startswith("card_")
    stripe.Customer.modify(customer.id, metadata={"tier": "gold"})
    found = stripe.Customer.search(query="metadata['tier']:'gold'")
    assert [c.id for c in found.data] == [customer.id]
    txn = stripe.Customer.create_balance_transaction(customer.id, amount=-500, currency="usd")
    assert txn.ending_balance == -500
    assert stripe.Customer.retrieve(customer.id).balance == -500
    listed = stripe.Customer.list(email="sdk@example.com")
    assert [c.id for c in listed.data] == [customer.id]
    assert stripe.Customer.delete(customer.id).deleted is True


def test_expand_sources_default_source_and_default_payment_method(api):
    customer = api.post("/v1/customers", {"email": "e@example.com", "source": "tok_visa"}).json()
    card_id = customer["default_source"]
    expanded = api.get(
        f"/v1/customers/{customer['id']}",
        {"expand[]": ["sources", "default_source"]},
    ).json()
    assert expanded["sources"]["object"] == "list"
    assert [s["id"] for s in expanded["sources"]["data"]] == [card_id]
    assert expanded["sources"]["data"][0]["object"] == "card"
    assert expanded["default_source"]["id"] == card_id
    assert expanded["default_source"]["last4"] == "4242"
    pm = api.post(
        "/v1/payment_methods/pm_card_mastercard/attach", {"customer": customer["id"]}
    ).json()
    updated = api.post(
        f"/v1/customers/{customer['id']}",
        {
            "invoice_settings": {"default_payment_method": pm["id"]},
            "expand[]": "invoice_settings.default_payment_method",
        },
    ).json()
    assert updated["invoice_settings"]["default_payment_method"]["id"] == pm["id"]
    # Payment methods made through /v1/payment_methods are not legacy sources.
    sources = api.get(f"/v1/customers/{customer['id']}", {"expand[]": "sources"}).json()
    assert [s["id"] for s in sources["sources"]["data"]] == [card_id]
    other = api.post("/v1/customers", {"email": "o@example.com"}).json()
    refused = api.post(
        f"/v1/customers/{other['id']}",
        {"invoice_settings": {"default_payment_method": pm["id"]}},
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "invoice_settings[default_payment_method]"


def test_initial_balance_list_filters_and_bad_parameters(api):
    created = api.post(
        "/v1/customers", {"email": "i@example.com", "balance": -700, "currency": "eur"}
    ).json()
    assert (created["balance"], created["currency"]) == (-700, "eur")
    ledger = api.get(f"/v1/customers/{created['id']}/balance_transactions").json()["data"]
    assert [(r["type"], r["amount"], r["ending_balance"]) for r in ledger] == [
        ("initial", -700, -700)
    ]
    second = api.post("/v1/customers", {"email": "j@example.com"}).json()
    everyone = api.get("/v1/customers", {"created[gte]": created["created"]}).json()["data"]
    assert [c["id"] for c in everyone] == [second["id"], created["id"]]
    assert api.get("/v1/customers", {"created[gt]": second["created"] + 5}).json()["data"] == []
    assert api.get("/v1/customers", {"test_clock": "clock_x"}).json()["data"] == []
    assert api.get("/v1/customers", {"colour": "red"}).status_code == 400
    assert api.get("/v1/customers/search", {}).status_code == 400
    for page in ("!!", "bm90LWFuLWlk", "cus"):
        bad_page = api.get("/v1/customers/search", {"query": "email:'x@y.z'", "page": page})
        assert bad_page.json()["error"]["param"] == "page"
    assert api.get("/v1/customers/cus_missing").status_code == 404
    assert api.get("/v1/customers/cus_missing/notes").status_code == 404
    assert (
        api.post(
            f"/v1/customers/{created['id']}/balance_transactions", {"amount": 5, "currency": "usd"}
        ).json()["error"]["param"]
        == "currency"
    )


def test_malformed_hashes_and_arrays_name_their_parameter_and_write_nothing(api):
    def error(path, body):
        response = api.post(path, body)
        assert response.status_code == 400, response.content
        return {k: response.json()["error"].get(k) for k in ("message", "param")}

    assert error("/v1/customers", "tax_id_data=x") == {
        "message": "Invalid array: tax_id_data",
        "param": "tax_id_data",
    }
    assert error("/v1/customers", "tax_id_data[0]=x") == {
        "message": "Invalid hash",
        "param": "tax_id_data[0]",
    }
    assert error("/v1/customers", "currency=zz1") == {
        "message": "Invalid currency: 'zz1'",
        "param": "currency",
    }
    assert not Customer.objects.exists()
    customer = api.post(
        "/v1/customers",
        {"name": "Jenny", "address": {"city": "Berlin"}, "shipping": {"name": "Jenny"}},
    ).json()
    assert error(f"/v1/customers/{customer['id']}", "invoice_settings=x") == {
        "message": "Invalid hash: invoice_settings",
        "param": "invoice_settings",
    }
    assert error(f"/v1/customers/{customer['id']}", "invoice_prefix=ab") == {
        "message": "Invalid invoice_prefix: 3 to 12 uppercase letters or digits.",
        "param": "invoice_prefix",
    }
    assert Event.objects.filter(type="customer.updated").count() == 0
    cleared = api.post(f"/v1/customers/{customer['id']}", "address=&shipping=").json()
    assert (cleared["address"], cleared["shipping"]) == (None, None)
