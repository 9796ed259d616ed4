"""Notes on a customer, written by staff or through the API, with their author."""

from django.db import transaction

from apps.accounts.audit import audit_record
from apps.accounts.enums import ActorKind
from apps.accounts.models import Account
from apps.core import clock
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock
from apps.customers.models import Customer, CustomerNote

MAX_NOTE_LENGTH = 10_000


def _body(body: object) -> str:
    if not isinstance(body, str) or not body.strip():
        raise InvalidRequestError(
            "Missing required param: body.", param="body", code="parameter_missing"
        )
    if len(body) > MAX_NOTE_LENGTH:
        raise InvalidRequestError(f"A note is at most {MAX_NOTE_LENGTH} characters.", param="body")
    return body.strip()


def note_create(
    *, account: Account, customer: Customer, body: object, actor: Actor
) -> CustomerNote:
    text = _body(body)
    with transaction.atomic():
        note = CustomerNote.objects.create(
            account=account,
            customer=customer,
            body=text,
            author_kind=actor.kind,
            author_label=actor.label,
            author_user_id=actor.user_id if actor.kind == ActorKind.USER else None,
            created_at=clock.now(),
        )
        audit_record(
            account=account,
            actor=actor,
            action="customer_note.created",
            object_type="customer",
            object_id=customer.id,
            changes={"note": [None, note.id]},
        )
    return note


def _locked(account: Account, customer: Customer, note_id: str) -> CustomerNote:
    note = row_lock(CustomerNote.objects.filter(account=account, customer=customer, id=note_id))
    if note is None:
        raise ResourceMissingError("note", note_id)
    return note


def note_update(
    *, account: Account, customer: Customer, note_id: str, body: object, actor: Actor
) -> CustomerNote:
    text = _body(body)
    with transaction.atomic():
        note = _locked(account, customer, note_id)
        before = note.body
        note.body = text
        note.save(update_fields=["body", "updated_at"])
        audit_record(
            account=account,
            actor=actor,
            action="customer_note.updated",
            object_type="customer",
            object_id=customer.id,
            changes={"body": [before, text]},
        )
    return note


def note_delete(*, account: Account, customer: Customer, note_id: str, actor: Actor) -> str:
    with transaction.atomic():
        note = _locked(account, customer, note_id)
        note.delete()
        audit_record(
            account=account,
            actor=actor,
            action="customer_note.deleted",
            object_type="customer",
            object_id=customer.id,
            changes={"note": [note_id, None]},
        )
    return note_id
