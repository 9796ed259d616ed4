"""Demo catalog for ``load_demo`` (idempotent): monthly prices of each kind the catalog has —
per unit, tiered (graduated), pay-what-you-want (a custom amount between a minimum and a
maximum) and with prices in other currencies (``currency_options``) — and a coupon."""

from decimal import Decimal

from apps.accounts.models import Account
from apps.catalog.models import Coupon, Product
from apps.catalog.price_params import new_price_parse
from apps.catalog.services import NewCoupon, coupon_create, price_create
from apps.core.actor import SYSTEM

DEMO_PRODUCTS = [
    ("Starter", {"unit_amount": 1900, "lookup_key": "starter_monthly"}),
    (
        "Team",
        {
            "billing_scheme": "tiered",
            "tiers_mode": "graduated",
            "tiers": [{"up_to": 5, "unit_amount": 1200}, {"up_to": "inf", "unit_amount": 900}],
            "lookup_key": "team_monthly",
        },
    ),
    (
        "Supporter",
        {
            "custom_unit_amount": {
                "enabled": True,
                "minimum": 500,
                "maximum": 10000,
                "preset": 1500,
            },
            "lookup_key": "supporter_monthly",
        },
    ),
    (
        "Global",
        {
            "unit_amount": 4900,
            "currency_options": {"eur": {"unit_amount": 4500}, "gbp": {"unit_amount": 3900}},
            "lookup_key": "global_monthly",
        },
    ),
]


def catalog_demo_load(*, account: Account) -> None:
    for name, price in DEMO_PRODUCTS:
        if Product.objects.filter(account=account, name=name).exists():
            continue
        price_create(
            account=account,
            price=new_price_parse(
                {
                    "product_data": {"name": name},
                    "currency": account.default_currency,
                    "recurring": {"interval": "month"},
                    **price,
                }
            ),
            actor=SYSTEM,
        )
    if not Coupon.objects.filter(account=account, coupon_id="WELCOME20").exists():
        coupon_create(
            account=account,
            coupon=NewCoupon(
                coupon_id="WELCOME20",
                percent_off=Decimal(20),
                duration="repeating",
                duration_in_months=3,
                name="Welcome 20%",
            ),
            actor=SYSTEM,
        )
