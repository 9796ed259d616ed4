"""Dashboard → Product catalog: product page, the price editor, coupons, codes, FX import."""

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from apps.catalog.models import Coupon, FxRate, Price, Product, PromotionCode
from tests.factories import CouponFactory, PriceFactory, ProductFactory, SubscriptionFactory

BASE = "/dashboard/catalog"


def test_product_create_and_page(staff_client, acme):
    assert staff_client.post(f"{BASE}/product/create/", {"name": ""}).status_code == 200
    response = staff_client.post(f"{BASE}/product/create/", {"name": "Team plan", "type": "good"})
    product = Product.objects.get(account=acme.account)
    assert product.type == "good"
    assert response["Location"].endswith(f"/{product.id}/change/")
    page = staff_client.get(f"{BASE}/product/{product.id}/change/").content.decode()
    assert "Team plan" in page
    assert "No prices yet." in page
    assert "Team plan" in staff_client.get(f"{BASE}/product/").content.decode()


def test_price_editor_graduated_tiers_and_currency_option(staff_client, acme):
    product = ProductFactory(account=acme.account)
    form = {
        "currency": "usd",
        "scheme": "graduated",
        "interval": "month",
        "interval_count": "1",
        "usage_type": "licensed",
        "tier_0_up_to": "5",
        "tier_0_unit": "10.00",
        "tier_1_up_to": "",
        "tier_1_unit": "7.995",
        "tier_1_flat": "1",
        "option_0_currency": "eur",
        "option_0_amount": "",
    }
    response = staff_client.post(f"{BASE}/product/{product.id}/prices/add/", form)
    assert response.status_code == 302, response.content.decode()[-2000:]
    price = Price.objects.get(product=product)
    assert price.tiers == [
        {"up_to": 5, "unit_amount_decimal": "1000", "flat_amount_decimal": None},
        {"up_to": None, "unit_amount_decimal": "799.5", "flat_amount_decimal": "100"},
    ]
    page = staff_client.get(f"{BASE}/product/{product.id}/change/").content.decode()
    assert "Tiered (graduated)" in page
    assert "799.5" in page


def test_price_editor_shows_service_errors_and_writes_nothing(staff_client, acme):
    product = ProductFactory(account=acme.account)
    bad_tiers = staff_client.post(
        f"{BASE}/product/{product.id}/prices/add/",
        {
            "currency": "usd",
            "scheme": "volume",
            "tier_0_up_to": "10",
            "tier_0_unit": "1",
            "tier_1_up_to": "5",
            "tier_1_unit": "1",
            "tier_2_unit": "1",
        },
    )
    assert "increasing order" in bad_tiers.content.decode()
    bad_amount = staff_client.post(
        f"{BASE}/product/{product.id}/prices/add/",
        {
            "currency": "usd",
            "scheme": "per_unit",
            "unit_amount": "ten",
            "option_0_currency": "eur",
            "option_0_amount": "9",
        },
    )
    assert "Enter the amount in USD as a number, e.g. 25.00." in bad_amount.content.decode()
    options = staff_client.post(
        f"{BASE}/product/{product.id}/prices/add/",
        {
            "currency": "usd",
            "scheme": "per_unit",
            "unit_amount": "19.99",
            "option_0_currency": "jpy",
            "option_0_amount": "3000",
        },
    )
    assert options.status_code == 302
    price = Price.objects.get(product=product)
    assert price.unit_amount == 1999
    assert price.currency_options == {
        "jpy": {
            "unit_amount_decimal": "3000",
            "tiers": None,
            "custom_unit_amount": None,
            "tax_behavior": "unspecified",
        }
    }


def test_coupon_and_promotion_code_forms(staff_client, acme):
    bad = staff_client.post(f"{BASE}/coupon/create/", {"duration": "once"})
    assert "Pass exactly one of “Percent off” and “Amount off”." in bad.content.decode()
    staff_client.post(
        f"{BASE}/coupon/create/",
        {"id": "TENOFF", "amount_off": "10.00", "currency": "usd", "duration": "once"},
    )
    coupon = Coupon.objects.get(account=acme.account)
    assert (coupon.amount_off, coupon.currency) == (1000, "usd")
    assert "$10.00 off" in staff_client.get(f"{BASE}/coupon/").content.decode()
    staff_client.post(f"{BASE}/promotioncode/create/", {"coupon": "TENOFF", "code": "HELLO10"})
    assert PromotionCode.objects.get().code == "HELLO10"


def test_fx_import_is_all_or_nothing(staff_client, acme):
    bad = SimpleUploadedFile(
        "rates.csv", b"date,base,quote,rate\n2026-11-01,usd,eur,0.92\n2026-11-02,usd,eur,-1\n"
    )
    page = staff_client.post(f"{BASE}/fxrate/create/", {"file": bad})
    assert "Line 3" in page.content.decode()
    assert not FxRate.objects.exists()
    good = SimpleUploadedFile(
        "rates.csv", b"date,base,quote,rate\n2026-11-01,usd,eur,0.92\n2026-11-02,usd,eur,0.93\n"
    )
    staff_client.post(f"{BASE}/fxrate/create/", {"file": good})
    assert FxRate.objects.filter(account=acme.account).count() == 2
    staff_client.post(
        f"{BASE}/fxrate/create/",
        {"effective_on": "2026-11-02", "base": "usd", "quote": "eur", "rate": "0.95"},
    )
    assert FxRate.objects.get(effective_on="2026-11-02").rate == Decimal("0.95")


def test_coupon_ids_belong_to_their_account(staff_client, acme, globex):
    CouponFactory(account=globex.account, id="SHARED")
    CouponFactory(account=acme.account, id="SHARED")
    assert Coupon.objects.filter(coupon_id="SHARED").count() == 2


def test_prices_are_archived_restored_and_deleted_from_the_product_page(staff_client, acme):
    from apps.core.models import Event

    price = PriceFactory(account=acme.account, own_product=True)
    product = price.product
    staff_client.post(f"{BASE}/product/{product.id}/prices/{price.id}/archive/")
    price.refresh_from_db()
    assert price.active is False
    staff_client.post(f"{BASE}/product/{product.id}/archive/")
    product.refresh_from_db()
    assert product.active is False
    page = staff_client.get(f"{BASE}/product/{product.id}/change/").content.decode()
    assert "Restore" in page
    assert "Archived" in page
    staff_client.post(f"{BASE}/product/{product.id}/prices/{price.id}/delete/")
    assert not Price.objects.filter(id=price.id).exists()
    assert Event.objects.filter(type="price.deleted", object_id=price.id).count() == 1
    used = SubscriptionFactory(account=acme.account).items.get().price
    refused = staff_client.post(
        f"{BASE}/product/{used.product_id}/prices/{used.id}/delete/", follow=True
    )
    assert "in use by subscriptions" in refused.content.decode()
    assert Price.objects.filter(id=used.id).exists()
    other = PriceFactory(account=acme.account, own_product=True)
    assert (
        staff_client.post(f"{BASE}/product/{product.id}/prices/{other.id}/delete/").status_code
        == 404
    )
