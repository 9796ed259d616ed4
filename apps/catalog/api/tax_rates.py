"""``/v1/tax_rates``: create, retrieve, update (not the percentage or inclusiveness) and list;
Stripe has no delete."""

from drf_spectacular.utils import extend_schema

from apps.catalog.api.common import LIST_PARAMS, PARAMS, CatalogApi
from apps.catalog.render import tax_rate_render
from apps.catalog.selectors import tax_rate_get, tax_rate_list
from apps.catalog.services import NewTaxRate, TaxRateChanges, tax_rate_create, tax_rate_update
from apps.core.api.pagination import created_filter, paginate
from apps.core.api.params import get_bool, get_metadata, get_str, reject_unknown
from apps.core.api.schema import list_object, object_schema
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.money import MoneyError, to_decimal

CHANGEABLE = {
    "display_name",
    "description",
    "jurisdiction",
    "country",
    "state",
    "tax_type",
    "active",
    "metadata",
}
CREATE_PARAMS = CHANGEABLE | {"percentage", "inclusive"}

TaxRateSchema = object_schema("TaxRate", "tax_rate")


def _text(params: dict, name: str, max_length: int) -> str | None:
    """A text field as given: None when absent, "" when cleared."""
    if name not in params:
        return None
    return get_str(params, name, max_length=max_length) or ""


def _percentage(params: dict):
    text = get_str(params, "percentage", required=True, max_length=20)
    try:
        return to_decimal(text)
    except MoneyError as exc:
        raise InvalidRequestError(f"Invalid percentage: {text}", param="percentage") from exc


class TaxRateListApi(CatalogApi):
    @extend_schema(
        operation_id="GetTaxRates",
        summary="List tax rates",
        responses={200: list_object("TaxRateList", TaxRateSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, LIST_PARAMS | {"active", "inclusive"})
        rows = created_filter(tax_rate_list(account=self.account), self.params)
        for name in ("active", "inclusive"):
            value = get_bool(self.params, name)
            if value is not None:
                rows = rows.filter(**{name: value})
        return self.respond(
            paginate(rows, self.params, url="/v1/tax_rates", render=tax_rate_render)
        )

    @extend_schema(
        operation_id="PostTaxRates",
        summary="Create a tax rate",
        request=PARAMS,
        responses={200: TaxRateSchema},
    )
    def post(self, request):
        params = self.params
        reject_unknown(params, CREATE_PARAMS)
        inclusive = get_bool(params, "inclusive")
        if inclusive is None:
            raise InvalidRequestError(
                "Missing required param: inclusive.", param="inclusive", code="parameter_missing"
            )
        rate = NewTaxRate(
            display_name=get_str(params, "display_name", required=True, max_length=50),
            percentage=_percentage(params),
            inclusive=inclusive,
            description=_text(params, "description", 500) or "",
            jurisdiction=_text(params, "jurisdiction", 50) or "",
            country=_text(params, "country", 2) or "",
            state=_text(params, "state", 3) or "",
            tax_type=_text(params, "tax_type", 30) or "",
            active=get_bool(params, "active", default=True),
            metadata=get_metadata(params) or {},
        )
        row = tax_rate_create(account=self.account, rate=rate, actor=self.actor)
        return self.respond(tax_rate_render(row))


class TaxRateDetailApi(CatalogApi):
    @extend_schema(
        operation_id="GetTaxRatesTaxRate",
        summary="Retrieve a tax rate",
        responses={200: TaxRateSchema},
    )
    def get(self, request, tax_rate: str):
        reject_unknown(self.params, set())
        row = tax_rate_get(account=self.account, tax_rate_id=tax_rate)
        if row is None:
            raise ResourceMissingError("tax_rate", tax_rate)
        return self.respond(tax_rate_render(row))

    @extend_schema(
        operation_id="PostTaxRatesTaxRate",
        summary="Update a tax rate (its percentage and inclusiveness are fixed)",
        request=PARAMS,
        responses={200: TaxRateSchema},
    )
    def post(self, request, tax_rate: str):
        params = self.params
        for fixed in ("percentage", "inclusive"):
            if fixed in params:
                raise InvalidRequestError(
                    f"A tax rate's {fixed} cannot change once it is created; create a new "
                    "tax rate and make this one inactive.",
                    param=fixed,
                )
        reject_unknown(params, CHANGEABLE)
        changes = TaxRateChanges(
            display_name=_text(params, "display_name", 50),
            description=_text(params, "description", 500),
            jurisdiction=_text(params, "jurisdiction", 50),
            country=_text(params, "country", 2),
            state=_text(params, "state", 3),
            tax_type=_text(params, "tax_type", 30),
            active=get_bool(params, "active"),
            metadata=get_metadata(params),
        )
        row = tax_rate_update(
            account=self.account, tax_rate_id=tax_rate, changes=changes, actor=self.actor
        )
        return self.respond(tax_rate_render(row))
