"""Customer tax ids: created, listed and deleted (never edited), each value checked as its type
takes it (apps.customers.tax_id_formats)."""

import re

from django.db import IntegrityError, transaction

from apps.accounts.audit import audit_record
from apps.accounts.models import Account
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.events import event_record
from apps.core.locks import row_lock
from apps.customers.models import Customer, TaxId
from apps.customers.render import tax_id_render
from apps.customers.tax_id_formats import TaxIdInvalid, tax_id_normalize

_TYPE = re.compile(r"[a-z]{2}_[a-z_]{2,12}")


def tax_id_create(
    *, account: Account, customer: Customer, type: object, value: object, actor: Actor
) -> TaxId:
    if not isinstance(type, str) or not _TYPE.fullmatch(type):
        raise InvalidRequestError(
            "Invalid type: a Stripe tax id type such as eu_vat.", param="type"
        )
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(
            "Missing required param: value.", param="value", code="parameter_missing"
        )
    try:
        value, country = tax_id_normalize(type, value)
    except TaxIdInvalid as exc:
        raise InvalidRequestError(str(exc), param="value", code="tax_id_invalid") from exc
    try:
        with transaction.atomic():
            tax_id = TaxId.objects.create(
                account=account, customer=customer, type=type, value=value, country=country
            )
            audit_record(
                account=account,
                actor=actor,
                action="customer.tax_id.created",
                object_type="tax_id",
                object_id=tax_id.id,
            )
            event_record(
                account=account,
                type="customer.tax_id.created",
                data_object=tax_id_render(tax_id),
                actor=actor,
            )
    except IntegrityError as exc:
        raise InvalidRequestError(
            f"The customer already has the {type} tax id {value}.",
            param="value",
            code="tax_id_exists",
        ) from exc
    return tax_id


def tax_id_delete(*, account: Account, customer: Customer, tax_id_id: str, actor: Actor) -> str:
    with transaction.atomic():
        tax_id = row_lock(TaxId.objects.filter(account=account, customer=customer, id=tax_id_id))
        if tax_id is None:
            raise ResourceMissingError("tax_id", tax_id_id)
        data = tax_id_render(tax_id)
        tax_id.delete()
        audit_record(
            account=account,
            actor=actor,
            action="customer.tax_id.deleted",
            object_type="tax_id",
            object_id=tax_id_id,
        )
        event_record(account=account, type="customer.tax_id.deleted", data_object=data, actor=actor)
    return tax_id_id
