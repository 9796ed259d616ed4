"""Wire shapes of a ``PaymentMethod`` row: a PaymentMethod, a legacy card / bank account / source,
a token, and the ``payment_method_details`` a charge carries. One row, several renderings."""

from typing import Any

from apps.core import clock
from apps.customers.enums import PaymentMethodType, SourceObject
from apps.customers.models import PaymentMethod

# Legacy card objects name brands for display; PaymentMethods use lowercase codes.
LEGACY_BRANDS = {
    "visa": "Visa",
    "mastercard": "MasterCard",
    "amex": "American Express",
    "discover": "Discover",
    "jcb": "JCB",
    "unionpay": "UnionPay",
    "diners": "Diners Club",
}
_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


def _billing(pm: PaymentMethod) -> dict[str, Any]:
    details = pm.billing_details or {}
    address = details.get("address") or {}
    return {
        "address": {key: address.get(key) for key in _ADDRESS_KEYS},
        "email": details.get("email"),
        "name": details.get("name"),
        "phone": details.get("phone"),
        "tax_id": details.get("tax_id"),
    }


def _card(pm: PaymentMethod) -> dict[str, Any]:
    return {
        "brand": pm.brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": None,
        },
        "country": pm.country or None,
        "display_brand": pm.brand,
        "exp_month": pm.exp_month,
        "exp_year": pm.exp_year,
        "fingerprint": pm.fingerprint,
        "funding": pm.funding or "unknown",
        "generated_from": None,
        "last4": pm.last4,
        "networks": {"available": [pm.brand], "preferred": None},
        "regulated_status": None,
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def _type_details(pm: PaymentMethod) -> dict[str, Any]:
    details = pm.details or {}
    if pm.type == PaymentMethodType.CARD:
        return _card(pm)
    if pm.type == PaymentMethodType.SEPA_DEBIT:
        return {
            "bank_code": details.get("bank_code"),
            "branch_code": details.get("branch_code") or "",
            "country": pm.country,
            "fingerprint": pm.fingerprint,
            "generated_from": {"charge": None, "setup_attempt": None},
            "last4": pm.last4,
        }
    if pm.type == PaymentMethodType.US_BANK_ACCOUNT:
        return {
            "account_holder_type": details.get("account_holder_type", "individual"),
            "account_type": details.get("account_type", "checking"),
            "bank_name": pm.bank_name or None,
            "financial_connections_account": None,
            "fingerprint": pm.fingerprint,
            "last4": pm.last4,
            "networks": {"preferred": "ach", "supported": ["ach"]},
            "routing_number": details.get("routing_number"),
            "status_details": None,
        }
    return {
        "country": pm.country or None,
        "payer_email": details.get("payer_email"),
        "payer_id": details.get("payer_id"),
    }


def _payment_method(pm: PaymentMethod) -> dict[str, Any]:
    return {
        "id": pm.id,
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": _billing(pm),
        pm.type: _type_details(pm),
        "created": clock.to_epoch(pm.created_at),
        "customer": pm.customer_id,
        "customer_account": None,
        "livemode": pm.livemode,
        "metadata": pm.metadata,
        "type": pm.type,
    }


def _legacy_card(pm: PaymentMethod) -> dict[str, Any]:
    billing = pm.billing_details or {}
    address = billing.get("address") or {}
    return {
        "id": pm.id,
        "object": "card",
        "address_city": address.get("city"),
        "address_country": address.get("country"),
        "address_line1": address.get("line1"),
        "address_line1_check": None,
        "address_line2": address.get("line2"),
        "address_state": address.get("state"),
        "address_zip": address.get("postal_code"),
        "address_zip_check": None,
        "brand": LEGACY_BRANDS.get(pm.brand, "Unknown"),
        "country": pm.country or None,
        "customer": pm.customer_id,
        "cvc_check": None,
        "dynamic_last4": None,
        "exp_month": pm.exp_month,
        "exp_year": pm.exp_year,
        "fingerprint": pm.fingerprint,
        "funding": pm.funding or "unknown",
        "last4": pm.last4,
        "metadata": pm.metadata,
        "name": billing.get("name"),
        # Whether the card is issued under interchange regulation; not known to Ledgerline.
        "regulated_status": None,
        "tokenization_method": None,
        "wallet": None,
    }


def _legacy_bank_account(pm: PaymentMethod) -> dict[str, Any]:
    details = pm.details or {}
    return {
        "id": pm.id,
        "object": "bank_account",
        "account_holder_name": details.get("account_holder_name") or None,
        "account_holder_type": details.get("account_holder_type", "individual"),
        "account_type": details.get("account_type"),
        "bank_name": pm.bank_name or None,
        "country": pm.country,
        "currency": details.get(
            "currency", "eur" if pm.type == PaymentMethodType.SEPA_DEBIT else "usd"
        ),
        "customer": pm.customer_id,
        "fingerprint": pm.fingerprint,
        "last4": pm.last4,
        "metadata": pm.metadata,
        "routing_number": details.get("routing_number"),
        "status": details.get("status", "new"),
    }


def _legacy_source(pm: PaymentMethod) -> dict[str, Any]:
    billing = _billing(pm)
    return {
        "id": pm.id,
        "object": "source",
        "allow_redisplay": None,
        "amount": None,
        "client_secret": pm.client_secret,
        "created": clock.to_epoch(pm.created_at),
        "currency": "eur" if pm.type == PaymentMethodType.SEPA_DEBIT else None,
        "customer": pm.customer_id,
        "flow": "none",
        "livemode": pm.livemode,
        "metadata": pm.metadata,
        # Ledgerline verifies no owner details (Stripe fills these from the bank for some types).
        "owner": {
            "address": billing["address"],
            "email": billing["email"],
            "name": billing["name"],
            "phone": billing["phone"],
            "verified_address": None,
            "verified_email": None,
            "verified_name": None,
            "verified_phone": None,
        },
        # Only a source of the receiver flow (bank transfers) has a receiver.
        "receiver": None,
        "statement_descriptor": None,
        "status": "consumed" if pm.detached_at else "chargeable",
        "type": pm.type,
        pm.type: _type_details(pm),
        "usage": "reusable",
    }


def payment_method_render(pm: PaymentMethod, *, as_payment_method: bool = False) -> dict[str, Any]:
    """The object the row was created as; ``as_payment_method`` shows a legacy source the way
    Stripe lists it among a customer's PaymentMethods."""
    if as_payment_method:
        return _payment_method(pm)
    if pm.source_object == SourceObject.CARD:
        return _legacy_card(pm)
    if pm.source_object == SourceObject.BANK_ACCOUNT:
        return _legacy_bank_account(pm)
    if pm.source_object == SourceObject.SOURCE:
        return _legacy_source(pm)
    return _payment_method(pm)


def payment_method_details(pm: PaymentMethod) -> dict[str, Any]:
    """``charge.payment_method_details``: the same for every way the charge was paid."""
    details = _type_details(pm)
    if pm.type == PaymentMethodType.CARD:
        details = {
            key: details[key]
            for key in (
                "brand",
                "checks",
                "country",
                "exp_month",
                "exp_year",
                "fingerprint",
                "funding",
                "last4",
                "networks",
                "wallet",
            )
        }
        details["network"] = pm.brand
        details["three_d_secure"] = None
    return {"type": pm.type, pm.type: details}


def token_render(
    token_id: str, pm: PaymentMethod, *, client_ip: str | None = None
) -> dict[str, Any]:
    card = pm.type == PaymentMethodType.CARD
    return {
        "id": token_id,
        "object": "token",
        "card" if card else "bank_account": payment_method_render(pm),
        "client_ip": client_ip,
        "created": clock.to_epoch(pm.created_at),
        "livemode": pm.livemode,
        "type": "card" if card else "bank_account",
        "used": bool(pm.details.get("token_used")) or pm.customer_id is not None,
    }


# How customers and staff name brands in sentences (emails, the dashboard).
BRANDS = {
    "amex": "American Express",
    "diners": "Diners Club",
    "discover": "Discover",
    "jcb": "JCB",
    "mastercard": "Mastercard",
    "unionpay": "UnionPay",
    "visa": "Visa",
}


def brand_name(payment_method: PaymentMethod) -> str:
    """How a customer knows the card (or the kind of payment method)."""
    brand = payment_method.brand
    return BRANDS.get(brand, brand.title()) if brand else payment_method.type.replace("_", " ")


def payment_method_label(payment_method: PaymentMethod) -> str:
    """ "Visa •••• 4242": the method as staff and customers know it."""
    last4 = f" •••• {payment_method.last4}" if payment_method.last4 else ""
    return f"{brand_name(payment_method)}{last4}"
