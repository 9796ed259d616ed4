"""Demo data for ``make run``: one account with its keys, a sandbox and a staff administrator.

Idempotent: a second run finds what the first created and writes nothing new, except that it
re-creates the demo secret key when the stored token no longer works (see ``demo_key_ensure``).

Secret keys are stored hashed, so the token of the "Demo key" is kept in a local file (by
default ``var/demo_secret_key``, mode 0600). Each run checks that token against the database;
if it is missing or no longer authenticates (new database, key revoked or rolled), any
remaining "Demo key" is revoked and a new one is created and written to the file.

The command belongs to the top app (apps.dashboard) because it seeds rows of every app below.
"""

import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import import_string

from apps.accounts.enums import AccountKind, ApiKeyKind
from apps.accounts.models import Account, ApiKey, Membership
from apps.accounts.selectors import api_key_authenticate
from apps.accounts.services import (
    account_create,
    api_key_create,
    api_key_revoke,
    sandbox_create,
    staff_user_create,
)
from apps.core.actor import SYSTEM
from apps.core.errors import ApplicationError
from config.env import VAR_DIR

DEMO_ACCOUNT_NAME = "Ledgerline Demo"
DEMO_SANDBOX_NAME = "Demo sandbox"
DEMO_STAFF_EMAIL = "demo@ledgerline.local"
DEMO_STAFF_PASSWORD = "ledgerline-demo"
DEMO_KEY_NAME = "Demo key"
DEFAULT_KEY_FILE = VAR_DIR / "demo_secret_key"

# Dotted paths of ``(*, account) -> None`` callables that add demo rows of other apps (products
# and prices from ``apps.catalog``, customers from ``apps.customers``). Each must be idempotent;
# they run in the demo transaction after the account exists.
DEMO_ROW_LOADERS: tuple[str, ...] = (
    "apps.catalog.demo.catalog_demo_load",
    "apps.customers.demo.customers_demo_load",
)
# Like DEMO_ROW_LOADERS, but run after that transaction committed, one service call at a time:
# they take payments, which are never made inside a transaction.
DEMO_BILLING_LOADERS: tuple[str, ...] = ("apps.dashboard.demo_billing.billing_demo_load",)


def demo_account_ensure() -> tuple[Account, bool]:
    account = (
        Account.objects.filter(name=DEMO_ACCOUNT_NAME, kind=AccountKind.STANDARD, livemode=False)
        .order_by("created_at")
        .first()
    )
    if account is not None:
        return account, False
    account, _ = account_create(name=DEMO_ACCOUNT_NAME, country="US", currency="usd")
    return account, True


def demo_sandbox_ensure(*, account: Account) -> Account:
    sandbox = account.sandboxes.filter(name=DEMO_SANDBOX_NAME).first()
    if sandbox is None:
        sandbox, _ = sandbox_create(parent=account, name=DEMO_SANDBOX_NAME, actor=SYSTEM)
    return sandbox


def demo_staff_ensure(*, account: Account):
    user = get_user_model().objects.filter(username=DEMO_STAFF_EMAIL).first()
    if user is not None and Membership.objects.filter(user=user, account=account).exists():
        return user
    return staff_user_create(
        email=DEMO_STAFF_EMAIL,
        password=DEMO_STAFF_PASSWORD,
        account=account,
        role="administrator",
    )


def demo_key_ensure(*, account: Account, key_file: Path) -> str:
    """A working test secret key of the demo account, kept in ``key_file``."""
    if key_file.exists():
        token = key_file.read_text().strip()
        api_key = api_key_authenticate(token=token) if token else None
        if (
            api_key is not None
            and api_key.account_id == account.pk
            and api_key.name == DEMO_KEY_NAME
            and api_key.expires_at is None
        ):
            return token
    stale = ApiKey.objects.filter(account=account, name=DEMO_KEY_NAME, revoked_at__isnull=True)
    for old in stale:
        api_key_revoke(account=account, key_id=old.id, actor=SYSTEM)
    _, token = api_key_create(
        account=account, kind=ApiKeyKind.SECRET, name=DEMO_KEY_NAME, actor=SYSTEM, check_role=False
    )
    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token


def demo_rows_load(*, account: Account, loaders: tuple[str, ...]) -> None:
    """Rows of the apps that own them (products, prices, customers, subscriptions, invoices)."""
    for path in loaders:
        import_string(path)(account=account)


class Command(BaseCommand):
    help = (
        "Create (or find) the demo account, its sandbox, a staff administrator and a test "
        "secret key, and print how to log in. Safe to run repeatedly."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--key-file",
            default=str(DEFAULT_KEY_FILE),
            help="Where the demo secret key's token is kept (default: var/demo_secret_key).",
        )

    def handle(self, *args, **options) -> None:
        key_file = Path(options["key_file"])
        try:
            with transaction.atomic():
                account, created = demo_account_ensure()
                sandbox = demo_sandbox_ensure(account=account)
                demo_staff_ensure(account=account)
                for each in (account, sandbox):
                    demo_rows_load(account=each, loaders=DEMO_ROW_LOADERS)
                token = demo_key_ensure(account=account, key_file=key_file)
            for each in (account, sandbox):
                demo_rows_load(account=each, loaders=DEMO_BILLING_LOADERS)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        publishable = (
            ApiKey.objects.filter(
                account=account, kind=ApiKeyKind.PUBLISHABLE, revoked_at__isnull=True
            )
            .order_by("created_at")
            .values_list("publishable_token", flat=True)
            .first()
        )
        state = "created" if created else "already present"
        self.stdout.write(f"Demo account {account.name} ({account.id}): {state}")
        self.stdout.write(f"  sandbox:          {sandbox.name} ({sandbox.id})")
        self.stdout.write(f"  staff login:      {DEMO_STAFF_EMAIL} / {DEMO_STAFF_PASSWORD}")
        self.stdout.write("                    (two-factor enrolment happens at first login)")
        self.stdout.write(f"  test secret key:  {token}")
        self.stdout.write(f"  publishable key:  {publishable}")
        self.stdout.write(f"  (the secret key is kept in {key_file})")
