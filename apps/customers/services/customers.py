"""Customer writes: create, update, delete (soft), each audited with its event."""

import re
from typing import Any

from django.db import transaction

from apps.accounts.audit import audit_record, changes_between
from apps.accounts.models import Account, TestClock
from apps.core import clock, money
from apps.core.actor import Actor
from apps.core.api.params import get_int, get_metadata, get_str, metadata_merge
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.events import event_record
from apps.core.locks import row_lock
from apps.customers.enums import BalanceTransactionType, TaxExempt
from apps.customers.models import Customer, PaymentMethod
from apps.customers.render import customer_render
from apps.customers.services.balance import customer_balance_adjust
from apps.customers.services.payment_methods import (
    payment_method_attach,
    payment_method_detach,
    source_attach,
    source_prepare,
)
from apps.customers.services.tax_ids import tax_id_create

ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# The plain fields of a customer and their longest value.
_TEXT_FIELDS = {"email": 512, "name": 256, "phone": 40, "description": 5000}


def _address(value: Any, param: str) -> dict[str, str] | None:
    if value in (None, ""):
        return None
    if not isinstance(value, dict):
        raise InvalidRequestError(f"Invalid hash: {param}", param=param)
    unknown = set(value) - set(ADDRESS_KEYS)
    if unknown:
        key = sorted(unknown)[0]
        raise InvalidRequestError(
            f"Received unknown parameter: {param}[{key}]", param=f"{param}[{key}]"
        )
    return {key: str(value.get(key) or "") or None for key in ADDRESS_KEYS}


def customer_fields(params: dict[str, Any]) -> dict[str, Any]:
    """Model field values from Stripe's customer parameters (only those present)."""
    fields: dict[str, Any] = {}
    for name, length in _TEXT_FIELDS.items():
        if name in params:
            fields[name] = get_str(params, name, max_length=length) or ""
    if fields.get("email") and not _EMAIL.match(fields["email"]):
        raise InvalidRequestError(
            f"Invalid email address: {fields['email']}", param="email", code="email_invalid"
        )
    if "address" in params:
        fields["address"] = _address(params["address"], "address")
    if "shipping" in params:
        shipping = params["shipping"]
        if shipping in (None, ""):
            fields["shipping"] = None
        else:
            if not isinstance(shipping, dict) or not shipping.get("name"):
                raise InvalidRequestError(
                    "Missing required param: shipping[name].",
                    param="shipping[name]",
                    code="parameter_missing",
                )
            fields["shipping"] = {
                "address": _address(shipping.get("address"), "shipping[address]"),
                "name": str(shipping["name"]),
                "phone": str(shipping.get("phone") or "") or None,
            }
    if "tax_exempt" in params:
        fields["tax_exempt"] = (
            get_str(params, "tax_exempt", choices=list(TaxExempt.values)) or TaxExempt.NONE
        )
    if "invoice_prefix" in params:
        prefix = get_str(params, "invoice_prefix", max_length=12) or ""
        if prefix and not re.fullmatch(r"[A-Z0-9]{3,12}", prefix):
            raise InvalidRequestError(
                "Invalid invoice_prefix: 3 to 12 uppercase letters or digits.",
                param="invoice_prefix",
            )
        fields["invoice_prefix"] = prefix
    if "preferred_locales" in params:
        locales = params["preferred_locales"]
        if locales in (None, ""):
            locales = []
        if not isinstance(locales, list) or not all(
            isinstance(x, str) and 0 < len(x) <= 20 for x in locales
        ):
            raise InvalidRequestError(
                "Invalid array: preferred_locales takes locale codes such as en or fr-CA.",
                param="preferred_locales",
            )
        fields["preferred_locales"] = locales
    return fields


def _default_payment_method(
    account: Account, customer: Customer, value: Any, param: str
) -> PaymentMethod | None:
    if value in (None, ""):
        return None
    row = PaymentMethod.objects.filter(
        account=account, id=str(value), customer=customer, detached_at__isnull=True
    ).first()
    if row is None:
        raise InvalidRequestError(
            f"No such PaymentMethod: '{value}'; it must be attached to {customer.id} first.",
            param=param,
            code="resource_missing",
        )
    return row


def _record(
    customer: Customer, *, actor: Actor, action: str, previous=None, changes=None, balance=None
) -> None:
    audit_record(
        account=customer.account,
        actor=actor,
        action=action,
        object_type="customer",
        object_id=customer.id,
        changes=changes,
    )
    event_record(
        account=customer.account,
        type=action,
        data_object=customer_render(customer, balance=balance),
        previous_attributes=previous,
        actor=actor,
    )


def customer_create(*, account: Account, params: dict[str, Any], actor: Actor) -> Customer:
    fields = customer_fields(params)
    metadata = get_metadata(params) or {}
    balance = get_int(params, "balance")
    # Not a Stripe parameter on create: Ledgerline's way to fix the currency up front.
    currency = get_str(params, "currency", max_length=3)
    if currency:
        try:
            currency = money.currency_normalize(currency)
        except money.MoneyError as exc:
            raise InvalidRequestError(str(exc), param="currency") from exc
    test_clock = get_str(params, "test_clock", max_length=64)
    # A clock of this account only: the core resolver would also find another account's.
    if test_clock and not (
        clock.test_clock_exists(test_clock)
        and TestClock.objects.filter(account=account, id=test_clock).exists()
    ):
        raise ResourceMissingError("test_clock", test_clock, param="test_clock")
    tax_ids = params.get("tax_id_data") or []
    if not isinstance(tax_ids, list):
        raise InvalidRequestError("Invalid array: tax_id_data", param="tax_id_data")
    # A source given on create is the default source from the start (one customer.created).
    source = (
        source_prepare(account=account, source=params["source"]) if params.get("source") else None
    )
    with transaction.atomic():
        customer = Customer.objects.create(
            account=account,
            currency=currency or "",
            metadata=metadata,
            test_clock_id=test_clock,
            created_at=clock.now(test_clock_id=test_clock),
            default_source_id=source.id if source is not None else None,
            **fields,
        )
        _record(customer, actor=actor, action="customer.created", balance=0)
        if source is not None:
            source_attach(customer=customer, row=source, actor=actor)
        for index, tax_id in enumerate(tax_ids):
            if not isinstance(tax_id, dict):
                raise InvalidRequestError("Invalid hash", param=f"tax_id_data[{index}]")
            tax_id_create(
                account=account,
                customer=customer,
                type=tax_id.get("type"),
                value=tax_id.get("value"),
                actor=actor,
            )
        if balance:
            customer_balance_adjust(
                account=account,
                customer=customer,
                amount=balance,
                currency=currency or account.default_currency,
                actor=actor,
                type=BalanceTransactionType.INITIAL,
            )
        payment_method = get_str(params, "payment_method", max_length=64)
        if payment_method:
            payment_method_attach(
                account=account, payment_method_id=payment_method, customer=customer, actor=actor
            )
        settings = params.get("invoice_settings") or {}
        default_pm = settings.get("default_payment_method") if isinstance(settings, dict) else None
        if default_pm:
            customer = customer_update(
                account=account,
                customer_id=customer.id,
                params={"invoice_settings": {"default_payment_method": default_pm}},
                actor=actor,
            )
        elif balance:
            customer.refresh_from_db()
    return customer


def customer_update(
    *, account: Account, customer_id: str, params: dict[str, Any], actor: Actor
) -> Customer:
    fields = customer_fields(params)
    metadata = get_metadata(params)
    source = params.get("source")
    prepared = source_prepare(account=account, source=source) if source else None
    with transaction.atomic():
        customer = row_lock(
            Customer.objects.filter(account=account, id=customer_id, deleted_at__isnull=True)
        )
        if customer is None:
            raise ResourceMissingError("customer", customer_id)
        before = customer_render(customer)
        for name, value in fields.items():
            setattr(customer, name, value)
        customer.metadata = metadata_merge(customer.metadata, metadata)
        if prepared is not None:
            # Stripe: the new source becomes the default and the old default is deleted.
            replaced = customer.default_source_id
            customer.default_source = source_attach(customer=customer, row=prepared, actor=actor)
            customer.save(update_fields=["default_source", "updated_at"])
            if replaced:
                payment_method_detach(
                    account=account, payment_method_id=replaced, actor=actor, customer=customer
                )
        elif "default_source" in params:
            row = _default_payment_method(
                account, customer, params["default_source"], "default_source"
            )
            customer.default_source = row
        settings = params.get("invoice_settings")
        if isinstance(settings, dict) and "default_payment_method" in settings:
            customer.default_payment_method = _default_payment_method(
                account,
                customer,
                settings["default_payment_method"],
                "invoice_settings[default_payment_method]",
            )
        elif settings not in (None, "") and not isinstance(settings, dict):
            raise InvalidRequestError("Invalid hash: invoice_settings", param="invoice_settings")
        customer.save()
        after = customer_render(customer)
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        if previous:
            _record(
                customer,
                actor=actor,
                action="customer.updated",
                previous=previous,
                changes={k: [v, after.get(k)] for k, v in previous.items()},
            )
    return customer


def customer_delete(*, account: Account, customer_id: str, actor: Actor) -> Customer:
    """Stripe deletes the customer; its charges and invoices stay, so the row is kept."""
    with transaction.atomic():
        customer = row_lock(
            Customer.objects.filter(account=account, id=customer_id, deleted_at__isnull=True)
        )
        if customer is None:
            raise ResourceMissingError("customer", customer_id)
        last = customer_render(customer)
        customer.deleted_at = clock.now()
        customer.save(update_fields=["deleted_at", "updated_at"])
        PaymentMethod.objects.filter(customer=customer).update(
            customer=None, detached_at=customer.deleted_at
        )
        audit_record(
            account=account,
            actor=actor,
            action="customer.deleted",
            object_type="customer",
            object_id=customer.id,
            changes=changes_between({"deleted": False}, {"deleted": True}),
        )
        event_record(account=account, type="customer.deleted", data_object=last, actor=actor)
    return customer
