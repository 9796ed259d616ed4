"""A new sandbox starts with a copy of its parent's catalog: products, prices, coupons and active
tax rates."""

from apps.accounts.models import Account
from apps.catalog.models import Coupon, Price, Product, TaxRate
from apps.core.ids import new_id


def catalog_copy(source: Account, sandbox: Account) -> None:
    """Runs inside sandbox_create's transaction; ids are new, references follow them."""
    product_ids: dict[str, str] = {}
    products = []
    for product in Product.objects.filter(account=source).order_by("id"):
        product_ids[product.id] = new_id("prod")
        products.append(
            Product(
                **{
                    **_fields(product),
                    "id": product_ids[product.id],
                    "account": sandbox,
                    "default_price_id": None,
                }
            )
        )
    Product.objects.bulk_create(products)
    price_ids: dict[str, str] = {}
    prices = []
    for price in Price.objects.filter(account=source, deleted_at__isnull=True).order_by("id"):
        price_ids[price.id] = new_id("price")
        prices.append(
            Price(
                **{
                    **_fields(price),
                    "id": price_ids[price.id],
                    "account": sandbox,
                    "product_id": product_ids[price.product_id],
                }
            )
        )
    Price.objects.bulk_create(prices)
    for product in Product.objects.filter(account=source, default_price__isnull=False):
        Product.objects.filter(id=product_ids[product.id]).update(
            default_price_id=price_ids.get(product.default_price_id)
        )
    Coupon.objects.bulk_create(
        Coupon(
            **{
                **_fields(coupon),
                "account": sandbox,
                "times_redeemed": 0,
                "applies_to_products": (
                    [product_ids[p] for p in coupon.applies_to_products if p in product_ids]
                    if coupon.applies_to_products is not None
                    else None
                ),
            }
        )
        for coupon in Coupon.objects.filter(account=source, deleted_at__isnull=True)
    )
    TaxRate.objects.bulk_create(
        TaxRate(**{**_fields(rate), "id": new_id("txr"), "account": sandbox})
        for rate in TaxRate.objects.filter(account=source, active=True).order_by("id")
    )


def _fields(row) -> dict:
    skip = {"id", "account", "account_id"}
    return {
        field.attname: getattr(row, field.attname)
        for field in row._meta.concrete_fields
        if field.name not in skip and field.attname not in skip
    }
