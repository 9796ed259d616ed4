"""Shared fixtures: accounts with keys, an authenticated API client, the SDK on a live server,
the domain clock."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import pytest
from django.test import Client

from apps.accounts.models import Account
from apps.accounts.services import account_create
from apps.core import clock
from apps.invoices.engine.periods import utc
from apps.invoices.engine.stages import runner as stage_runner
from tests.stripe_shapes import RecordingHTTPClient, shape_problems


@dataclass
class AccountWithKeys:
    account: Account
    secret_key: str
    publishable_key: str

    @property
    def id(self) -> str:
        return self.account.id


def make_account(name: str = "Acme", **kwargs) -> AccountWithKeys:
    account, tokens = account_create(name=name, **kwargs)
    return AccountWithKeys(account=account, **tokens)


@pytest.fixture
def tasks_inline():
    """Tasks run inline in the calling process, whatever the broker (worker tests cover queues)."""
    from config.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


class QueuedTasks(list):
    """Tasks sent to the broker while ``tasks_queued`` is on, in order: ``(task, args, kwargs)``."""

    def run(self) -> int:
        """Run what was queued (and what that queues in turn) in this process, as a worker
        would; returns how many ran."""
        ran = 0
        while self:
            task, args, kwargs = self.pop(0)
            task.apply(args=args, kwargs=kwargs, throw=True)
            ran += 1
        return ran


@pytest.fixture
def tasks_queued(monkeypatch) -> QueuedTasks:
    """Tasks are queued as production sends them to the broker (no work done in the sender's
    process) and run later, when the test calls ``run()``."""
    from celery.app.task import Task

    queued = QueuedTasks()

    def queue(task, args=None, kwargs=None, **_options):
        queued.append((task, tuple(args or ()), dict(kwargs or {})))

    monkeypatch.setattr(Task, "apply_async", queue)
    return queued


@pytest.fixture
def clock_start() -> datetime:
    """Where ``at`` freezes the domain clock; a module overrides this fixture to start elsewhere."""
    return utc(2025, 1, 1)


@pytest.fixture
def at(monkeypatch, clock_start) -> Callable[[datetime], None]:
    """The domain clock, frozen at ``clock_start`` until the test calls ``at(moment)``.

    Every caller reads the same moment: a ``test_clock_id`` is ignored, so a test-clock
    customer's renewals run on this clock too (the test-clock tests drive real clocks instead).
    """
    current = {"at": clock_start}
    monkeypatch.setattr(clock, "now", lambda **_: current["at"])

    def move_to(moment: datetime) -> None:
        current["at"] = moment

    return move_to


@pytest.fixture
def acme(db) -> AccountWithKeys:
    return make_account("Acme")


@pytest.fixture
def globex(db) -> AccountWithKeys:
    return make_account("Globex")


class ApiClient:
    """Django test client speaking to /v1 with one key."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.client = Client()

    def _headers(self, headers: dict | None) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.key}", **(headers or {})}

    def get(self, path: str, params: dict | None = None, **headers):
        return self.client.get(path, params or {}, **self._headers(headers))

    def post(self, path: str, data: dict | str | None = None, **headers):
        body = data if isinstance(data, str) else form_encode(data or {})
        return self.client.post(
            path, body, content_type="application/x-www-form-urlencoded", **self._headers(headers)
        )

    def delete(self, path: str, **headers):
        return self.client.delete(path, **self._headers(headers))


def form_encode(data: dict, prefix: str = "") -> str:
    """Encode nested data the way the stripe SDKs do (indexed arrays, bracketed keys)."""
    pairs: list[tuple[str, str]] = []

    def walk(value, key):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{key}[{k}]" if key else k)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{key}[{i}]")
        elif isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        else:
            pairs.append((key, "" if value is None else str(value)))

    walk(data, prefix)
    return urlencode(pairs)


@pytest.fixture
def api(acme) -> ApiClient:
    return ApiClient(acme.secret_key)


@pytest.fixture
def stripe_sdk(live_server, acme):
    """The official stripe SDK pointed at a live Ledgerline server with acme's secret key.

    Every object the test receives must have Stripe's shape (tests/stripe_shapes.py): the test
    fails at teardown, naming each missing key or wrong kind.
    """
    import stripe

    saved = (
        stripe.api_key,
        stripe.api_base,
        stripe.upload_api_base,
        stripe.max_network_retries,
        stripe.default_http_client,
    )
    recorder = RecordingHTTPClient()
    stripe.api_key = acme.secret_key
    stripe.api_base = live_server.url
    stripe.upload_api_base = live_server.url
    stripe.max_network_retries = 0
    stripe.default_http_client = recorder
    yield stripe
    (
        stripe.api_key,
        stripe.api_base,
        stripe.upload_api_base,
        stripe.max_network_retries,
        stripe.default_http_client,
    ) = saved
    recorder.close()
    problems = shape_problems(recorder.bodies)
    if problems:
        pytest.fail("Objects not in Stripe's shape:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(autouse=True, scope="session")
def _stage_inputs_checked():
    """Every stage input the pipeline builds is checked against its schema in tests, the
    default path's included (production checks only what a customization is given)."""
    stage_runner.CHECK_DEFAULT_INPUT = True
    yield
    stage_runner.CHECK_DEFAULT_INPUT = False
