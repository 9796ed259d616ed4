"""Catalog objects of one account for the tenant-isolation test."""

from apps.accounts.models import Account
from apps.catalog.services import (
    coupon_create,
    price_create,
    product_create,
    promotion_code_create,
)
from apps.core.actor import SYSTEM


def make_product(account: Account, name: str = "Pro plan"):
    return product_create(account=account, params={"name": name}, actor=SYSTEM)


def make_price(account: Account, **params):
    return price_create(
        account=account,
        params={
            "currency": "usd",
            "unit_amount": 2500,
            "product": make_product(account).id,
            "recurring": {"interval": "month"},
            **params,
        },
        actor=SYSTEM,
    )


def make_coupon(account: Account, coupon_id: str = "SUMMER25"):
    return coupon_create(
        account=account, params={"id": coupon_id, "percent_off": "25"}, actor=SYSTEM
    )


def _promo(account: Account) -> str:
    coupon = make_coupon(account)
    return promotion_code_create(
        account=account, params={"coupon": coupon.coupon_id, "code": "SUNNY"}, actor=SYSTEM
    ).id


MAKERS = {
    "product-detail": lambda a: make_product(a).id,
    "price-detail": lambda a: make_price(a).id,
    "coupon-detail": lambda a: make_coupon(a).coupon_id,
    "promotion-code-detail": _promo,
}
