"""What the payments endpoints share: the list parameters, the metadata-only body schema and
the ``customer`` parameter."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from apps.core.api.params import (
    get_str,
)
from apps.core.api.views import ApiView
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.customers.models import Customer, PaymentMethod
from apps.customers.selectors import customer_get

LIST_PARAMS = {"limit", "starting_after", "ending_before", "created"}
PARAMS = inline_serializer(
    name="PaymentParams", fields={"metadata": serializers.DictField(required=False)}
)


def customer_param(
    view: ApiView, required: bool = False, *, with_defaults: bool = False
) -> Customer | None:
    """The ``customer`` parameter's customer; ``with_defaults``: read with its default source
    and payment method (``customer_default_payment_method`` then reads nothing more)."""
    customer_id = get_str(view.params, "customer", required=required, max_length=64)
    if not customer_id:
        return None
    customer = customer_get(
        account=view.account, customer_id=customer_id, with_defaults=with_defaults
    )
    if customer is None:
        raise ResourceMissingError("customer", customer_id, param="customer")
    return customer


def customer_default_payment_method(customer: Customer) -> PaymentMethod:
    payment_method = customer.default_source or customer.default_payment_method
    if payment_method is None:
        raise InvalidRequestError(
            f"Cannot charge a customer that has no active card: {customer.id}.",
            param="card",
            code="missing",
        )
    return payment_method
