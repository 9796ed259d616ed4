"""CSV exports of the team's trail: Team activity (the audit log) and the security history.

Every export is itself recorded — a ``data.exported`` security event and an audit entry, in the
transaction that read the rows — so the history shows who took what, with which filters.
"""

import csv
import io
import json
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction

from apps.accounts import roles
from apps.accounts.audit import audit_record, security_event_record
from apps.accounts.enums import SecurityEventType
from apps.accounts.models import Account
from apps.accounts.selectors import audit_list, security_event_list
from apps.core import clock, dates
from apps.core.actor import Actor
from apps.core.errors import PermissionDeniedError

# The newest rows an export holds; narrow the filters for older ones.
MAX_EXPORT_ROWS = 100_000
AUDIT_COLUMNS = [
    "time",
    "actor_kind",
    "actor",
    "api_key",
    "action",
    "object_type",
    "object_id",
    "changes",
    "ip",
    "request_id",
]
SECURITY_COLUMNS = ["time", "type", "user", "ip", "user_agent", "detail"]


@dataclass(frozen=True)
class AuditLogFilters:
    """What a Team activity export is narrowed to; an empty value does not narrow."""

    action: str = ""
    actor_kind: str = ""
    object_id: str = ""


@dataclass(frozen=True)
class Export:
    filename: str
    content: str
    rows: int


def _iso(moment) -> str:
    return dates.iso_utc(moment)


def _csv(columns: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def export_record(
    *, account: Account, actor: Actor, what: str, filters: dict, rows: int, user_agent: str
) -> None:
    """The trail an export leaves: a ``data.exported`` security event and an audit entry."""
    detail = {"export": what, "filters": filters, "rows": rows}
    security_event_record(
        type=SecurityEventType.DATA_EXPORTED,
        user_id=actor.user_id,
        account=account,
        username=actor.label,
        ip=actor.ip,
        user_agent=user_agent,
        detail=detail,
    )
    audit_record(
        account=account,
        actor=actor,
        action="data.exported",
        object_type="export",
        object_id=what,
        changes={k: [None, v] for k, v in detail.items()},
    )


def audit_log_export(
    *, account: Account, actor: Actor, filters: AuditLogFilters, user_agent: str = ""
) -> Export:
    if not roles.role_allows(actor.role, roles.EXPORT):
        raise PermissionDeniedError("Your role does not allow exporting data.")
    # Each filter is the audit entry field of the same name.
    applied = {k: v for k, v in asdict(filters).items() if v}
    with transaction.atomic():
        entries = audit_list(account=account).filter(**applied)
        rows = [
            [
                _iso(e.created_at),
                e.actor_kind,
                e.actor_label,
                e.actor_api_key_id or "",
                e.action,
                e.object_type,
                e.object_id,
                json.dumps(e.changes, sort_keys=True),
                e.ip or "",
                e.request_id or "",
            ]
            for e in entries[:MAX_EXPORT_ROWS]
        ]
        export_record(
            account=account,
            actor=actor,
            what="audit_log",
            filters=applied,
            rows=len(rows),
            user_agent=user_agent,
        )
    stamp = dates.file_stamp(clock.now())
    return Export(f"team-activity-{account.id}-{stamp}.csv", _csv(AUDIT_COLUMNS, rows), len(rows))


def security_history_export(*, account: Account, actor: Actor, user_agent: str = "") -> Export:
    if not (
        roles.role_allows(actor.role, roles.TEAM) and roles.role_allows(actor.role, roles.EXPORT)
    ):
        raise PermissionDeniedError("Only administrators can export the security history.")
    with transaction.atomic():
        events = security_event_list(account=account).select_related("user")
        rows = [
            [
                _iso(e.created_at),
                e.type,
                e.username or (e.user.get_username() if e.user else ""),
                e.ip or "",
                e.user_agent,
                json.dumps(e.detail, sort_keys=True),
            ]
            for e in events[:MAX_EXPORT_ROWS]
        ]
        export_record(
            account=account,
            actor=actor,
            what="security_history",
            filters={},
            rows=len(rows),
            user_agent=user_agent,
        )
    stamp = dates.file_stamp(clock.now())
    return Export(
        f"security-history-{account.id}-{stamp}.csv", _csv(SECURITY_COLUMNS, rows), len(rows)
    )


def list_export_record(
    *, account: Account, actor: Actor, what: str, filters: dict, rows: int, user_agent: str = ""
) -> None:
    """Records the CSV export of a dashboard list before its rows are streamed.

    ``what`` names the list (``customers.customer``), ``filters`` is the list's query string as
    a dict and ``rows`` the number of rows the current filter selects.
    """
    if not roles.role_allows(actor.role, roles.EXPORT):
        raise PermissionDeniedError("Your role does not allow exporting data.")
    with transaction.atomic():
        export_record(
            account=account,
            actor=actor,
            what=what,
            filters=filters,
            rows=rows,
            user_agent=user_agent,
        )
