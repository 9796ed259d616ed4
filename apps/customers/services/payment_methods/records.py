"""The audit entry and event of a payment-method change, and the ``customer.updated`` of a
customer whose defaults moved with it."""

from typing import Any

from apps.accounts.audit import audit_record, changes_between
from apps.core.actor import Actor
from apps.core.events import event_record
from apps.customers.enums import SourceObject
from apps.customers.models import Customer, PaymentMethod
from apps.customers.payment_method_render import payment_method_render
from apps.customers.render import customer_render

# --- Events ---------------------------------------------------------------------------------------


def event_prefix(payment_method: PaymentMethod) -> str:
    legacy = payment_method.source_object != SourceObject.PAYMENT_METHOD
    return "customer.source" if legacy else "payment_method"


def payment_method_record(
    payment_method: PaymentMethod,
    *,
    action: str,
    actor: Actor,
    event_type: str,
    previous: dict[str, Any] | None = None,
    changes: dict[str, list[Any]] | None = None,
) -> None:
    audit_record(
        account=payment_method.account,
        actor=actor,
        action=action,
        object_type="payment_method",
        object_id=payment_method.id,
        changes=changes,
    )
    event_record(
        account=payment_method.account,
        type=event_type,
        data_object=payment_method_render(payment_method),
        previous_attributes=previous,
        actor=actor,
    )


def customer_defaults_changed(customer: Customer, before: dict[str, Any], *, actor: Actor) -> None:
    """``customer.updated`` when attaching or detaching moved the customer's defaults."""
    after = {
        "default_source": customer.default_source_id,
        "default_payment_method": customer.default_payment_method_id,
    }
    if after == before:
        return
    customer.save(update_fields=["default_source", "default_payment_method", "updated_at"])
    previous: dict[str, Any] = {}
    if before["default_source"] != after["default_source"]:
        previous["default_source"] = before["default_source"]
    if before["default_payment_method"] != after["default_payment_method"]:
        previous["invoice_settings"] = {"default_payment_method": before["default_payment_method"]}
    audit_record(
        account=customer.account,
        actor=actor,
        action="customer.updated",
        object_type="customer",
        object_id=customer.id,
        changes=changes_between(before, after),
    )
    event_record(
        account=customer.account,
        type="customer.updated",
        data_object=customer_render(customer),
        previous_attributes=previous,
        actor=actor,
    )


def customer_defaults(customer: Customer) -> dict[str, Any]:
    return {
        "default_source": customer.default_source_id,
        "default_payment_method": customer.default_payment_method_id,
    }
