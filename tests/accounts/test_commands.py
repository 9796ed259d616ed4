import io
import json
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from apps.accounts.enums import AccountKind, ApiKeyKind
from apps.accounts.models import Account, ApiKey, AuditLogEntry, Membership, SecurityEvent
from apps.core.management.commands.runstack import QUEUES, stack_commands
from apps.dashboard.management.commands import load_demo


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    return {
        "accounts": Account.objects.count(),
        "keys": ApiKey.objects.count(),
        "audit": AuditLogEntry.objects.count(),
        "security": SecurityEvent.objects.count(),
        "users": get_user_model().objects.count(),
        "memberships": Membership.objects.count(),
    }


def _events_status(secret_key: str) -> int:
    return Client().get("/v1/events", HTTP_AUTHORIZATION=f"Bearer {secret_key}").status_code


@pytest.mark.django_db
def test_create_account_json_prints_one_object_with_working_keys():
    out = _run("create_account", "--name", "N", "--country", "US", "--currency", "usd", "--json")
    result = json.loads(out)  # fails on anything besides exactly one JSON value
    assert out.strip().count("\n") == 0
    assert set(result) == {"id", "secret_key", "publishable_key"}
    assert result["id"].startswith("acct_")
    assert result["secret_key"].startswith("sk_test_")
    assert result["publishable_key"].startswith("pk_test_")
    account = Account.objects.get(pk=result["id"])
    assert (account.name, account.country, account.default_currency) == ("N", "US", "usd")
    response = Client().get("/v1/events", HTTP_AUTHORIZATION=f"Bearer {result['secret_key']}")
    assert response.status_code == 200
    assert response.json() == {"object": "list", "data": [], "has_more": False, "url": "/v1/events"}


@pytest.mark.django_db
def test_create_account_bad_currency_is_a_command_error_and_writes_nothing():
    before = _row_counts()
    with pytest.raises(CommandError, match="currency"):
        _run("create_account", "--name", "N", "--currency", "dollars", "--json")
    assert _row_counts() == before


@pytest.mark.django_db
def test_create_staff_user_gives_a_dashboard_login_on_the_account(acme):
    out = _run(
        "create_staff_user",
        "--email",
        "Ops@Example.com",
        "--password",
        "correct horse battery",
        "--account",
        acme.id,
    )
    user = get_user_model().objects.get(username="ops@example.com")
    assert user.is_staff is True
    assert user.check_password("correct horse battery")
    membership = Membership.objects.get(user=user)
    assert (membership.account_id, membership.role) == (acme.id, "administrator")
    assert out.strip() == (
        f"Staff user ops@example.com is administrator on {acme.id}. "
        "Two-factor enrolment happens at first login."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--account", "acct_missing"], "No such account"),
        (["--role", "overlord"], "Unknown role"),
        (["--password", "short"], "too short"),
    ],
)
def test_create_staff_user_refusals_write_nothing(acme, extra, message):
    args = {"--email": "ops@example.com", "--password": "long enough pw", "--account": acme.id}
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        args[flag] = value
    before = _row_counts()
    with pytest.raises(CommandError, match=message):
        _run("create_staff_user", *[part for pair in args.items() for part in pair])
    assert _row_counts() == before


@pytest.mark.django_db
def test_load_demo_twice_creates_one_account_one_staff_user_and_reuses_the_key(tmp_path):
    key_file = tmp_path / "demo_secret_key"
    first = _run("load_demo", "--key-file", str(key_file))
    after_first = _row_counts()
    second = _run("load_demo", "--key-file", str(key_file))

    assert _row_counts() == after_first
    demo = Account.objects.get(name=load_demo.DEMO_ACCOUNT_NAME, kind=AccountKind.STANDARD)
    assert list(demo.sandboxes.values_list("name", flat=True)) == [load_demo.DEMO_SANDBOX_NAME]
    user = get_user_model().objects.get()
    assert user.username == load_demo.DEMO_STAFF_EMAIL
    assert user.is_staff
    assert user.check_password(load_demo.DEMO_STAFF_PASSWORD)
    assert Membership.objects.get().role == "administrator"
    token = key_file.read_text().strip()
    assert token.startswith("sk_test_")
    assert f"test secret key:  {token}" in first
    assert f"test secret key:  {token}" in second
    assert "created" in first.splitlines()[0]
    assert "already present" in second.splitlines()[0]
    assert (key_file.stat().st_mode & 0o777) == 0o600
    assert _events_status(token) == 200


@pytest.mark.django_db
def test_load_demo_replaces_a_lost_demo_key_and_revokes_the_old_one(tmp_path):
    key_file = tmp_path / "demo_secret_key"
    _run("load_demo", "--key-file", str(key_file))
    old_token = key_file.read_text().strip()
    key_file.unlink()

    _run("load_demo", "--key-file", str(key_file))

    new_token = key_file.read_text().strip()
    assert new_token != old_token
    assert _events_status(new_token) == 200
    assert _events_status(old_token) == 401
    demo_keys = ApiKey.objects.filter(name=load_demo.DEMO_KEY_NAME, kind=ApiKeyKind.SECRET)
    assert demo_keys.count() == 2
    assert demo_keys.filter(revoked_at__isnull=True).count() == 1
    assert Account.objects.filter(name=load_demo.DEMO_ACCOUNT_NAME).count() == 1


@pytest.mark.django_db
def test_load_demo_runs_registered_row_loaders_with_the_demo_account(tmp_path, monkeypatch):
    seen: list[str] = []
    module = type(sys)("demo_rows_for_test")
    module.load = lambda *, account: seen.append(account.id)
    monkeypatch.setitem(sys.modules, "demo_rows_for_test", module)
    monkeypatch.setattr(load_demo, "DEMO_ROW_LOADERS", ("demo_rows_for_test.load",))
    monkeypatch.setattr(load_demo, "DEMO_BILLING_LOADERS", ("demo_rows_for_test.load",))

    _run("load_demo", "--key-file", str(tmp_path / "key"))

    demo = Account.objects.get(name=load_demo.DEMO_ACCOUNT_NAME)
    sandbox = demo.sandboxes.get(name=load_demo.DEMO_SANDBOX_NAME)
    # The rows of the transaction, for the account then its sandbox; then the billing rows.
    assert seen == [demo.id, sandbox.id, demo.id, sandbox.id]


def test_runstack_starts_web_a_worker_on_every_queue_and_beat(settings):
    children = stack_commands(
        host="127.0.0.1", port=8000, server="gunicorn", python="/venv/bin/python"
    )
    web, worker, beat = (c.argv for c in children)
    assert [c.name for c in children] == ["web", "worker", "beat"]
    assert web[:4] == ["/venv/bin/gunicorn", "config.wsgi", "--bind", "127.0.0.1:8000"]
    sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    if sqlite:
        assert web[web.index("--workers") + 1 :][:3] == ["1", "--threads", "4"]
    assert worker[:4] == ["/venv/bin/celery", "-A", "config", "worker"]
    assert worker[worker.index("-Q") + 1] == ",".join(QUEUES)
    assert set(QUEUES) == {
        "default",
        "webhooks",
        "invoicing",
        "collections",
        "workflows",
        "metering",
    }
    assert beat[:4] == ["/venv/bin/celery", "-A", "config", "beat"]
    runserver = stack_commands(host="127.0.0.1", port=8000, server="runserver", python="/p/python")
    assert runserver[0].argv == [
        "/p/python",
        "manage.py",
        "runserver",
        "127.0.0.1:8000",
        "--noreload",
    ]


@pytest.mark.django_db
def test_load_demo_brings_products_prices_customers_and_cards_once(tmp_path, monkeypatch):
    from apps.catalog.models import Coupon, Price, Product
    from apps.customers.models import Customer, PaymentMethod

    # The catalog and customers apps' rows only (tests/dashboard/test_demo_data.py has the rest).
    monkeypatch.setattr(load_demo, "DEMO_BILLING_LOADERS", ())
    key_file = tmp_path / "demo_secret_key"
    _run("load_demo", "--key-file", str(key_file))
    _run("load_demo", "--key-file", str(key_file))
    demo = Account.objects.get(name=load_demo.DEMO_ACCOUNT_NAME, kind=AccountKind.STANDARD)
    assert sorted(Product.objects.filter(account=demo).values_list("name", flat=True)) == [
        "Global",
        "Starter",
        "Supporter",
        "Team",
    ]
    assert Price.objects.filter(account=demo, lookup_key="team_monthly").get().tiers_mode == (
        "graduated"
    )
    assert Coupon.objects.filter(account=demo).count() == 1
    assert Customer.objects.filter(account=demo).count() == 3
    assert PaymentMethod.objects.filter(account=demo, customer__isnull=False).count() == 3
