"""A new sandbox starts with a copy of its parent's catalog, with ids of its own."""

from decimal import Decimal

from apps.accounts.services import sandbox_create
from apps.catalog.discount_params import new_coupon_parse
from apps.catalog.models import Coupon, Price, Product, TaxRate
from apps.catalog.services import (
    NewTaxRate,
    ProductChanges,
    coupon_create,
    product_update,
    tax_rate_create,
)
from apps.core.actor import SYSTEM
from tests.factories import PriceFactory


def test_sandbox_copies_active_tax_rates(acme):
    vat = tax_rate_create(
        account=acme.account,
        rate=NewTaxRate(display_name="VAT", percentage=Decimal("20.5"), inclusive=True),
        actor=SYSTEM,
    )
    old = tax_rate_create(
        account=acme.account,
        rate=NewTaxRate(display_name="Old", percentage=Decimal(5), inclusive=False, active=False),
        actor=SYSTEM,
    )
    sandbox, _ = sandbox_create(parent=acme.account, name="Staging", actor=SYSTEM)
    (copied,) = TaxRate.objects.filter(account=sandbox)
    assert copied.id not in (vat.id, old.id)
    assert (copied.display_name, copied.percentage, copied.inclusive, copied.active) == (
        "VAT",
        Decimal("20.5"),
        True,
        True,
    )


def test_sandbox_copies_products_prices_and_coupons(acme):
    price = PriceFactory(account=acme.account, own_product=True, lookup_key="pro_monthly")
    product_update(
        account=acme.account,
        product_id=price.product_id,
        changes=ProductChanges(default_price=price.id),
        actor=SYSTEM,
    )
    coupon_create(
        account=acme.account,
        coupon=new_coupon_parse(
            {"id": "VIP", "percent_off": "10", "applies_to": {"products": [price.product_id]}}
        ),
        actor=SYSTEM,
    )
    sandbox, _ = sandbox_create(parent=acme.account, name="Staging", actor=SYSTEM)
    copied_product = Product.objects.get(account=sandbox)
    copied_price = Price.objects.get(account=sandbox)
    copied_coupon = Coupon.objects.get(account=sandbox)
    assert copied_product.id != price.product_id
    assert copied_price.product_id == copied_product.id
    assert copied_product.default_price_id == copied_price.id
    assert (copied_price.unit_amount, copied_price.lookup_key) == (2500, "pro_monthly")
    assert copied_coupon.coupon_id == "VIP"
    assert copied_coupon.applies_to_products == [copied_product.id]
    assert Product.objects.filter(account=acme.account).count() == 1
