"""The terms of a one-off invoice (``POST /v1/invoices`` and updates): collection method and due
date, auto-advance, the discount and the currency, checked before anything is written
(apps.invoices.one_off). The API parses them from Stripe's wire format (apps.invoices.api.params);
the dashboard's form builds them."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Final

from django.db.models import Q

from apps.accounts.models import Account
from apps.core import money
from apps.core.errors import ApplicationError, InvalidRequestError, ResourceMissingError
from apps.customers.models import Customer
from apps.invoices.discounts import discount_for_invoice, discount_in_force
from apps.invoices.models import Discount

# Stripe finalizes an auto-advancing draft an hour after it is created.
AUTO_FINALIZE_DELAY = timedelta(hours=1)


AUTO_FINALIZE_LIMIT = timedelta(days=5 * 365)


COLLECTION_METHODS = ["charge_automatically", "send_invoice"]


def collection_terms(
    *,
    method: str | None,
    days_until_due: int | None,
    due_date: datetime | None,
    now: datetime,
    start: datetime,
    current_method: str,
    current_due: datetime | None,
) -> tuple[str, datetime | None]:
    """The collection method and due date after the given ones (None: not given):
    ``send_invoice`` needs ``days_until_due`` (counted from ``start``, the invoice's creation) or
    a future ``due_date``; ``charge_automatically`` takes neither."""
    method = method or current_method
    if days_until_due is not None and due_date is not None:
        raise InvalidRequestError(
            "You may only specify one of these parameters: days_until_due, due_date.",
            param="due_date",
        )
    if method == "charge_automatically":
        for name, value in (
            ("days_until_due", days_until_due),
            ("due_date", due_date),
        ):
            if value is not None:
                raise InvalidRequestError(
                    f"{name} can only be set when collection_method is send_invoice.", param=name
                )
        return method, None
    if days_until_due is not None:
        return method, start + timedelta(days=days_until_due)
    if due_date is not None:
        if due_date <= now:
            raise InvalidRequestError("due_date must be in the future.", param="due_date")
        return method, due_date
    if current_due is None:
        raise InvalidRequestError(
            "Invoices with collection_method send_invoice need days_until_due or due_date.",
            param="days_until_due",
            code="parameter_missing",
        )
    return method, current_due


def auto_finalize_terms(
    *,
    wanted: bool | None,
    moment: datetime | None,
    now: datetime,
    auto_advance: bool,
    at: datetime | None,
) -> tuple[bool, datetime | None]:
    """``auto_advance`` (``wanted``, None: not given) and when the draft finalizes: at
    ``moment`` if given, else an hour from now; never once ``auto_advance`` is false."""
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


class Inherit(Enum):
    INHERIT = "inherit"


# No discount given: the customer's (or the subscription's) discount in force is inherited.
INHERIT: Final = Inherit.INHERIT


@dataclass(frozen=True)
class DiscountChoice:
    """One of: a coupon or a promotion code to redeem, or an existing ``discount`` of the
    customer."""

    coupon: str | None = None
    promotion_code: str | None = None
    discount: str | None = None


def discount_of(
    choice: DiscountChoice | Inherit | None,
    *,
    account: Account,
    customer: Customer,
    subscription,
    currency: str,
    at: datetime,
    current: Discount | None = None,
) -> Discount | None:
    """The invoice's discount for a choice (None: no discount); a new coupon or code is redeemed
    (in the caller's transaction). An existing discount is reused if it is the invoice's
    (``current``) or one of the customer's (or the subscription's) in force."""
    if choice == INHERIT:
        return discount_in_force(customer=customer, subscription=subscription, at=at)
    if choice is None:
        return None
    if choice.discount:
        found = (
            Discount.objects.select_related("coupon")
            .filter(account=account, customer=customer, id=choice.discount)
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
            raise ResourceMissingError("discount", choice.discount, param="discounts[0][discount]")
        return found
    try:
        return discount_for_invoice(
            account=account,
            customer=customer,
            currency=currency,
            coupon_id=choice.coupon,
            promotion_code=choice.promotion_code,
        )
    except ApplicationError as error:
        error.param = f"discounts[0][{error.param or 'coupon'}]"
        raise


def currency_of(given: str | None, *, customer: Customer, subscription) -> str:
    """The invoice's currency: the one given, else the subscription's, the customer's or the
    account's default; a subscription's invoice bills in its currency."""
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
