"""The parameters of a one-off invoice in Stripe's shape (``POST /v1/invoices`` and updates):
collection terms, auto-advance, the discount and the currency, checked before anything is
written (apps.invoices.one_off)."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from apps.accounts.models import Account
from apps.core import money
from apps.core.api.params import get_bool, get_int, get_str, get_timestamp
from apps.core.errors import ApplicationError, InvalidRequestError, ResourceMissingError
from apps.customers.models import Customer
from apps.invoices.discounts import discount_for_invoice, discount_in_force
from apps.invoices.models import Discount

# Stripe finalizes an auto-advancing draft an hour after it is created.
AUTO_FINALIZE_DELAY = timedelta(hours=1)


AUTO_FINALIZE_LIMIT = timedelta(days=5 * 365)


COLLECTION_METHODS = ["charge_automatically", "send_invoice"]


def collection_params(
    params: dict[str, Any], *, now: datetime, start: datetime, method: str, due: datetime | None
) -> tuple[str, datetime | None]:
    """The collection method and due date after ``params``: ``send_invoice`` needs
    ``days_until_due`` (counted from ``start``, the invoice's creation) or a future ``due_date``;
    ``charge_automatically`` takes neither."""
    method = get_str(params, "collection_method", choices=COLLECTION_METHODS) or method
    days = get_int(params, "days_until_due", minimum=0, maximum=3650)
    due_date = get_timestamp(params, "due_date")
    if days is not None and due_date is not None:
        raise InvalidRequestError(
            "You may only specify one of these parameters: days_until_due, due_date.",
            param="due_date",
        )
    if method == "charge_automatically":
        for name, value in (("days_until_due", days), ("due_date", due_date)):
            if value is not None:
                raise InvalidRequestError(
                    f"{name} can only be set when collection_method is send_invoice.", param=name
                )
        return method, None
    if days is not None:
        return method, start + timedelta(days=days)
    if due_date is not None:
        if due_date <= now:
            raise InvalidRequestError("due_date must be in the future.", param="due_date")
        return method, due_date
    if due is None:
        raise InvalidRequestError(
            "Invoices with collection_method send_invoice need days_until_due or due_date.",
            param="days_until_due",
            code="parameter_missing",
        )
    return method, due


def auto_finalize_params(
    params: dict[str, Any], *, now: datetime, auto_advance: bool, at: datetime | None
) -> tuple[bool, datetime | None]:
    """``auto_advance`` and when the draft finalizes: an hour from now unless a time is given;
    never once ``auto_advance`` is false."""
    wanted = get_bool(params, "auto_advance")
    moment = get_timestamp(params, "automatically_finalizes_at")
    if moment is not None:
        if wanted is False:
            raise InvalidRequestError(
                "automatically_finalizes_at needs auto_advance; it is false.",
                param="automatically_finalizes_at",
            )
        if not now < moment <= now + AUTO_FINALIZE_LIMIT:
            raise InvalidRequestError(
                "automatically_finalizes_at must be in the future, at most 5 years away.",
                param="automatically_finalizes_at",
            )
        return True, moment
    auto_advance = auto_advance if wanted is None else wanted
    if not auto_advance:
        return False, None
    return True, at or now + AUTO_FINALIZE_DELAY


INHERIT = "inherit"


def discount_param(params: dict[str, Any]) -> dict[str, str] | str | None:
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
    return given


def discount_of(
    choice: dict[str, str] | str | None,
    *,
    account: Account,
    customer: Customer,
    subscription,
    currency: str,
    at: datetime,
    current: Discount | None = None,
) -> Discount | None:
    """The invoice's discount for a ``_discount_param`` choice; a new coupon or code is redeemed
    (in the caller's transaction). An existing discount is reused if it is the invoice's
    (``current``) or one of the customer's (or the subscription's) in force."""
    if choice == INHERIT:
        return discount_in_force(customer=customer, subscription=subscription, at=at)
    if choice is None:
        return None
    if "discount" in choice:
        found = (
            Discount.objects.select_related("coupon")
            .filter(account=account, customer=customer, id=choice["discount"])
            .filter(
                Q(id=current.id if current else None)
                | Q(
                    Q(subscription__isnull=True) | Q(subscription=subscription),
                    Q(end__isnull=True) | Q(end__gt=at),
                    removed_at__isnull=True,
                    start__lte=at,
                )
            )
            .first()
        )
        if found is None:
            raise ResourceMissingError(
                "discount", choice["discount"], param="discounts[0][discount]"
            )
        return found
    try:
        return discount_for_invoice(
            account=account,
            customer=customer,
            currency=currency,
            coupon_id=choice.get("coupon"),
            promotion_code=choice.get("promotion_code"),
        )
    except ApplicationError as error:
        error.param = f"discounts[0][{error.param or 'coupon'}]"
        raise


def currency_of(params: dict[str, Any], *, customer: Customer, subscription) -> str:
    given = get_str(params, "currency", max_length=3)
    try:
        currency = money.currency_normalize(
            given
            or (subscription.currency if subscription else "")
            or customer.currency
            or customer.account.default_currency
        )
    except money.MoneyError as exc:
        raise InvalidRequestError("Invalid currency.", param="currency") from exc
    if subscription is not None and currency != subscription.currency:
        raise InvalidRequestError(
            f"The subscription bills in {subscription.currency}.", param="currency"
        )
    return currency
