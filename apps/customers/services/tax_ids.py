"""Customer tax ids: created, listed and deleted (never edited), with format checks."""

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

# Type → (country, pattern of the value without spaces). Other Stripe types are accepted with a
# loose check (letters, digits and - . / only).
FORMATS: dict[str, tuple[str, str]] = {
    "eu_vat": (
        "",
        r"(AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)[0-9A-Z]{2,12}",
    ),
    "gb_vat": ("GB", r"GB([0-9]{9}|[0-9]{12})"),
    "us_ein": ("US", r"[0-9]{2}-?[0-9]{7}"),
    "au_abn": ("AU", r"[0-9]{11}"),
    "ca_bn": ("CA", r"[0-9]{9}"),
    "in_gst": ("IN", r"[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][0-9A-Z]Z[0-9A-Z]"),
    "ch_vat": ("CH", r"CHE-?[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}( ?(MWST|TVA|IVA))?"),
    "jp_cn": ("JP", r"[0-9]{13}"),
}
_LOOSE = re.compile(r"[0-9A-Za-z.\-/ ]{2,40}")
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
    value = value.strip().upper() if type in FORMATS else value.strip()
    country, pattern = FORMATS.get(type, ("", ""))
    compact = value.replace(" ", "")
    if (pattern and not re.fullmatch(pattern, compact)) or (
        not pattern and not _LOOSE.fullmatch(value)
    ):
        raise InvalidRequestError(
            f"Invalid value for {type}: {value}", param="value", code="tax_id_invalid"
        )
    if type == "eu_vat":
        country = "GR" if compact.startswith("EL") else compact[:2]
    if not country:
        country = type[:2].upper()
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
