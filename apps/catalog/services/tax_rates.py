"""Tax rates: created, changed (never their percentage or inclusiveness) and listed; Stripe has
no delete, a rate is made inactive instead."""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from apps.accounts.audit import change_record, previous_of
from apps.accounts.models import Account
from apps.catalog.models import TaxRate
from apps.catalog.render import tax_rate_render
from apps.core import clock
from apps.core.actor import Actor
from apps.core.api.params import metadata_merge
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock

_COUNTRY = re.compile(r"[A-Z]{2}")
_STATE = re.compile(r"[A-Z0-9]{1,3}")
TAX_TYPES = (
    "amusement_tax",
    "communications_tax",
    "gst",
    "hst",
    "igst",
    "jct",
    "lease_tax",
    "pst",
    "qst",
    "retail_delivery_fee",
    "rst",
    "sales_tax",
    "service_tax",
    "vat",
)


@dataclass(frozen=True)
class NewTaxRate:
    """``percentage`` 0 to 100 with at most 4 decimals; ``country`` ISO 3166-1 alpha-2,
    ``state`` ISO 3166-2 subdivision code without the country prefix."""

    display_name: str
    percentage: Decimal
    inclusive: bool
    description: str = ""
    jurisdiction: str = ""
    country: str = ""
    state: str = ""
    tax_type: str = ""
    active: bool = True
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TaxRateChanges:
    """None leaves a field as it is; "" clears a text field."""

    display_name: str | None = None
    description: str | None = None
    jurisdiction: str | None = None
    country: str | None = None
    state: str | None = None
    tax_type: str | None = None
    active: bool | None = None
    metadata: dict[str, str] | None = None


def _percentage_check(value: Decimal) -> None:
    # Trailing zeros are not decimals: 20.00000 is 20.
    if not Decimal(0) <= value <= Decimal(100) or -value.normalize().as_tuple().exponent > 4:
        raise InvalidRequestError(
            "percentage is from 0 to 100, with at most 4 decimals.", param="percentage"
        )


def _place_check(*, country: str | None, state: str | None, tax_type: str | None) -> None:
    if country and not _COUNTRY.fullmatch(country):
        raise InvalidRequestError(
            "country is a two-letter ISO 3166-1 code such as DE.", param="country"
        )
    if state and not _STATE.fullmatch(state):
        raise InvalidRequestError(
            "state is an ISO 3166-2 subdivision code without the country, such as NY.",
            param="state",
        )
    if tax_type and tax_type not in TAX_TYPES:
        raise InvalidRequestError(f"tax_type is one of {', '.join(TAX_TYPES)}.", param="tax_type")


def _name_check(display_name: str) -> None:
    if not display_name.strip():
        raise InvalidRequestError(
            "A tax rate needs a display_name, such as VAT.",
            param="display_name",
            code="parameter_missing",
        )


def tax_rate_create(*, account: Account, rate: NewTaxRate, actor: Actor) -> TaxRate:
    _name_check(rate.display_name)
    _percentage_check(rate.percentage)
    _place_check(country=rate.country, state=rate.state, tax_type=rate.tax_type)
    with transaction.atomic():
        row = TaxRate.objects.create(
            account=account,
            display_name=rate.display_name.strip(),
            description=rate.description,
            percentage=rate.percentage,
            inclusive=rate.inclusive,
            jurisdiction=rate.jurisdiction,
            country=rate.country,
            state=rate.state,
            tax_type=rate.tax_type,
            active=rate.active,
            metadata=rate.metadata,
            created_at=clock.now(),
        )
        change_record(
            account=account,
            actor=actor,
            type="tax_rate.created",
            object_type="tax_rate",
            data_object=tax_rate_render(row),
        )
    return row


def tax_rate_update(
    *, account: Account, tax_rate_id: str, changes: TaxRateChanges, actor: Actor
) -> TaxRate:
    """Everything but ``percentage`` and ``inclusive`` may change."""
    if changes.display_name is not None:
        _name_check(changes.display_name)
    _place_check(country=changes.country, state=changes.state, tax_type=changes.tax_type)
    with transaction.atomic():
        row = row_lock(TaxRate.objects.filter(account=account, id=tax_rate_id))
        if row is None:
            raise ResourceMissingError("tax_rate", tax_rate_id)
        row.account = account
        before = tax_rate_render(row)
        for name in ("description", "jurisdiction", "country", "state", "tax_type", "active"):
            value = getattr(changes, name)
            if value is not None:
                setattr(row, name, value)
        if changes.display_name is not None:
            row.display_name = changes.display_name.strip()
        row.metadata = metadata_merge(row.metadata, changes.metadata)
        row.save()
        after = tax_rate_render(row)
        previous = previous_of(before, after)
        if previous:
            change_record(
                account=account,
                actor=actor,
                type="tax_rate.updated",
                object_type="tax_rate",
                data_object=after,
                previous=previous,
            )
    return row
