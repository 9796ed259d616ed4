"""Writes of an account's customer emails: its own wording of a kind (or back to the built-in
one), and which kinds are on. Each is checked first (apps.collections.email_templates) and
audited in its transaction."""

from django.db import transaction

from apps.accounts import roles
from apps.accounts.audit import audit_record
from apps.accounts.models import Account
from apps.collections.email_templates import BUILT_IN, Kind, body_errors, subject_errors
from apps.collections.models import EmailTemplate
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError
from apps.core.locks import row_lock


def _kind_check(kind: str) -> None:
    if kind not in Kind.values:
        raise InvalidRequestError(
            f"Unknown email {kind!r}; one of {', '.join(Kind.values)}.", param="kind"
        )


def email_template_save(
    *, account: Account, kind: str, subject: str, body: str, actor: Actor
) -> EmailTemplate:
    """The account's wording of ``kind``; unknown or malformed placeholders are refused."""
    roles.actor_require(actor, roles.SETTINGS)
    _kind_check(kind)
    for param, errors in (
        ("subject", subject_errors(kind, subject)),
        ("body", body_errors(kind, body)),
    ):
        if errors:
            raise InvalidRequestError(" ".join(errors), param=param)
    with transaction.atomic():
        row = row_lock(EmailTemplate.objects.filter(account=account, kind=kind))
        built_in = BUILT_IN[kind]
        before = (row.subject, row.body) if row else (built_in.subject, built_in.body)
        if row is None:
            row = EmailTemplate(account=account, kind=kind)
        row.subject, row.body = subject, body
        row.save()
        changes = {
            name: [old, new]
            for name, old, new in (("subject", before[0], subject), ("body", before[1], body))
            if old != new
        }
        audit_record(
            account=account,
            actor=actor,
            action="email_template.updated",
            object_type="email_template",
            object_id=kind,
            changes=changes,
        )
    return row


def email_template_reset(*, account: Account, kind: str, actor: Actor) -> bool:
    """Back to the built-in wording of ``kind``; whether the account had its own."""
    roles.actor_require(actor, roles.SETTINGS)
    _kind_check(kind)
    with transaction.atomic():
        row = row_lock(EmailTemplate.objects.filter(account=account, kind=kind))
        if row is None:
            return False
        built_in = BUILT_IN[kind]
        audit_record(
            account=account,
            actor=actor,
            action="email_template.reset",
            object_type="email_template",
            object_id=kind,
            changes={
                name: [old, new]
                for name, old, new in (
                    ("subject", row.subject, built_in.subject),
                    ("body", row.body, built_in.body),
                )
                if old != new
            },
        )
        row.delete()
    return True
