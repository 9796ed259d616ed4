"""Stripe's customer parameters as the typed arguments of the customer services, each checked
with the parameter it names, in the order Stripe's fields are read."""

from typing import Any

from apps.core import money
from apps.core.api.params import get_int, get_metadata, get_str
from apps.core.errors import InvalidRequestError
from apps.customers.enums import TaxExempt
from apps.customers.services.customers import (
    CustomerFields,
    TaxIdData,
    customer_email_check,
    customer_invoice_prefix_check,
    customer_locales_check,
)
from apps.customers.services.payment_methods.inputs import source_entry

ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")
# The plain fields of a customer and their longest value.
_TEXT_FIELDS = {"email": 512, "name": 256, "phone": 40, "description": 5000}


def _address(value: Any, param: str) -> dict[str, str | None]:
    """An address hash, every key present; {} for none."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise InvalidRequestError(f"Invalid hash: {param}", param=param)
    unknown = set(value) - set(ADDRESS_KEYS)
    if unknown:
        key = sorted(unknown)[0]
        raise InvalidRequestError(
            f"Received unknown parameter: {param}[{key}]", param=f"{param}[{key}]"
        )
    return {key: str(value.get(key) or "") or None for key in ADDRESS_KEYS}


def _shipping(shipping: Any) -> dict[str, Any]:
    if shipping in (None, ""):
        return {}
    if not isinstance(shipping, dict) or not shipping.get("name"):
        raise InvalidRequestError(
            "Missing required param: shipping[name].",
            param="shipping[name]",
            code="parameter_missing",
        )
    return {
        "address": _address(shipping.get("address"), "shipping[address]") or None,
        "name": str(shipping["name"]),
        "phone": str(shipping.get("phone") or "") or None,
    }


def _locales(locales: Any) -> list[str]:
    if locales in (None, ""):
        locales = []
    if not isinstance(locales, list):
        raise InvalidRequestError(
            "Invalid array: preferred_locales takes locale codes such as en or fr-CA.",
            param="preferred_locales",
        )
    customer_locales_check(locales)
    return locales


def _fields(params: dict[str, Any]) -> dict[str, Any]:
    """The plain fields of ``CustomerFields`` that ``params`` holds."""
    fields: dict[str, Any] = {}
    for name, length in _TEXT_FIELDS.items():
        if name in params:
            fields[name] = get_str(params, name, max_length=length) or ""
    if fields.get("email"):
        customer_email_check(fields["email"])
    if "address" in params:
        fields["address"] = _address(params["address"], "address")
    if "shipping" in params:
        fields["shipping"] = _shipping(params["shipping"])
    if "tax_exempt" in params:
        fields["tax_exempt"] = (
            get_str(params, "tax_exempt", choices=list(TaxExempt.values)) or TaxExempt.NONE
        )
    if "invoice_prefix" in params:
        prefix = get_str(params, "invoice_prefix", max_length=12) or ""
        customer_invoice_prefix_check(prefix)
        fields["invoice_prefix"] = prefix
    if "preferred_locales" in params:
        fields["preferred_locales"] = _locales(params["preferred_locales"])
    return fields


def _id(value: Any) -> str:
    """An object id as sent; "" for none."""
    return "" if value in (None, "") else str(value)


def customer_update_parse(params: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/customers/:id`` as the keyword arguments of ``customer_update``."""
    fields = _fields(params)
    metadata = get_metadata(params)
    settings = params.get("invoice_settings")
    default_payment_method = None
    if isinstance(settings, dict) and "default_payment_method" in settings:
        default_payment_method = _id(settings["default_payment_method"])
    elif settings not in (None, "") and not isinstance(settings, dict):
        raise InvalidRequestError("Invalid hash: invoice_settings", param="invoice_settings")
    return {
        "fields": CustomerFields(
            **fields, metadata=metadata, default_payment_method=default_payment_method
        ),
        "source": source_entry(params["source"]) if params.get("source") else None,
        "default_source": _id(params["default_source"]) if "default_source" in params else None,
    }


def _currency(params: dict[str, Any]) -> str:
    currency = get_str(params, "currency", max_length=3)
    if not currency:
        return ""
    try:
        return money.currency_normalize(currency)
    except money.MoneyError as exc:
        raise InvalidRequestError(str(exc), param="currency") from exc


def _tax_ids(params: dict[str, Any]) -> list[TaxIdData]:
    tax_ids = params.get("tax_id_data") or []
    if not isinstance(tax_ids, list):
        raise InvalidRequestError("Invalid array: tax_id_data", param="tax_id_data")
    for index, tax_id in enumerate(tax_ids):
        if not isinstance(tax_id, dict):
            raise InvalidRequestError("Invalid hash", param=f"tax_id_data[{index}]")
    return [TaxIdData(type=tax_id.get("type"), value=tax_id.get("value")) for tax_id in tax_ids]


def customer_create_parse(params: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/customers`` as the keyword arguments of ``customer_create``."""
    fields = _fields(params)
    metadata = get_metadata(params) or {}
    balance = get_int(params, "balance")
    # Not a Stripe parameter on create: Ledgerline's way to fix the currency up front.
    currency = _currency(params)
    test_clock = get_str(params, "test_clock", max_length=64)
    tax_ids = _tax_ids(params)
    payment_method = get_str(params, "payment_method", max_length=64)
    settings = params.get("invoice_settings") or {}
    default_pm = settings.get("default_payment_method") if isinstance(settings, dict) else None
    return {
        "fields": CustomerFields(
            **fields, metadata=metadata, default_payment_method=_id(default_pm) or None
        ),
        "balance": balance,
        "currency": currency,
        "test_clock_id": test_clock,
        "tax_ids": tax_ids,
        "source": source_entry(params["source"]) if params.get("source") else None,
        "payment_method_id": payment_method,
    }
