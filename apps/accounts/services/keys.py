from datetime import timedelta

from django.db import transaction

from apps.accounts import keys, roles
from apps.accounts.audit import audit_record, security_event_record
from apps.accounts.enums import Access, ApiKeyKind, SecurityEventType
from apps.accounts.models import Account, ApiKey
from apps.core import clock
from apps.core.actor import Actor
from apps.core.api.resources import RESOURCES
from apps.core.errors import InvalidRequestError
from apps.core.locks import row_lock
from apps.core.models import ApiRequestLog

# Longest grace period a rolled key may keep working.
MAX_ROLL_EXPIRY = timedelta(days=7)


def _permissions_validate(permissions: dict[str, str]) -> dict[str, str]:
    clean = {}
    for resource, access in permissions.items():
        if resource not in RESOURCES:
            raise InvalidRequestError(
                f"Unknown resource for a restricted key: {resource}", param="permissions"
            )
        if access not in Access.values:
            raise InvalidRequestError(
                f"Access for {resource} must be one of none, read, write.", param="permissions"
            )
        if access != Access.NONE:
            clean[resource] = access
    return clean


@transaction.atomic
def api_key_create(
    *,
    account: Account,
    kind: str,
    name: str = "",
    permissions: dict[str, str] | None = None,
    actor: Actor,
    check_role: bool = True,
) -> tuple[ApiKey, str]:
    """Create a key; the token is returned here once and only its hash is kept."""
    if check_role:
        roles.actor_require(actor, roles.DEVELOPERS)
    if kind not in ApiKeyKind.values:
        raise InvalidRequestError("Unknown key type.", param="kind")
    clean_permissions = {}
    if kind == ApiKeyKind.RESTRICTED:
        clean_permissions = _permissions_validate(permissions or {})
        if not name.strip():
            raise InvalidRequestError("A restricted key needs a name.", param="name")
    token = keys.token_generate(kind=kind, livemode=account.livemode)
    api_key = ApiKey.objects.create(
        account=account,
        kind=kind,
        livemode=account.livemode,
        name=name.strip(),
        token_hash=keys.token_hash(token),
        publishable_token=token if kind == ApiKeyKind.PUBLISHABLE else None,
        redacted=keys.token_redact(token),
        permissions=clean_permissions,
        created_by_id=actor.user_id,
    )
    audit_record(
        account=account,
        actor=actor,
        action="api_key.created",
        object_type="api_key",
        object_id=api_key.id,
        changes={
            "kind": [None, kind],
            "name": [None, api_key.name],
            "permissions": [None, clean_permissions],
        },
    )
    security_event_record(
        type=SecurityEventType.API_KEY_CREATED,
        account=account,
        user_id=actor.user_id,
        ip=actor.ip,
        detail={"api_key": api_key.id, "redacted": api_key.redacted, "kind": kind},
    )
    return api_key, token


def _live_key_lock(*, account: Account, key_id: str) -> ApiKey:
    api_key = row_lock(ApiKey.objects.filter(account=account, pk=key_id, revoked_at__isnull=True))
    if api_key is None:
        raise InvalidRequestError(
            f"No such API key: '{key_id}'", code="resource_missing", http_status=404
        )
    return api_key


@transaction.atomic
def api_key_roll(
    *, account: Account, key_id: str, expires_in: timedelta = timedelta(0), actor: Actor
) -> tuple[ApiKey, str]:
    """Replace a key with a new token; the old one keeps working for ``expires_in``."""
    roles.actor_require(actor, roles.DEVELOPERS)
    old = _live_key_lock(account=account, key_id=key_id)
    if old.kind == ApiKeyKind.PUBLISHABLE:
        raise InvalidRequestError("Publishable keys are not rolled.", param="key")
    if expires_in < timedelta(0) or expires_in > MAX_ROLL_EXPIRY:
        raise InvalidRequestError(
            "The old key may keep working for at most 7 days.", param="expires_in"
        )
    if old.expires_at is not None:
        raise InvalidRequestError("This key has already been rolled.", param="key")
    new, token = api_key_create(
        account=account, kind=old.kind, name=old.name, permissions=old.permissions, actor=actor
    )
    now = clock.now()
    old.expires_at = now + expires_in
    old.rolled_into = new
    old.save(update_fields=["expires_at", "rolled_into", "updated_at"])
    audit_record(
        account=account,
        actor=actor,
        action="api_key.rolled",
        object_type="api_key",
        object_id=old.id,
        changes={"expires_at": [None, old.expires_at.isoformat()], "rolled_into": [None, new.id]},
    )
    security_event_record(
        type=SecurityEventType.API_KEY_ROLLED,
        account=account,
        user_id=actor.user_id,
        ip=actor.ip,
        detail={"api_key": old.id, "new_api_key": new.id, "expires_at": old.expires_at.isoformat()},
    )
    return new, token


@transaction.atomic
def api_key_revoke(*, account: Account, key_id: str, actor: Actor) -> ApiKey:
    roles.actor_require(actor, roles.DEVELOPERS)
    api_key = _live_key_lock(account=account, key_id=key_id)
    api_key.revoked_at = clock.now()
    api_key.save(update_fields=["revoked_at", "updated_at"])
    audit_record(
        account=account,
        actor=actor,
        action="api_key.revoked",
        object_type="api_key",
        object_id=api_key.id,
        changes={"revoked_at": [None, api_key.revoked_at.isoformat()]},
    )
    security_event_record(
        type=SecurityEventType.API_KEY_REVOKED,
        account=account,
        user_id=actor.user_id,
        ip=actor.ip,
        detail={"api_key": api_key.id},
    )
    return api_key


def api_keys_mark_used(rows: list[ApiRequestLog]) -> None:
    """Stamp ``last_used_at`` of the keys of a batch of API request log rows, in the transaction
    that writes them (a request log consumer; no audit row: using a key is not a change to it)."""
    key_ids = {row.api_key_id for row in rows if row.api_key_id is not None}
    if not key_ids:
        return
    at = max(row.created_at for row in rows)
    ApiKey.objects.filter(pk__in=key_ids).exclude(last_used_at__gte=at).update(last_used_at=at)
