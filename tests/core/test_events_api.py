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
