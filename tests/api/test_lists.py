"""List objects: limits, cursors both ways, created filters, expand over ``data``."""

from datetime import timedelta

import pytest
from django.db import transaction

from apps.core import clock
from apps.core.api import expand as expand_module
from apps.core.api.expand import register_expandable
from apps.core.events import event_record
from tests.api.conftest import assert_error

T = 1_700_000_000


def _event(account, *, at=None, data=None):
    with transaction.atomic():
        return event_record(
            account=account,
            type="thing.created",
            data_object=data or {"id": "thing_1", "object": "thing"},
            created_at=at,
        )


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["data"]]


@pytest.mark.parametrize(
    ("limit", "message"), [(0, "at least 1"), (101, "at most 100"), (-1, "at least 1")]
)
def test_limit_out_of_bounds_is_400(api, limit, message):
    response = api.get("/v1/events", {"limit": limit})
    assert_error(
        response,
        400,
        {
            "type": "invalid_request_error",
            "message": f"Invalid limit: must be {message}",
            "param": "limit",
        },
    )


def test_limit_must_be_an_integer(api):
    response = api.get("/v1/events", {"limit": "ten"})
    assert_error(
        response,
        400,
        {"type": "invalid_request_error", "message": "Invalid integer: ten", "param": "limit"},
    )


def test_limit_bounds_themselves_are_allowed(api, acme):
    events = [_event(acme.account) for _ in range(3)]
    assert _ids(api.get("/v1/events", {"limit": 1})) == [events[2].id]
    assert _ids(api.get("/v1/events", {"limit": 100})) == [e.id for e in reversed(events)]


def test_default_limit_is_ten(api, acme):
    events = [_event(acme.account) for _ in range(11)]
    body = api.get("/v1/events").json()
    assert [e["id"] for e in body["data"]] == [e.id for e in reversed(events)][:10]
    assert body["has_more"] is True


def test_starting_after_and_ending_before_together_is_400(api, acme):
    event = _event(acme.account)
    response = api.get("/v1/events", {"starting_after": event.id, "ending_before": event.id})
    assert_error(
        response,
        400,
        {
            "type": "invalid_request_error",
            "message": "You may only specify one of these parameters: "
            "ending_before, starting_after.",
            "param": "ending_before",
        },
    )


def test_paging_forwards_then_backwards(api, acme):
    e1, e2, e3, e4, e5 = (_event(acme.account) for _ in range(5))
    first = api.get("/v1/events", {"limit": 2}).json()
    assert ([e["id"] for e in first["data"]], first["has_more"]) == ([e5.id, e4.id], True)
    second = api.get("/v1/events", {"limit": 2, "starting_after": e4.id}).json()
    assert ([e["id"] for e in second["data"]], second["has_more"]) == ([e3.id, e2.id], True)
    last = api.get("/v1/events", {"limit": 2, "starting_after": e2.id}).json()
    assert ([e["id"] for e in last["data"]], last["has_more"]) == ([e1.id], False)
    back = api.get("/v1/events", {"limit": 2, "ending_before": e2.id}).json()
    assert ([e["id"] for e in back["data"]], back["has_more"]) == ([e4.id, e3.id], True)
    front = api.get("/v1/events", {"limit": 2, "ending_before": e4.id}).json()
    assert ([e["id"] for e in front["data"]], front["has_more"]) == ([e5.id], False)
    assert first["url"] == back["url"] == "/v1/events"
    assert first["object"] == "list"


def test_other_accounts_rows_never_appear_in_a_list(api, acme, globex):
    mine = _event(acme.account)
    _event(globex.account)
    assert _ids(api.get("/v1/events")) == [mine.id]


@pytest.fixture
def spread(acme):
    """Events at T+0.4 s, T+1.2 s and T+2.0 s: shown as created T, T+1 and T+2."""
    base = clock.from_epoch(T)
    return [_event(acme.account, at=base + timedelta(milliseconds=ms)) for ms in (400, 1200, 2000)]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"created[gte]": T + 1}, [2, 1]),
        ({"created[gt]": T}, [2, 1]),
        ({"created[gt]": T + 1}, [2]),
        ({"created[lte]": T}, [0]),
        ({"created[lte]": T + 1}, [1, 0]),
        ({"created[lt]": T + 2}, [1, 0]),
        ({"created[lt]": T}, []),
        ({"created[gte]": T, "created[lt]": T + 2}, [1, 0]),
        ({"created": T + 1}, [1]),
        ({"created": T}, [0]),
    ],
)
def test_created_filters_compare_whole_seconds_as_the_api_shows_them(api, spread, params, expected):
    # Regression: gt/lte/exact used to compare against the sub-second stored time.
    response = api.get("/v1/events", params)
    assert _ids(response) == [spread[i].id for i in expected]
    shown = {e["id"]: e["created"] for e in response.json()["data"]}
    assert shown == {spread[i].id: T + [0, 1, 2][i] for i in expected}


@pytest.mark.parametrize(
    ("params", "message", "param"),
    [
        (
            {"created[after]": T},
            "Invalid created filter: unknown operator after.",
            "created[after]",
        ),
        ({"created[gte]": "soon"}, "Invalid integer: soon", "created[gte]"),
        ({"created[gte]": "99999999999999"}, "Invalid timestamp: 99999999999999", "created[gte]"),
        ({"created": "yesterday"}, "Invalid integer: yesterday", "created"),
    ],
)
def test_bad_created_filters_are_400(api, spread, params, message, param):
    response = api.get("/v1/events", params)
    assert_error(
        response, 400, {"type": "invalid_request_error", "message": message, "param": param}
    )


@pytest.fixture
def things():
    """A test expandable: ``thing_…`` ids expand to an object that names the asking account."""
    seen = []

    def fetch(account, object_id):
        seen.append((account.id, object_id))
        return {"id": object_id, "object": "thing", "account": account.id}

    register_expandable("thing", fetch)
    yield seen
    del expand_module._fetchers["thing"]


def test_expand_data_field_on_a_list(api, acme, things):
    _event(acme.account, data={"id": "x_1", "object": "x", "owner": "thing_a"})
    _event(acme.account, data={"id": "x_2", "object": "x", "owner": "thing_b"})
    body = api.get("/v1/events?expand[]=data.data.object.owner").json()
    owners = [e["data"]["object"]["owner"] for e in body["data"]]
    assert owners == [
        {"id": "thing_b", "object": "thing", "account": acme.id},
        {"id": "thing_a", "object": "thing", "account": acme.id},
    ]
    assert things == [(acme.id, "thing_b"), (acme.id, "thing_a")]


def test_expand_on_retrieve(api, acme, things):
    event = _event(acme.account, data={"id": "x_1", "object": "x", "owner": "thing_a"})
    body = api.get(f"/v1/events/{event.id}", {"expand[0]": "data.object.owner"}).json()
    assert body["data"]["object"]["owner"] == {
        "id": "thing_a",
        "object": "thing",
        "account": acme.id,
    }


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("data.nothing", "This property cannot be expanded (data.nothing)."),
        ("data.type", "This property cannot be expanded (data.type)."),
        ("owner", "This property cannot be expanded (owner)."),
    ],
)
def test_unknown_expand_is_400(api, acme, things, path, message):
    _event(acme.account, data={"id": "x_1", "object": "x", "owner": "thing_a"})
    response = api.get("/v1/events", {"expand[]": path})
    assert_error(
        response, 400, {"type": "invalid_request_error", "message": message, "param": "expand"}
    )
    assert things == []


def test_expand_deeper_than_four_levels_is_stripes_error(api, acme, things):
    _event(acme.account, data={"id": "x_1", "object": "x", "owner": "thing_a"})
    response = api.get("/v1/events", {"expand[]": "data.data.object.owner.more"})
    assert_error(
        response,
        400,
        {
            "type": "invalid_request_error",
            "code": "property_expansion_max_depth",
            "doc_url": "https://docs.stripe.com/error-codes/property-expansion-max-depth",
            "message": "You cannot expand more than 4 levels of a property. "
            "Property: data.data.object.owner.more",
            "param": "expand",
        },
    )
    assert things == []


def test_expand_must_be_an_array(api):
    response = api.get("/v1/events?expand[a]=data.x")
    assert_error(
        response,
        400,
        {"type": "invalid_request_error", "message": "Invalid array: expand", "param": "expand"},
    )
