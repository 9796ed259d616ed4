"""Catalog over HTTP and the official SDK: products, prices of every kind, coupons, codes."""

from datetime import date

import pytest
import stripe

from apps.catalog.models import Price, Product
from apps.catalog.selectors import price_amount
from apps.catalog.services import fx_rates_import
from apps.core.actor import SYSTEM
from apps.core.errors import InvalidRequestError
from apps.core.models import Event

ON = date(2026, 11, 25)


def _product(api, name="Pro"):
    return api.post("/v1/products", {"name": name}).json()


def test_product_lifecycle(api):
    product = _product(api)
    assert product["object"] == "product"
    assert product["active"] is True
    updated = api.post(f"/v1/products/{product['id']}", {"active": "false", "description": "Best"})
    assert updated.json()["active"] is False
    assert Event.objects.get(type="product.updated").previous_attributes["active"] is True
    api.post("/v1/prices", {"product": product["id"], "currency": "usd", "unit_amount": 100})
    refused = api.delete(f"/v1/products/{product['id']}")
    assert refused.status_code == 400
    empty = _product(api, "Empty")
    assert api.delete(f"/v1/products/{empty['id']}").json()["deleted"] is True
    assert api.post("/v1/products", {}).json()["error"]["param"] == "name"
    listed = api.get("/v1/products", {"active": "false"}).json()
    assert [p["id"] for p in listed["data"]] == [product["id"]]


def test_tiered_package_decimal_and_pwyw_prices(api):
    product = _product(api)["id"]
    graduated = api.post(
        "/v1/prices",
        {
            "product": product,
            "currency": "usd",
            "billing_scheme": "tiered",
            "tiers_mode": "graduated",
            "tiers": [
                {"up_to": 5, "unit_amount": 500},
                {"up_to": "inf", "unit_amount_decimal": "399.5", "flat_amount": 100},
            ],
            "recurring": {"interval": "month"},
        },
    ).json()
    assert graduated["tiers"][1] == {
        "flat_amount": 100,
        "flat_amount_decimal": "100",
        "unit_amount": None,
        "unit_amount_decimal": "399.5",
        "up_to": None,
    }
    assert graduated["unit_amount"] is None
    package = api.post(
        "/v1/prices",
        {
            "product": product,
            "currency": "usd",
            "unit_amount": 1000,
            "transform_quantity": {"divide_by": 10, "round": "up"},
        },
    ).json()
    assert package["transform_quantity"] == {"divide_by": 10, "round": "up"}
    decimal = api.post(
        "/v1/prices", {"product": product, "currency": "usd", "unit_amount_decimal": "0.125"}
    ).json()
    assert (decimal["unit_amount"], decimal["unit_amount_decimal"]) == (None, "0.125")
    pwyw = api.post(
        "/v1/prices",
        {
            "product": product,
            "currency": "usd",
            "recurring": {"interval": "month"},
            "custom_unit_amount": {
                "enabled": "true",
                "minimum": 500,
                "maximum": 5000,
                "preset": 1000,
            },
        },
    ).json()
    assert pwyw["custom_unit_amount"] == {"minimum": 500, "maximum": 5000, "preset": 1000}
    prices = {p.id: p for p in Price.objects.all()}
    assert price_amount(prices[graduated["id"]], quantity=7, currency="usd", on=ON) == (
        2500 + 799 + 100
    )
    assert price_amount(prices[package["id"]], quantity=11, currency="usd", on=ON) == 2000
    assert price_amount(prices[decimal["id"]], quantity=3, currency="usd", on=ON) == 0
    assert (
        price_amount(prices[pwyw["id"]], quantity=1, currency="usd", on=ON, custom_amount=700)
        == 700
    )


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"currency": "usd"}, "unit_amount"),
        ({"currency": "usd", "unit_amount": 1, "unit_amount_decimal": "1"}, "unit_amount_decimal"),
        (
            {
                "currency": "usd",
                "billing_scheme": "tiered",
                "tiers_mode": "volume",
                "tiers": [{"up_to": 5, "unit_amount": 1}],
            },
            "tiers[0][up_to]",
        ),
        (
            {
                "currency": "usd",
                "billing_scheme": "tiered",
                "tiers_mode": "volume",
                "tiers": [
                    {"up_to": 5, "unit_amount": 1},
                    {"up_to": 3, "unit_amount": 1},
                    {"up_to": "inf", "unit_amount": 1},
                ],
            },
            "tiers[1][up_to]",
        ),
        (
            {
                "currency": "usd",
                "unit_amount": 1,
                "recurring": {"interval": "month", "interval_count": 37},
            },
            "recurring[interval_count]",
        ),
        (
            {
                "currency": "usd",
                "unit_amount": 1,
                "currency_options": {"eur": {"tax_behavior": "exclusive"}},
            },
            "currency_options[eur][unit_amount]",
        ),
        ({"currency": "usd", "unit_amount": -5}, "unit_amount"),
    ],
)
def test_bad_prices_are_refused_and_nothing_written(api, params, param):
    product = _product(api)["id"]
    response = api.post("/v1/prices", {"product": product, **params})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["param"] == param
    assert not Price.objects.exists()


def test_currency_options_then_fx_for_the_rest(api, acme):
    product = _product(api)["id"]
    price = api.post(
        "/v1/prices",
        {
            "product": product,
            "currency": "usd",
            "unit_amount": 1999,
            "currency_options": {"eur": {"unit_amount": 1799}},
        },
    ).json()
    assert price["currency_options"]["eur"]["unit_amount"] == 1799
    row = Price.objects.get(id=price["id"])
    assert price_amount(row, quantity=1, currency="eur", on=date(2026, 11, 1)) == 1799
    with pytest.raises(InvalidRequestError):
        price_amount(row, quantity=1, currency="jpy", on=date(2026, 11, 1))
    fx_rates_import(
        account=acme.account,
        text="date,base,quote,rate\n2026-10-01,usd,jpy,150\n2026-11-01,usd,jpy,151.37\n",
        actor=SYSTEM,
    )
    assert price_amount(row, quantity=1, currency="jpy", on=date(2026, 10, 15)) == 2999  # 2998.5
    assert price_amount(row, quantity=1, currency="jpy", on=date(2026, 11, 20)) == 3026


def test_lookup_keys_are_unique_and_transferable(api):
    product = _product(api)["id"]
    first = api.post(
        "/v1/prices",
        {"product": product, "currency": "usd", "unit_amount": 100, "lookup_key": "pro_monthly"},
    ).json()
    clash = api.post(
        "/v1/prices",
        {"product": product, "currency": "usd", "unit_amount": 200, "lookup_key": "pro_monthly"},
    )
    assert clash.json()["error"]["param"] == "lookup_key"
    moved = api.post(
        "/v1/prices",
        {
            "product": product,
            "currency": "usd",
            "unit_amount": 200,
            "lookup_key": "pro_monthly",
            "transfer_lookup_key": "true",
        },
    ).json()
    assert api.get(f"/v1/prices/{first['id']}").json()["lookup_key"] is None
    found = api.get("/v1/prices", {"lookup_keys[]": "pro_monthly"}).json()
    assert [p["id"] for p in found["data"]] == [moved["id"]]


def test_coupons_and_promotion_codes(api):
    coupon = api.post(
        "/v1/coupons",
        {
            "id": "WELCOME",
            "amount_off": 500,
            "currency": "usd",
            "duration": "repeating",
            "duration_in_months": 3,
        },
    ).json()
    assert (coupon["id"], coupon["valid"], coupon["duration_in_months"]) == ("WELCOME", True, 3)
    assert api.post("/v1/coupons", {"id": "WELCOME", "percent_off": 5}).status_code == 400
    assert api.post("/v1/coupons", {"percent_off": 120}).json()["error"]["param"] == "percent_off"
    assert api.post("/v1/coupons", {"percent_off": 10, "duration": "repeating"}).status_code == 400
    promo = api.post(
        "/v1/promotion_codes",
        {"coupon": "WELCOME", "code": "HELLO", "restrictions": {"first_time_transaction": "true"}},
    ).json()
    assert promo["coupon"]["id"] == "WELCOME"
    assert promo["restrictions"]["first_time_transaction"] is True
    assert (
        api.post("/v1/promotion_codes", {"coupon": "WELCOME", "code": "HELLO"}).status_code == 400
    )
    assert api.get("/v1/promotion_codes", {"code": "HELLO"}).json()["data"][0]["id"] == promo["id"]
    assert api.delete("/v1/coupons/WELCOME").json()["deleted"] is True
    assert api.get(f"/v1/promotion_codes/{promo['id']}").json()["active"] is False
    assert api.get("/v1/coupons/WELCOME").status_code == 404


def test_updating_a_product(api):
    product = api.post("/v1/products", {"name": "Seats", "unit_label": "seat"}).json()
    price = api.post(
        "/v1/prices", {"product": product["id"], "currency": "usd", "unit_amount": 900}
    ).json()
    url = f"/v1/products/{product['id']}"
    updated = api.post(
        url, {"description": "Per seat", "default_price": price["id"], "metadata": {"a": "b"}}
    ).json()
    assert (updated["name"], updated["unit_label"], updated["description"]) == (
        "Seats",
        "seat",
        "Per seat",
    )
    assert (updated["default_price"], updated["metadata"]) == (price["id"], {"a": "b"})
    assert api.post(url, {"default_price": ""}).json()["default_price"] is None
    for params, param in [
        ({"name": ""}, "name"),
        ({"default_price": "price_none"}, "default_price"),
        ({"active": "maybe"}, "active"),
    ]:
        assert api.post(url, params).json()["error"]["param"] == param
    assert api.post("/v1/products/prod_none", {"name": ""}).status_code == 404


def test_updating_a_price(api):
    product = api.post("/v1/products", {"name": "Seats"}).json()

    def price(**extra):
        body = {"product": product["id"], "currency": "usd", "unit_amount": 900, **extra}
        return api.post("/v1/prices", body).json()

    first, second = price(lookup_key="seat"), price()
    url = f"/v1/prices/{second['id']}"
    assert api.post(url, {"lookup_key": "seat"}).json()["error"]["param"] == "lookup_key"
    moved = api.post(
        url, {"lookup_key": "seat", "transfer_lookup_key": "true", "nickname": "Seat"}
    ).json()
    assert (moved["lookup_key"], moved["nickname"]) == ("seat", "Seat")
    assert api.get(f"/v1/prices/{first['id']}").json()["lookup_key"] is None
    cleared = api.post(url, {"lookup_key": "", "nickname": ""}).json()
    assert (cleared["lookup_key"], cleared["nickname"]) == (None, None)
    options = api.post(url, {"currency_options": {"eur": {"unit_amount": 800}}}).json()
    assert options["currency_options"]["eur"]["unit_amount"] == 800
    assert options["unit_amount"] == 900
    for params, param in [
        ({"currency_options": {"usd": {"unit_amount": 1}}}, "currency_options[usd]"),
        ({"tax_behavior": "sometimes"}, "tax_behavior"),
        ({"active": "maybe"}, "active"),
    ]:
        assert api.post(url, params).json()["error"]["param"] == param
    assert api.post(url, {"tax_behavior": "inclusive"}).json()["tax_behavior"] == "inclusive"
    refused = api.post(url, {"tax_behavior": "exclusive"}).json()
    assert refused["error"]["param"] == "tax_behavior"
    assert api.post("/v1/prices/price_none", {"active": "maybe"}).status_code == 404


def test_updating_a_coupon_and_a_promotion_code(api):
    api.post("/v1/coupons", {"id": "FIVE", "amount_off": 500, "currency": "usd", "name": "Five"})
    updated = api.post(
        "/v1/coupons/FIVE",
        {"currency_options": {"eur": {"amount_off": 450}}, "metadata": {"team": "growth"}},
    ).json()
    assert updated["name"] == "Five"
    assert updated["currency_options"] == {"eur": {"amount_off": 450}}
    assert updated["metadata"] == {"team": "growth"}
    assert api.post("/v1/coupons/FIVE", {"name": ""}).json()["name"] is None
    for params, param in [
        ({"currency_options": {"USD": {"amount_off": 1}}}, "currency_options[USD]"),
        ({"currency_options": {"gbp": {"amount_off": "x"}}}, "currency_options[gbp][amount_off]"),
        ({"name": "x" * 41}, "name"),
    ]:
        assert api.post("/v1/coupons/FIVE", params).json()["error"]["param"] == param
    assert api.post("/v1/coupons/NONE", {"name": "x" * 41}).status_code == 404
    api.post("/v1/coupons", {"id": "PCT", "percent_off": 10})
    refused = api.post("/v1/coupons/PCT", {"currency_options": {"eur": {"amount_off": 1}}})
    assert refused.json()["error"]["param"] == "currency_options"
    promo = api.post("/v1/promotion_codes", {"coupon": "FIVE", "code": "HELLO"}).json()
    off = api.post(f"/v1/promotion_codes/{promo['id']}", {"active": "false"}).json()
    assert off["active"] is False
    kept = api.post(f"/v1/promotion_codes/{promo['id']}", {"metadata": {"a": "b"}}).json()
    assert (kept["active"], kept["metadata"]) == (False, {"a": "b"})
    bad = api.post(f"/v1/promotion_codes/{promo['id']}", {"active": "maybe"})
    assert bad.json()["error"]["param"] == "active"
    assert api.post("/v1/promotion_codes/promo_none", {"active": "maybe"}).status_code == 404


def test_the_official_sdk(stripe_sdk):
    product = stripe.Product.create(name="Seats")
    price = stripe.Price.create(
        product=product.id,
        currency="usd",
        billing_scheme="tiered",
        tiers_mode="volume",
        tiers=[{"up_to": 10, "unit_amount": 1000}, {"up_to": "inf", "unit_amount": 800}],
        recurring={"interval": "month"},
        lookup_key="seats",
    )
    assert price.tiers[1].unit_amount == 800
    found = stripe.Price.list(lookup_keys=["seats"], expand=["data.product"])
    assert found.data[0].product.name == "Seats"
    coupon = stripe.Coupon.create(percent_off=12.5, duration="forever")
    assert coupon.percent_off == 12.5
    code = stripe.PromotionCode.create(coupon=coupon.id, code="TWELVE")
    assert stripe.PromotionCode.retrieve(code.id).code == "TWELVE"


def test_the_sdk_with_newer_shapes(stripe_sdk):
    product = stripe.Product.create(
        name="Seats",
        type="service",
        default_price_data={
            "currency": "eur",
            "unit_amount": 900,
            "recurring": {"interval": "year"},
        },
    )
    assert product.default_price is not None
    price = stripe.Price.retrieve(product.default_price)
    assert (price.unit_amount, price.recurring.interval, price.product) == (900, "year", product.id)
    changed = stripe.Price.modify(
        price.id, currency_options={"usd": {"unit_amount": 1000}}, nickname="Yearly"
    )
    assert changed.currency_options["usd"].unit_amount == 1000
    assert changed.unit_amount == 900
    coupon = stripe.Coupon.create(id="HALF", percent_off=50, duration="once")
    code = stripe.PromotionCode.create(
        promotion={"type": "coupon", "coupon": coupon.id}, code="Half-Off"
    )
    assert (code.promotion.type, code.promotion.coupon) == ("coupon", "HALF")
    assert [c.id for c in stripe.PromotionCode.list(code="half-off").data] == [code.id]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Price.modify(price.id, unit_amount=1)
    assert caught.value.param == "unit_amount"


def test_list_filters(api):
    first, second = _product(api, "One"), _product(api, "Two")
    api.post(f"/v1/products/{second['id']}", {"url": "https://example.com/two"})
    ids = api.get("/v1/products", {"ids[0]": first["id"], "ids[1]": "prod_other"}).json()
    assert [p["id"] for p in ids["data"]] == [first["id"]]
    by_url = api.get("/v1/products", {"url": "https://example.com/two"}).json()
    assert [p["id"] for p in by_url["data"]] == [second["id"]]
    monthly = api.post(
        "/v1/prices",
        {
            "product": first["id"],
            "currency": "usd",
            "unit_amount": 100,
            "recurring": {"interval": "month"},
        },
    ).json()
    metered = api.post(
        "/v1/prices",
        {
            "product": first["id"],
            "currency": "usd",
            "unit_amount": 1,
            "recurring": {"interval": "month", "usage_type": "metered"},
        },
    ).json()
    once = api.post(
        "/v1/prices", {"product": second["id"], "currency": "eur", "unit_amount": 100}
    ).json()
    api.post(f"/v1/prices/{monthly['id']}", {"active": "false"})

    def listed(params):
        return [p["id"] for p in api.get("/v1/prices", params).json()["data"]]

    assert listed({}) == [once["id"], metered["id"], monthly["id"]]
    assert listed({"type": "one_time"}) == [once["id"]]
    assert listed({"currency": "usd"}) == [metered["id"], monthly["id"]]
    assert listed({"product": second["id"]}) == [once["id"]]
    assert listed({"active": "false"}) == [monthly["id"]]
    assert listed({"recurring[usage_type]": "metered"}) == [metered["id"]]
    assert listed({"recurring[interval]": "month", "active": "true"}) == [metered["id"]]
    assert listed({"limit": 1, "starting_after": once["id"]}) == [metered["id"]]
    refused = api.get("/v1/prices", {"colour": "red"}).json()["error"]
    assert refused["param"] == "colour"


def test_malformed_product_hashes_name_their_parameter_and_write_nothing(api):
    def error(path, body):
        response = api.post(path, body)
        assert response.status_code == 400, response.content
        return {k: response.json()["error"].get(k) for k in ("message", "param", "code")}

    assert error("/v1/products", "name=Box&default_price_data=x") == {
        "message": "Invalid hash: default_price_data",
        "param": "default_price_data",
        "code": None,
    }
    assert error("/v1/products", "name=Box&default_price_data[lookup_key]=k") == {
        "message": "Received unknown parameter: default_price_data[lookup_key]",
        "param": "default_price_data[lookup_key]",
        "code": None,
    }
    assert error("/v1/prices", "currency=usd&unit_amount=1&product_data=x") == {
        "message": "Invalid hash: product_data",
        "param": "product_data",
        "code": None,
    }
    assert error("/v1/prices", "currency=usd&unit_amount=1") == {
        "message": "Pass exactly one of product and product_data.",
        "param": "product",
        "code": "parameter_missing",
    }
    assert error("/v1/prices", "currency=usd&unit_amount=1&product_data[unit_label]=x") == {
        "message": "Missing required param: name.",
        "param": "name",
        "code": "parameter_missing",
    }
    assert not Event.objects.exists()


def test_malformed_promotion_code_parameters_name_their_parameter(api):
    api.post("/v1/coupons", {"id": "TEN", "percent_off": "10"})

    def error(body):
        response = api.post("/v1/promotion_codes", body)
        assert response.status_code == 400, response.content
        return {k: response.json()["error"].get(k) for k in ("message", "param")}

    assert error("coupon=TEN&restrictions=x") == {
        "message": "Invalid hash: restrictions",
        "param": "restrictions",
    }
    assert error("coupon=TEN&promotion=x") == {
        "message": "Pass promotion[coupon] or coupon, not both.",
        "param": "coupon",
    }
    assert error("promotion=x") == {"message": "Invalid hash: promotion", "param": "promotion"}
    assert error("coupon=TEN&restrictions[minimum_amount]=500") == {
        "message": "restrictions[minimum_amount] and [minimum_amount_currency] go together.",
        "param": "restrictions[minimum_amount_currency]",
    }
    assert not Event.objects.filter(type="promotion_code.created").exists()


def test_a_product_with_a_chosen_id(stripe_sdk, globex):
    product = stripe.Product.create(id="gold-plan", name="Gold")
    assert (product.id, product.name) == ("gold-plan", "Gold")
    assert stripe.Product.retrieve("gold-plan").name == "Gold"
    price = stripe.Price.create(
        product="gold-plan", currency="usd", unit_amount=500, recurring={"interval": "month"}
    )
    assert price.product == "gold-plan"
    for key in (None, globex.secret_key):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            stripe.Product.create(id="gold-plan", name="Again", api_key=key)
        assert (caught.value.code, caught.value.param) == ("resource_already_exists", "id")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.Product.create(id="gold plan", name="Spaced")
    assert caught.value.param == "id"
    assert list(Product.objects.values_list("id", flat=True)) == ["gold-plan"]
    assert stripe.Product.create(name="Generated").id.startswith("prod_")
