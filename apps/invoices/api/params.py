"""The parameters of ``POST /v1/invoices`` and ``POST /v1/invoices/:id`` in Stripe's wire format,
parsed into the services' ``InvoiceDraft`` and ``InvoiceChanges``; a malformed parameter is a
Stripe-shaped error before anything is read."""

from typing import Any

from apps.core.api.params import (
    get_bool,
    get_ids,
    get_int,
    get_metadata,
    get_str,
    get_timestamp,
)
from apps.core.errors import InvalidRequestError
from apps.invoices.invoice_terms import COLLECTION_METHODS, INHERIT, DiscountChoice, Inherit
from apps.invoices.one_off import InvoiceChanges, InvoiceDraft


def discounts_parse(params: dict[str, Any]) -> DiscountChoice | Inherit | None:
    """``discounts``: absent → the customer's discount is inherited (``INHERIT``); ``""`` →
    none; one entry ``coupon``, ``promotion_code`` or an existing ``discount`` of the customer."""
    if "discounts" not in params:
        return INHERIT
    raw = params["discounts"]
    if raw in ("", [], {}):
        return None
    if isinstance(raw, dict) and all(str(k).isdigit() for k in raw):
        raw = [raw[k] for k in sorted(raw, key=int)]
    if not isinstance(raw, list) or not all(isinstance(entry, dict) for entry in raw):
        raise InvalidRequestError("Invalid array: discounts", param="discounts")
    if len(raw) > 1:
        raise InvalidRequestError("One discount per invoice.", param="discounts")
    entry = {
        name: get_str(raw[0], name, max_length=500)
        for name in ("coupon", "promotion_code", "discount")
    }
    given = {name: value for name, value in entry.items() if value}
    if len(given) != 1:
        raise InvalidRequestError(
            "Each discount takes one of coupon, promotion_code or discount.",
            param="discounts[0]",
        )
    return DiscountChoice(**given)


# Each parameter of an invoice's terms, parsed; in the order they are checked.
_PARSERS = {
    "collection_method": lambda params: get_str(
        params, "collection_method", choices=COLLECTION_METHODS
    ),
    "days_until_due": lambda params: get_int(params, "days_until_due", minimum=0, maximum=3650),
    "due_date": lambda params: get_timestamp(params, "due_date"),
    "auto_advance": lambda params: get_bool(params, "auto_advance"),
    "automatically_finalizes_at": lambda params: get_timestamp(
        params, "automatically_finalizes_at"
    ),
    "pending_invoice_items_behavior": lambda params: get_str(
        params, "pending_invoice_items_behavior", choices=["exclude", "include"]
    ),
    "discounts": discounts_parse,
    "description": lambda params: get_str(params, "description", max_length=1500) or "",
    "footer": lambda params: get_str(params, "footer", max_length=5000) or "",
    "metadata": get_metadata,
    "default_tax_rates": lambda params: get_ids(params, "default_tax_rates"),
}


def _parsed(params: dict[str, Any], *, create: bool) -> dict[str, Any]:
    """The terms given, parsed; ``pending_invoice_items_behavior`` only on create."""
    return {
        name: parse(params)
        for name, parse in _PARSERS.items()
        if name in params and (create or name != "pending_invoice_items_behavior")
    }


def invoice_draft_parse(params: dict[str, Any]) -> InvoiceDraft:
    """``POST /v1/invoices``: the customer (and subscription), the currency and the terms."""
    customer_id = get_str(params, "customer", required=True, max_length=64)
    subscription_id = get_str(params, "subscription", max_length=64)
    currency = get_str(params, "currency", max_length=3)
    terms = _parsed(params, create=True)
    behavior = terms.pop("pending_invoice_items_behavior", None)
    return InvoiceDraft(
        customer_id=customer_id,
        subscription_id=subscription_id,
        currency=currency,
        include_pending=behavior == "include",
        **terms,
    )


def invoice_changes_parse(params: dict[str, Any]) -> InvoiceChanges:
    """``POST /v1/invoices/:id``: the fields given, each parsed (``""`` clears); a field not
    given stays ``UNSET``."""
    return InvoiceChanges(**_parsed(params, create=False))
