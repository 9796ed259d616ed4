from collections.abc import Callable
from typing import Any

from django.db import transaction

from apps.accounts import roles
from apps.accounts.audit import audit_record, changes_between
from apps.accounts.enums import AccountKind, ApiKeyKind
from apps.accounts.models import Account, Organization
from apps.accounts.services.keys import api_key_create
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import InvalidRequestError
from apps.core.locks import row_lock

MAX_SANDBOXES = 5

# Apps that own account-level data worth copying into a new sandbox (the catalog, say) register
# a copier here: (source account, new sandbox) -> None, run inside sandbox_create's transaction.
_sandbox_copiers: list[Callable[[Account, Account], None]] = []


def register_sandbox_copier(copier: Callable[[Account, Account], None]) -> None:
    if copier not in _sandbox_copiers:
        _sandbox_copiers.append(copier)


def _validate_currency(currency: str) -> str:
    currency = (currency or "").lower()
    if len(currency) != 3 or not currency.isalpha():
        raise InvalidRequestError(
            "Invalid currency: must be a three-letter ISO code.", param="currency"
        )
    return currency


def _validate_country(country: str) -> str:
    country = (country or "").upper()
    if len(country) != 2 or not country.isalpha():
        raise InvalidRequestError(
            "Invalid country: must be a two-letter ISO code.", param="country"
        )
    return country


@transaction.atomic
def account_create(
    *,
    name: str,
    country: str = "US",
    currency: str = "usd",
    livemode: bool = False,
    kind: str = AccountKind.STANDARD,
    organization: Organization | None = None,
    platform: Account | None = None,
    email: str = "",
    actor: Actor = SYSTEM,
) -> tuple[Account, dict[str, str]]:
    """Create an account with a secret and a publishable key; returns the tokens once."""
    if not name.strip():
        raise InvalidRequestError("An account needs a name.", param="name")
    account = Account.objects.create(
        name=name.strip(),
        country=_validate_country(country),
        default_currency=_validate_currency(currency),
        livemode=livemode,
        kind=kind,
        organization=organization,
        platform=platform,
        email=email,
    )
    tokens = _default_keys_create(account=account, actor=actor)
    audit_record(
        account=account,
        actor=actor,
        action="account.created",
        object_type="account",
        object_id=account.id,
        changes={"name": [None, account.name]},
    )
    return account, tokens


def _default_keys_create(*, account: Account, actor: Actor) -> dict[str, str]:
    _, secret = api_key_create(
        account=account, kind=ApiKeyKind.SECRET, name="Secret key", actor=actor, check_role=False
    )
    _, publishable = api_key_create(
        account=account,
        kind=ApiKeyKind.PUBLISHABLE,
        name="Publishable key",
        actor=actor,
        check_role=False,
    )
    return {"secret_key": secret, "publishable_key": publishable}


@transaction.atomic
def sandbox_create(*, parent: Account, name: str, actor: Actor) -> tuple[Account, dict[str, str]]:
    """A test environment of ``parent``: its settings and catalog copied once, no customers."""
    roles.actor_require(actor, roles.SANDBOXES)
    if parent.is_sandbox:
        raise InvalidRequestError("A sandbox cannot have sandboxes of its own.", param="parent")
    parent = row_lock(Account.objects.filter(pk=parent.pk))
    if parent.sandboxes.count() >= MAX_SANDBOXES:
        raise InvalidRequestError(
            f"An account can have at most {MAX_SANDBOXES} sandboxes.", code="sandbox_limit_reached"
        )
    if not name.strip():
        raise InvalidRequestError("A sandbox needs a name.", param="name")
    sandbox = Account.objects.create(
        name=name.strip(),
        kind=AccountKind.SANDBOX,
        livemode=False,
        parent=parent,
        country=parent.country,
        default_currency=parent.default_currency,
        email=parent.email,
        organization=parent.organization,
        api_version=parent.api_version,
        settings=dict(parent.settings),
    )
    for copier in _sandbox_copiers:
        copier(parent, sandbox)
    tokens = _default_keys_create(account=sandbox, actor=actor)
    audit_record(
        account=parent,
        actor=actor,
        action="sandbox.created",
        object_type="account",
        object_id=sandbox.id,
        changes={"name": [None, sandbox.name]},
    )
    audit_record(
        account=sandbox,
        actor=actor,
        action="account.created",
        object_type="account",
        object_id=sandbox.id,
        changes={"name": [None, sandbox.name]},
    )
    return sandbox, tokens


@transaction.atomic
def sandbox_delete(*, sandbox: Account, actor: Actor) -> None:
    """Delete a sandbox and everything in it (its rows cascade with the account)."""
    roles.actor_require(actor, roles.SANDBOXES)
    if not sandbox.is_sandbox:
        raise InvalidRequestError("Only sandboxes can be deleted.", code="account_not_sandbox")
    parent = sandbox.parent
    audit_record(
        account=parent,
        actor=actor,
        action="sandbox.deleted",
        object_type="account",
        object_id=sandbox.id,
        changes={"name": [sandbox.name, None]},
    )
    sandbox.delete()


@transaction.atomic
def account_settings_update(*, account: Account, changes: dict[str, Any], actor: Actor) -> Account:
    roles.actor_require(actor, roles.SETTINGS)
    account = row_lock(Account.objects.filter(pk=account.pk))
    before = dict(account.settings)
    account.settings = {**before, **changes}
    account.save(update_fields=["settings", "updated_at"])
    audit_record(
        account=account,
        actor=actor,
        action="account.settings_updated",
        object_type="account",
        object_id=account.id,
        changes=changes_between(before, account.settings),
    )
    return account
