from django.db import transaction

from apps.core.events import event_record


def _record(account, type_, obj_id):
    with transaction.atomic():
        return event_record(
            account=account, type=type_, data_object={"id": obj_id, "object": "thing"}
        )


def test_list_events_newest_first_with_pagination(api, acme):
    # given
    first = _record(acme.account, "customer.created", "cus_1")
    second = _record(acme.account, "customer.updated", "cus_1")
    third = _record(acme.account, "charge.succeeded", "ch_1")
    # when
    page = api.get("/v1/events", {"limit": 2}).json()
    rest = api.get("/v1/events", {"limit": 2, "starting_after": page["data"][-1]["id"]}).json()
    # then
    assert [e["id"] for e in page["data"]] == [third.id, second.id]
    assert page["has_more"] is True
    assert [e["id"] for e in rest["data"]] == [first.id]
    assert rest["has_more"] is False


def test_list_events_filters_by_type_family(api, acme):
    _record(acme.account, "customer.created", "cus_1")
    charge = _record(acme.account, "charge.succeeded", "ch_1")
    body = api.get("/v1/events", {"type": "charge.*"}).json()
    assert [e["id"] for e in body["data"]] == [charge.id]


def test_event_of_another_account_is_missing(api, globex):
    foreign = _record(globex.account, "customer.created", "cus_9")
    response = api.get(f"/v1/events/{foreign.id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_missing"


def test_event_shape(api, acme):
    event = _record(acme.account, "customer.created", "cus_1")
    body = api.get(f"/v1/events/{event.id}").json()
    assert body == {
        "id": event.id,
        "object": "event",
        "api_version": acme.account.api_version,
        "created": int(event.created_at.timestamp()),
        "data": {"object": {"id": "cus_1", "object": "thing"}},
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": None, "idempotency_key": None},
        "type": "customer.created",
    }


def test_bad_key_is_401(client, db):
    response = client.get("/v1/events", HTTP_AUTHORIZATION="Bearer sk_test_nope")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert response["Request-Id"].startswith("req_")


def test_delivery_success_filters_on_pending_webhooks(api, acme):
    from apps.core.models import Event

    delivered = _record(acme.account, "customer.created", "cus_1")
    pending = _record(acme.account, "customer.updated", "cus_1")
    Event.objects.filter(pk=pending.pk).update(pending_webhooks=2)
    ok = api.get("/v1/events", {"delivery_success": "true"}).json()
    failing = api.get("/v1/events", {"delivery_success": "false"}).json()
    assert [e["id"] for e in ok["data"]] == [delivered.id]
    assert [e["id"] for e in failing["data"]] == [pending.id]
    assert failing["data"][0]["pending_webhooks"] == 2
    bad = api.get("/v1/events", {"delivery_success": "maybe"})
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "delivery_success"


def test_a_cursor_that_is_not_one_of_the_accounts_events_is_missing(api, acme, globex):
    _record(acme.account, "customer.created", "cus_1")
    foreign = _record(globex.account, "customer.created", "cus_9")
    for param in ("starting_after", "ending_before"):
        for cursor in ("evt_doesnotexist", foreign.id):
            response = api.get("/v1/events", {param: cursor})
            assert response.status_code == 404, (param, cursor)
            assert response.json()["error"] == {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "message": f"No such event: '{cursor}'",
                "param": param,
                "doc_url": "https://docs.stripe.com/error-codes/resource-missing",
            }
