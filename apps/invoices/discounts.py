"""Coupons and promotion codes applied to subscriptions and customers; their effect on invoices.

A subscription's discount wins over the customer's. Durations count from the moment the coupon is
applied: ``once`` covers the next period of a subscription (or the next other invoice),
``repeating`` the periods that begin in the next N months, ``forever`` every one. Redemptions
are counted under a lock on the coupon (and code).
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Q

from apps.accounts.audit import change_record
from apps.accounts.models import Account
from apps.catalog.models import Coupon, PromotionCode
from apps.catalog.render import coupon_render, coupon_valid
from apps.core import clock
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock
from apps.customers.models import Customer
from apps.invoices.engine.discounts import CouponTerms, DiscountableLine, line_discounts
from apps.invoices.engine.periods import boundary
from apps.invoices.models import Discount, Invoice


def discount_render(discount: Discount) -> dict:
    return {
        "id": discount.id,
        "object": "discount",
        "checkout_session": None,
        # API versions before 2025-09-30 name the coupon here; ``source`` is the later field.
        "coupon": coupon_render(discount.coupon),
        "customer": discount.customer_id,
        "customer_account": None,
        "end": clock.to_epoch(discount.end),
        # Ledgerline applies discounts to customers and subscriptions, never to one invoice,
        # invoice item or subscription item.
        "invoice": None,
        "invoice_item": None,
        "promotion_code": discount.promotion_code_id,
        "source": {"coupon": discount.coupon.coupon_id, "type": "coupon"},
        "start": clock.to_epoch(discount.start),
        "subscription": discount.subscription_id,
        "subscription_item": None,
    }


def _first(queryset, *, lock: bool):
    return row_lock(queryset) if lock else queryset.first()


def coupon_for(
    account: Account,
    *,
    coupon_id: str | None,
    promotion_code: str | None,
    customer: Customer,
    lock: bool = True,
):
    """The coupon (and code) to apply, checked against its limits: locked (in the caller's
    transaction) to be redeemed, or only read (``lock=False``) for a preview."""
    promo = None
    if promotion_code:
        promo = _first(
            PromotionCode.objects.filter(
                Q(id=promotion_code) | Q(code__iexact=promotion_code), account=account, active=True
            ),
            lock=lock,
        )
        if promo is None:
            raise InvalidRequestError(
                f"No active promotion code {promotion_code!r}.",
                param="promotion_code",
                code="resource_missing",
            )
        now = clock.now(test_clock_id=customer.test_clock_id)
        if promo.expires_at and promo.expires_at <= now:
            raise InvalidRequestError("This promotion code has expired.", param="promotion_code")
        if promo.max_redemptions is not None and promo.times_redeemed >= promo.max_redemptions:
            raise InvalidRequestError(
                "This promotion code has been fully redeemed.", param="promotion_code"
            )
        if promo.customer_id and promo.customer_id != customer.id:
            raise InvalidRequestError(
                "This promotion code is for another customer.", param="promotion_code"
            )
        if (
            promo.first_time_transaction
            and Invoice.objects.filter(customer=customer, status="paid", total__gt=0).exists()
        ):
            raise InvalidRequestError(
                "This promotion code is for first-time customers only.", param="promotion_code"
            )
        coupon_id = None
        coupon = _first(Coupon.objects.filter(pk=promo.coupon_id), lock=lock)
    else:
        coupon = _first(
            Coupon.objects.filter(
                account=account, coupon_id=coupon_id or "", deleted_at__isnull=True
            ),
            lock=lock,
        )
        if coupon is None:
            raise ResourceMissingError("coupon", coupon_id or "", param="coupon")
    coupon.account = account
    if not coupon_valid(coupon):
        raise InvalidRequestError(
            f"Coupon {coupon.coupon_id} can no longer be redeemed.", param="coupon"
        )
    return coupon, promo


def _redeemed(coupon: Coupon, promo: PromotionCode | None) -> None:
    """One more redemption of the coupon (and its code), both locked by ``coupon_for``."""
    coupon.times_redeemed += 1
    coupon.save(update_fields=["times_redeemed", "updated_at"])
    if promo is not None:
        promo.times_redeemed += 1
        promo.save(update_fields=["times_redeemed", "updated_at"])


def discount_apply(
    *,
    account: Account,
    customer: Customer,
    actor: Actor,
    subscription=None,
    coupon_id: str | None = None,
    promotion_code: str | None = None,
) -> Discount:
    """Apply a coupon (by id or through a promotion code); replaces the owner's discount."""
    if bool(coupon_id) == bool(promotion_code):
        raise InvalidRequestError(
            "Pass a coupon or a promotion_code.", param="coupon", code="parameter_missing"
        )
    with transaction.atomic():
        coupon, promo = coupon_for(
            account, coupon_id=coupon_id, promotion_code=promotion_code, customer=customer
        )
        if (
            subscription is not None
            and coupon.currency
            and coupon.currency != subscription.currency
        ):
            raise InvalidRequestError(
                f"The coupon is in {coupon.currency}; the subscription bills in "
                f"{subscription.currency}.",
                param="coupon",
            )
        now = clock.now(test_clock_id=customer.test_clock_id)
        Discount.objects.filter(
            customer=customer, subscription=subscription, removed_at__isnull=True
        ).update(removed_at=now)
        end = None
        if coupon.duration == "repeating":
            end = boundary(now, "month", 1, coupon.duration_in_months)
        discount = Discount.objects.create(
            account=account,
            coupon=coupon,
            promotion_code=promo,
            customer=customer,
            subscription=subscription,
            start=now,
            end=end,
            created_at=now,
        )
        _redeemed(coupon, promo)
        change_record(
            account=account,
            actor=actor,
            type="customer.discount.created",
            object_type="discount",
            data_object=discount_render(discount),
        )
    return discount


def discount_for_invoice(
    *,
    account: Account,
    customer: Customer,
    currency: str,
    coupon_id: str | None = None,
    promotion_code: str | None = None,
) -> Discount:
    """An invoice's own discount (``discounts`` of a one-off invoice): the coupon redeemed for
    that invoice alone. The row is detached from the start (``removed_at``), so it is never in
    force for another invoice of the customer; only the invoice refers to it. Runs in the
    caller's transaction."""
    if bool(coupon_id) == bool(promotion_code):
        raise InvalidRequestError(
            "Pass a coupon or a promotion_code.", param="coupon", code="parameter_missing"
        )
    coupon, promo = coupon_for(
        account, coupon_id=coupon_id, promotion_code=promotion_code, customer=customer
    )
    if coupon.currency and coupon.currency != currency:
        raise InvalidRequestError(
            f"The coupon is in {coupon.currency}; the invoice is in {currency}.", param="coupon"
        )
    now = clock.now(test_clock_id=customer.test_clock_id)
    discount = Discount.objects.create(
        account=account,
        coupon=coupon,
        promotion_code=promo,
        customer=customer,
        start=now,
        removed_at=now,
        created_at=now,
    )
    _redeemed(coupon, promo)
    return discount


def discount_remove(*, account: Account, discount: Discount, actor: Actor) -> None:
    with transaction.atomic():
        discount.removed_at = clock.now()
        discount.save(update_fields=["removed_at", "updated_at"])
        change_record(
            account=account,
            actor=actor,
            type="customer.discount.deleted",
            object_type="discount",
            data_object=discount_render(discount),
        )


def discount_in_force(*, customer: Customer, subscription, at: datetime) -> Discount | None:
    """The subscription's discount if it has one in force at ``at``, else the customer's (one
    query: ``discounts_live``)."""
    return discount_among(
        discounts_live(customer=customer, subscription=subscription), subscription, at
    )


def discounts_live(*, customer: Customer, subscription) -> list[Discount]:
    """The customer's discounts not removed, of the subscription or of no subscription, newest
    first, with their coupons: what ``discount_among`` chooses from at any moment (one query)."""
    return list(
        Discount.objects.select_related("coupon")
        .filter(customer=customer, removed_at__isnull=True)
        .filter(
            Q(subscription__isnull=True)
            | Q(subscription_id=subscription.id if subscription is not None else None)
        )
        .order_by("-id")
    )


def discount_among(discounts: list[Discount], subscription, at: datetime) -> Discount | None:
    """Of a customer's ``discounts`` (newest first), the one in force at ``at``: the
    subscription's, else the customer's own."""
    live = [d for d in discounts if d.start <= at and (d.end is None or d.end > at)]
    subscription_id = subscription.id if subscription is not None else None
    return next(
        (d for d in live if subscription_id and d.subscription_id == subscription_id), None
    ) or next((d for d in live if d.subscription_id is None), None)


def discount_amounts(
    discount: Discount | None, lines: list[tuple[int, str, str | None]]
) -> list[int]:
    """Per-line discounts of (amount, kind, product id) lines under ``discount``."""
    if discount is None:
        return [0] * len(lines)
    return line_discounts([DiscountableLine(*line) for line in lines], coupon_terms(discount))


def coupon_terms(discount: Discount) -> CouponTerms:
    """What the pure discount rules need of a discount's coupon."""
    coupon = discount.coupon
    return CouponTerms(
        percent_off=coupon.percent_off,
        amount_off=coupon.amount_off,
        products=frozenset(coupon.applies_to_products) if coupon.applies_to_products else None,
    )


def discount_used(discount: Discount, at: datetime) -> None:
    """A ``once`` coupon ends with the first subscription period it was in force for (invoiced
    or not, discounted or not: ``discount_period_used``), or the first other invoice it
    discounted."""
    if discount.coupon.duration == "once" and discount.end is None:
        discount.end = at
        discount.save(update_fields=["end", "updated_at"])


def discount_period_used(*, customer: Customer, subscription, at: datetime) -> None:
    """A period of ``subscription`` begins at ``at``: the ``once`` coupon in force for it is
    spent even when the period makes no invoice (a zero total is not created, ACCEPTANCE B2) or
    its discount rounds to 0, so it never waits for a later invoice. ``repeating`` and
    ``forever`` coupons end by time (their ``end``), so they count periods, not invoices."""
    discount = discount_in_force(customer=customer, subscription=subscription, at=at)
    if discount is not None:
        discount_used(discount, at)
