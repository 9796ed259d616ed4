"""Audit trail and security history writers; callers are services, inside their transaction.

Inside ``changes_batched()`` the changes a transaction records (``change_record``,
``changes_record``, ``audit_records``) are kept in order and written when the block ends, still
inside the transaction: one insert for the audit entries and one for the events, however many
steps of the transaction recorded some."""

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from apps.accounts.enums import ActorKind
from apps.accounts.models import Account, AuditLogEntry, SecurityEvent
from apps.core import clock
from apps.core.actor import Actor
from apps.core.bulk import values_insert
from apps.core.events import event_record, events_record
from apps.core.ids import new_id


@dataclass
class _Batch:
    account: Any
    actor: Actor
    audits: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = field(default_factory=list)


_batch: ContextVar[_Batch | None] = ContextVar("changes_batch", default=None)


@contextmanager
def changes_batched(*, account: Account, actor: Actor) -> Iterator[None]:
    """Inside a transaction: the audit entries and events that ``account``'s changes by
    ``actor`` record in this block are written together as it ends (in the order they were
    recorded, each event's object as it was when recorded). Nested blocks join the outer one;
    changes of another account or actor are written at once, as without a batch."""
    if _batch.get() is not None:
        yield
        return
    batch = _Batch(account=account, actor=actor)
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
    audit_records(account=account, actor=actor, entries=batch.audits)
    events_record(account=account, actor=actor, changes=batch.events)


def _batched(account: Account, actor: Actor) -> _Batch | None:
    """The open batch that takes ``account``'s changes by ``actor``, if any."""
    batch = _batch.get()
    if batch is None or batch.account.id != account.id or batch.actor != actor:
        return None
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("changes are recorded inside the transaction of the change")
    return batch


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def audit_record(
    *,
    account: Account,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    changes: dict[str, list[Any]] | None = None,
) -> AuditLogEntry:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change")
    return AuditLogEntry.objects.create(
        account=account,
        created_at=clock.now(),
        actor_kind=actor.kind,
        actor_user_id=actor.user_id if actor.kind == ActorKind.USER else None,
        actor_api_key_id=actor.api_key_id,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes=changes or {},
        ip=actor.ip,
        request_id=actor.request_id,
    )


def security_event_record(
    *,
    type: str,
    user: Any = None,
    user_id: int | None = None,
    account: Account | None = None,
    username: str = "",
    ip: str | None = None,
    user_agent: str = "",
    detail: dict[str, Any] | None = None,
) -> SecurityEvent:
    return SecurityEvent.objects.create(
        created_at=clock.now(),
        type=type,
        user_id=user.pk if user is not None else user_id,
        account=account,
        username=username or (user.get_username() if user is not None else ""),
        ip=ip,
        user_agent=user_agent[:300],
        detail=detail or {},
    )


def change_record(
    *,
    account: Account,
    actor: Actor,
    type: str,
    object_type: str,
    data_object: dict[str, Any],
    previous: dict[str, Any] | None = None,
) -> None:
    """The audit entry and the event of one change (``type`` names both), in its transaction.

    The audit entry's changes are the fields in ``previous`` with their old and new values."""
    if _batched(account, actor) is not None:
        changes_record(
            account=account, actor=actor, changes=[(type, object_type, data_object, previous)]
        )
        return
    audit_record(
        account=account,
        actor=actor,
        action=type,
        object_type=object_type,
        object_id=str(data_object["id"]),
        changes={k: [v, data_object.get(k)] for k, v in (previous or {}).items()},
    )
    event_record(
        account=account,
        type=type,
        data_object=data_object,
        previous_attributes=previous,
        actor=actor,
    )


def changes_record(
    *,
    account: Account,
    actor: Actor,
    changes: list[tuple[str, str, dict[str, Any], dict[str, Any] | None]],
) -> None:
    """``change_record`` for many changes of one account at once: ``(type, object_type,
    data_object, previous)`` in order; one insert for the audit entries, one for the events."""
    audit_records(
        account=account,
        actor=actor,
        entries=[
            (
                type,
                object_type,
                str(data_object["id"]),
                {k: [v, data_object.get(k)] for k, v in (previous or {}).items()},
            )
            for type, object_type, data_object, previous in changes
        ],
    )
    events = [(type, data_object, previous) for type, _, data_object, previous in changes]
    batch = _batched(account, actor)
    if batch is not None:
        # Kept as they are now: the objects rendered may change before the batch is written.
        batch.events += copy.deepcopy(events)
        return
    events_record(account=account, actor=actor, changes=events)


def audit_records(
    *, account: Account, actor: Actor, entries: list[tuple[str, str, str, dict[str, Any]]]
) -> None:
    """``audit_record`` for many entries at once: ``(action, object_type, object_id, changes)``."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_records must run inside the transaction of the change")
    if not entries:
        return
    batch = _batched(account, actor)
    if batch is not None:
        batch.audits += copy.deepcopy(entries)
        return
    common = {
        "account_id": account.id,
        "created_at": clock.now(),
        "actor_kind": actor.kind,
        "actor_user_id": actor.user_id if actor.kind == ActorKind.USER else None,
        "actor_api_key_id": actor.api_key_id,
        "actor_label": actor.label,
        "ip": actor.ip,
        "request_id": actor.request_id,
    }
    names = [field.attname for field in AuditLogEntry._meta.concrete_fields]
    given = (
        {
            **common,
            "id": new_id("aud"),
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "changes": changes or {},
        }
        for action, object_type, object_id, changes in entries
    )
    values_insert(AuditLogEntry, [[values[name] for name in names] for values in given])


def previous_of(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Stripe's ``previous_attributes``: the fields whose value changed, as they were."""
    return {k: v for k, v in before.items() if after.get(k) != v}
