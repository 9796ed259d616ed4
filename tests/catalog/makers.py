"""Catalog objects of one account for the tenant-isolation test."""

from decimal import Decimal

from apps.accounts.models import Account
from apps.catalog.discount_params import new_promotion_code_parse
from apps.catalog.services import NewTaxRate, promotion_code_create, tax_rate_create
from apps.core.actor import SYSTEM
from tests.factories import CouponFactory, PriceFactory, ProductFactory


def _promo(account: Account) -> str:
    coupon = CouponFactory(account=account)
    return promotion_code_create(
        account=account,
        promo=new_promotion_code_parse({"coupon": coupon.coupon_id, "code": "SUNNY"}),
        actor=SYSTEM,
    ).id


def _tax_rate(account: Account) -> str:
    rate = NewTaxRate(display_name="VAT", percentage=Decimal(20), inclusive=False)
    return tax_rate_create(account=account, rate=rate, actor=SYSTEM).id


MAKERS = {
    "product-detail": lambda a: ProductFactory(account=a).id,
    "price-detail": lambda a: PriceFactory(account=a, own_product=True).id,
    # A plan is a recurring price under the same id.
    "plan-detail": lambda a: PriceFactory(account=a, own_product=True).id,
    "coupon-detail": lambda a: CouponFactory(account=a).coupon_id,
    "promotion-code-detail": _promo,
    "tax-rate-detail": _tax_rate,
}
