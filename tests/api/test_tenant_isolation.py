"""Every /v1 endpoint with an object id answers 404 for another account's object.

``MAKERS`` maps each such route's name to a function that creates an object in a given account
and returns its id, or for a route with several ids (``/v1/customers/<customer>/sources/<id>``)
a dict of the route's parameters to ids. Each app's makers live in ``tests/<app>/makers.py`` as
a ``MAKERS`` dict and are merged here. A new endpoint with an id in its path fails this module
until it has a maker, so no endpoint can skip the check. Routes without GET (actions such as
``/attach`` or ``/capture``) are checked by the account's events and audit trail staying put.
"""

import importlib
import pkgutil
from collections.abc import Callable

import pytest
from django.db import transaction
from django.urls import reverse

from apps.accounts.models import Account, AuditLogEntry
from apps.core.actor import SYSTEM
from apps.core.events import event_record
from apps.core.models import Event
from apps.webhooks.services import webhook_endpoint_create
from tests.api.routes import v1_routes
from tests.conftest import ApiClient


def _make_event(account: Account) -> str:
    with transaction.atomic():
        event = event_record(
            account=account, type="thing.created", data_object={"id": "thing_1", "object": "thing"}
        )
    return event.id


def _make_webhook_endpoint(account: Account) -> str:
    return webhook_endpoint_create(
        account=account, url="https://example.com/hooks", enabled_events=["*"], actor=SYSTEM
    ).id


def _app_makers() -> dict[str, Callable[[Account], str | dict[str, str]]]:
    import tests

    found: dict[str, Callable[[Account], str | dict[str, str]]] = {}
    for package in pkgutil.iter_modules(tests.__path__):
        try:
            module = importlib.import_module(f"tests.{package.name}.makers")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.{package.name}.makers":
                raise
            continue
        found.update(module.MAKERS)
    return found


MAKERS: dict[str, Callable[[Account], str | dict[str, str]]] = {
    "event-detail": _make_event,
    "webhook-endpoint-detail": _make_webhook_endpoint,
    **_app_makers(),
}

ROUTES_WITH_IDS = [route for route in v1_routes() if route.params]


def test_every_route_with_an_id_has_a_maker():
    missing = sorted(route.name for route in ROUTES_WITH_IDS if route.name not in MAKERS)
    assert missing == [], f"add a maker to tests/api/test_tenant_isolation.py MAKERS for {missing}"
    stale = sorted(set(MAKERS) - {route.name for route in ROUTES_WITH_IDS})
    assert stale == [], f"MAKERS names routes that no longer exist: {stale}"


def _call(client: ApiClient, method: str, path: str):
    if method == "get":
        return client.get(path)
    if method == "post":
        return client.post(path, {})
    if method == "delete":
        return client.delete(path)
    return client.client.generic(
        method.upper(), path, "", HTTP_AUTHORIZATION=f"Bearer {client.key}"
    )


@pytest.mark.parametrize("route", ROUTES_WITH_IDS, ids=lambda route: route.name)
def test_another_accounts_object_is_missing_for_every_method(acme, globex, route):
    # given an object of Globex's, reachable with Globex's own key
    made = MAKERS[route.name](globex.account)
    kwargs = made if isinstance(made, dict) else {route.params[0]: made}
    assert sorted(kwargs) == sorted(route.params), route.name
    path = reverse(route.name, kwargs=kwargs)
    owner, stranger = ApiClient(globex.secret_key), ApiClient(acme.secret_key)
    # Action routes (attach, capture, …) answer POST only; the owner's view of them is the
    # trail of events and audit entries, which must not move either.
    readable = "get" in route.methods
    before = owner.get(path) if readable else None
    if readable:
        assert before.status_code == 200, before.content
    trail = _trail(globex.account)
    # when Acme's key asks for it by every method the route has
    for method in sorted(route.methods):
        response = _call(stranger, method, path)
        # then it does not exist for Acme
        assert response.status_code == 404, (method, response.content)
        error = response.json()["error"]
        assert error["type"] == "invalid_request_error"
        assert error["code"] == "resource_missing", (method, error)
        assert any(error["message"].endswith(f": '{i}'") for i in kwargs.values()), error
    # and nothing changed for Globex
    assert _trail(globex.account) == trail
    if readable:
        after = owner.get(path)
        assert after.status_code == 200
        assert after.json() == before.json()


def _trail(account: Account) -> tuple[int, int]:
    return (
        Event.objects.filter(account=account).count(),
        AuditLogEntry.objects.filter(account=account).count(),
    )
