"""Catalog services: Stripe-shaped refusals that write nothing, the audit row and the event of
every write in its transaction, and the writes the API and the dashboard share."""

import pytest

from apps.accounts.models import AuditLogEntry
from apps.catalog.api.products import price_changes, product_create_parse
from apps.catalog.discount_params import (
    coupon_amounts_parse,
    new_coupon_parse,
    new_promotion_code_parse,
)
from apps.catalog.models import Coupon, Price, Product, PromotionCode
from apps.catalog.price_params import new_price_parse
from apps.catalog.services import (
    PriceChanges,
    coupon_create,
    coupon_update,
    price_create,
    price_delete,
    price_update,
    product_create,
    promotion_code_create,
)
from apps.core.actor import SYSTEM
from apps.core.errors import ApplicationError
from apps.core.models import Event
from tests.factories import CouponFactory, PriceFactory, ProductFactory, SubscriptionFactory


def _counts():
    return (
        Product.objects.count(),
        Price.objects.count(),
        Coupon.objects.count(),
        PromotionCode.objects.count(),
        Event.objects.count(),
        AuditLogEntry.objects.count(),
    )


def _refused(write, param: str) -> ApplicationError:
    before = _counts()
    with pytest.raises(ApplicationError) as caught:
        write()
    assert caught.value.param == param, caught.value.message
    assert _counts() == before  # nothing else changed
    return caught.value


def test_every_write_records_its_event_and_audit_row(acme):
    account = acme.account
    audited_before = AuditLogEntry.objects.count()
    product = ProductFactory(account=account)
    price = price_create(
        account=account,
        price=new_price_parse({"product": product.id, "currency": "usd", "unit_amount": 500}),
        actor=SYSTEM,
    )
    price_update(
        account=account, price_id=price.id, changes=PriceChanges(nickname="Basic"), actor=SYSTEM
    )
    coupon = CouponFactory(account=account)
    promotion_code_create(
        account=account, promo=new_promotion_code_parse({"coupon": coupon.coupon_id}), actor=SYSTEM
    )
    price_delete(account=account, price_id=price.id, actor=SYSTEM)
    assert list(Event.objects.order_by("id").values_list("type", "object_id")) == [
        ("product.created", product.id),
        ("price.created", price.id),
        ("price.updated", price.id),
        ("coupon.created", "SUMMER25"),
        ("promotion_code.created", PromotionCode.objects.get().id),
        ("price.deleted", price.id),
    ]
    assert Event.objects.get(type="price.updated").previous_attributes == {"nickname": None}
    actions = AuditLogEntry.objects.order_by("id").values_list("action", flat=True)
    assert list(actions[audited_before:]) == [
        "product.created",
        "price.created",
        "price.updated",
        "coupon.created",
        "promotion_code.created",
        "price.deleted",
    ]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        (
            {
                "billing_scheme": "tiered",
                "tiers_mode": "graduated",
                "tiers": [{"up_to": 5, "unit_amount": 1}, {"up_to": "ten", "unit_amount": 1}],
            },
            "tiers[1][up_to]",
        ),
        (
            {
                "billing_scheme": "tiered",
                "tiers_mode": "graduated",
                "tiers": [{"up_to": 5, "unit_amount": 1}, {"up_to": "inf", "flat_amount": -1}],
            },
            "tiers[1][flat_amount]",
        ),
        (
            {
                "billing_scheme": "tiered",
                "tiers_mode": "graduated",
                "tiers": [{"up_to": 5, "unit_amount": 1}, {"up_to": "inf"}],
            },
            "tiers[1][unit_amount]",
        ),
        (
            {"unit_amount": 1, "billing_scheme": "tiered", "tiers_mode": "volume", "tiers": []},
            "tiers",
        ),
        ({"unit_amount": 1, "tiers_mode": "volume"}, "tiers_mode"),
        ({"unit_amount": 1, "recurring": {"interval": "fortnight"}}, "recurring[interval]"),
        (
            {"unit_amount": 1, "recurring": {"interval": "week", "interval_count": 157}},
            "recurring[interval_count]",
        ),
        (
            {"unit_amount": 1, "recurring": {"interval": "month", "aggregate_usage": "sum"}},
            "recurring[aggregate_usage]",
        ),
        ({"unit_amount": 1, "transform_quantity": {"divide_by": 10}}, "transform_quantity[round]"),
        (
            {"unit_amount": 1, "transform_quantity": {"divide_by": 0, "round": "up"}},
            "transform_quantity[divide_by]",
        ),
        ({"unit_amount_decimal": "0.1234567890123"}, "unit_amount_decimal"),
        (
            {"unit_amount": 1000, "custom_unit_amount": {"enabled": "true", "minimum": 1}},
            "custom_unit_amount",
        ),
        ({"custom_unit_amount": {"enabled": "false"}}, "custom_unit_amount[enabled]"),
        (
            {"custom_unit_amount": {"enabled": "true", "minimum": 500, "maximum": 100}},
            "custom_unit_amount[minimum]",
        ),
        (
            {"custom_unit_amount": {"enabled": "true", "minimum": 500, "preset": 100}},
            "custom_unit_amount[preset]",
        ),
        (
            {"custom_unit_amount": {"enabled": "true", "maximum": "lots"}},
            "custom_unit_amount[maximum]",
        ),
        (
            {
                "billing_scheme": "tiered",
                "tiers_mode": "volume",
                "tiers": [{"up_to": "inf", "unit_amount": 1}],
                "currency_options": {
                    "eur": {
                        "tiers": [{"up_to": 3, "unit_amount": 1}, {"up_to": 2, "unit_amount": 1}]
                    }
                },
            },
            "currency_options[eur][tiers][1][up_to]",
        ),
        (
            {"unit_amount": 1, "currency_options": {"eur": {"unit_amount": "x"}}},
            "currency_options[eur][unit_amount]",
        ),
        (
            {
                "unit_amount": 1,
                "currency_options": {"eur": {"unit_amount": 1, "tax_behavior": "x"}},
            },
            "currency_options[eur][tax_behavior]",
        ),
        (
            {"unit_amount": 1, "currency_options": {"usd": {"unit_amount": 1}}},
            "currency_options[usd]",
        ),
        (
            {"unit_amount": 1, "currency_options": {"zzzz": {"unit_amount": 1}}},
            "currency_options[zzzz]",
        ),
        ({"unit_amount": 1, "product": "prod_missing"}, "product"),
    ],
)
def test_bad_prices_name_the_parameter_like_stripe(acme, params, param):
    product = ProductFactory(account=acme.account)
    _refused(
        lambda: price_create(
            account=acme.account,
            price=new_price_parse({"product": product.id, "currency": "usd", **params}),
            actor=SYSTEM,
        ),
        param,
    )


def test_a_product_with_its_default_price_in_one_write(acme):
    product = product_create(
        account=acme.account,
        **product_create_parse(
            {
                "name": "Box",
                "type": "good",
                "default_price_data": {
                    "currency": "jpy",
                    "unit_amount": 1500,
                    "recurring": {"interval": "month"},
                },
            }
        ),
        actor=SYSTEM,
    )
    price = Price.objects.get(product=product)
    assert (product.type, product.default_price_id) == ("good", price.id)
    assert (price.currency, price.unit_amount, price.type) == ("jpy", 1500, "recurring")
    assert list(Event.objects.order_by("id").values_list("type", flat=True)) == [
        "product.created",
        "price.created",
        "product.updated",
    ]


@pytest.mark.parametrize(
    ("data", "param"),
    [
        ({"currency": "usd"}, "default_price_data[unit_amount]"),
        (
            {"currency": "usd", "unit_amount": 1, "recurring": {"interval": "hour"}},
            "default_price_data[recurring][interval]",
        ),
        ({"currency": "usd", "unit_amount": 1, "nickname": "x"}, "default_price_data[nickname]"),
    ],
)
def test_a_bad_default_price_writes_no_product_either(acme, data, param):
    _refused(
        lambda: product_create(
            account=acme.account,
            **product_create_parse({"name": "Box", "default_price_data": data}),
            actor=SYSTEM,
        ),
        param,
    )


def test_product_type_is_service_or_good(acme):
    _refused(
        lambda: product_create(
            account=acme.account,
            **product_create_parse({"name": "Box", "type": "thing"}),
            actor=SYSTEM,
        ),
        "type",
    )


def test_price_amounts_are_fixed_but_currency_options_change(acme):
    price = PriceFactory(
        account=acme.account, own_product=True, currency_options={"eur": {"unit_amount": 2300}}
    )
    price_update(
        account=acme.account,
        price_id=price.id,
        changes=price_changes(
            {
                "currency_options": {
                    "eur": "",
                    "gbp": {"unit_amount": 2000},
                    "jpy": {"unit_amount": 3500},
                }
            },
            price,
        ),
        actor=SYSTEM,
    )
    price.refresh_from_db()
    assert sorted(price.currency_options) == ["gbp", "jpy"]
    assert price.currency_options["jpy"]["unit_amount_decimal"] == "3500"
    assert price.unit_amount == 2500
    event = Event.objects.filter(type="price.updated").get()
    assert set(event.previous_attributes["currency_options"]) == {"usd", "eur"}
    _refused(
        lambda: price_update(
            account=acme.account,
            price_id=price.id,
            changes=price_changes({"currency_options": {"usd": {"unit_amount": 1}}}, price),
            actor=SYSTEM,
        ),
        "currency_options[usd]",
    )
    _refused(
        lambda: price_update(
            account=acme.account,
            price_id=price.id,
            changes=price_changes(
                {"currency_options": {"chf": {"tiers": [{"up_to": "inf", "unit_amount": 1}]}}},
                price,
            ),
            actor=SYSTEM,
        ),
        "currency_options[chf][unit_amount]",
    )


def test_tax_behavior_is_set_once(acme):
    price = PriceFactory(account=acme.account, own_product=True)
    _refused(
        lambda: price_update(
            account=acme.account,
            price_id=price.id,
            changes=price_changes({"tax_behavior": ""}, price),
            actor=SYSTEM,
        ),
        "tax_behavior",
    )
    price_update(
        account=acme.account,
        price_id=price.id,
        changes=price_changes({"tax_behavior": "exclusive"}, price),
        actor=SYSTEM,
    )
    _refused(
        lambda: price_update(
            account=acme.account,
            price_id=price.id,
            changes=price_changes({"tax_behavior": "inclusive"}, price),
            actor=SYSTEM,
        ),
        "tax_behavior",
    )


def test_reactivating_a_price_whose_lookup_key_moved_on_is_refused(acme):
    old = PriceFactory(account=acme.account, own_product=True, lookup_key="pro")
    price_update(
        account=acme.account,
        price_id=old.id,
        changes=price_changes({"active": "false"}, old),
        actor=SYSTEM,
    )
    PriceFactory(account=acme.account, own_product=True, lookup_key="pro")
    _refused(
        lambda: price_update(
            account=acme.account,
            price_id=old.id,
            changes=price_changes({"active": "true"}, old),
            actor=SYSTEM,
        ),
        "lookup_key",
    )


def test_a_price_in_use_cannot_be_deleted_an_unused_one_can(acme):
    subscription = SubscriptionFactory(account=acme.account)
    used = subscription.items.get().price
    _refused(lambda: price_delete(account=acme.account, price_id=used.id, actor=SYSTEM), "id")
    unused = PriceFactory(account=acme.account, own_product=True)
    product = unused.product
    product.default_price = unused
    product.save()
    price_delete(account=acme.account, price_id=unused.id, actor=SYSTEM)
    product.refresh_from_db()
    assert product.default_price_id is None
    assert not Price.objects.filter(id=unused.id).exists()
    assert Event.objects.get(type="price.deleted").data_object["deleted"] is True


def test_a_price_of_another_account_is_missing(acme, globex):
    price = PriceFactory(account=globex.account, own_product=True)
    with pytest.raises(ApplicationError) as caught:
        price_delete(account=acme.account, price_id=price.id, actor=SYSTEM)
    assert caught.value.code == "resource_missing"
    assert Price.objects.filter(id=price.id).exists()


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"percent_off": "10.005"}, "percent_off"),
        ({"percent_off": "0"}, "percent_off"),
        ({"amount_off": 100}, "currency"),
        ({"amount_off": 0, "currency": "usd"}, "amount_off"),
        ({"percent_off": 5, "amount_off": 100, "currency": "usd"}, "percent_off"),
        (
            {"amount_off": 100, "currency": "usd", "currency_options": {"eur": {"amount_off": 0}}},
            "currency_options[eur][amount_off]",
        ),
        (
            {"amount_off": 100, "currency": "usd", "currency_options": {"xx": {"amount_off": 5}}},
            "currency_options[xx]",
        ),
        ({"percent_off": 5, "duration": "forever", "duration_in_months": 3}, "duration_in_months"),
        ({"percent_off": 5, "id": "has space"}, "id"),
        ({"percent_off": 5, "redeem_by": 1}, "redeem_by"),
        ({"percent_off": 5, "applies_to": {"products": ["prod_nope"]}}, "applies_to[products]"),
    ],
)
def test_bad_coupons_are_refused(acme, params, param):
    _refused(
        lambda: coupon_create(account=acme.account, coupon=new_coupon_parse(params), actor=SYSTEM),
        param,
    )


def test_promotion_codes_take_the_new_promotion_hash_and_are_unique_regardless_of_case(acme):
    coupon = coupon_create(
        account=acme.account,
        coupon=new_coupon_parse({"id": "TEN", "percent_off": 10, "max_redemptions": 5}),
        actor=SYSTEM,
    )
    promo = promotion_code_create(
        account=acme.account,
        promo=new_promotion_code_parse(
            {"promotion": {"type": "coupon", "coupon": "TEN"}, "code": "spring-sale"}
        ),
        actor=SYSTEM,
    )
    assert promo.coupon_id == coupon.pk
    _refused(
        lambda: promotion_code_create(
            account=acme.account,
            promo=new_promotion_code_parse({"coupon": "TEN", "code": "SPRING-SALE"}),
            actor=SYSTEM,
        ),
        "code",
    )
    for params, param in [
        ({"promotion": {"type": "coupon"}}, "promotion[coupon]"),
        ({"promotion": {"type": "gift", "coupon": "TEN"}}, "promotion[type]"),
        ({"promotion": {"type": "coupon", "coupon": "TEN"}, "coupon": "TEN"}, "coupon"),
        ({"coupon": "TEN", "max_redemptions": 6}, "max_redemptions"),
        ({"coupon": "TEN", "code": "no spaces"}, "code"),
        (
            {"coupon": "TEN", "restrictions": {"minimum_amount": 100}},
            "restrictions[minimum_amount_currency]",
        ),
        (
            {"coupon": "TEN", "restrictions": {"minimum_amount": "x"}},
            "restrictions[minimum_amount]",
        ),
        ({"coupon": "TEN", "customer": "cus_missing"}, "customer"),
        ({"coupon": "NOPE"}, "id"),
    ]:
        _refused(
            lambda params=params: promotion_code_create(
                account=acme.account, promo=new_promotion_code_parse(params), actor=SYSTEM
            ),
            param,
        )


def test_a_coupon_changes_only_its_name_metadata_and_other_currencies(acme):
    coupon = coupon_create(
        account=acme.account,
        coupon=new_coupon_parse({"id": "FIVE", "amount_off": 500, "currency": "usd"}),
        actor=SYSTEM,
    )
    coupon_update(
        account=acme.account,
        coupon_id="FIVE",
        name="Five off",
        currency_options=coupon_amounts_parse({"eur": {"amount_off": 450}}, currency="usd"),
        actor=SYSTEM,
    )
    coupon.refresh_from_db()
    assert (coupon.name, coupon.amount_off) == ("Five off", 500)
    assert coupon.currency_options == {"eur": {"amount_off": 450}}
    assert Event.objects.get(type="coupon.updated").previous_attributes == {
        "currency_options": None,
        "name": None,
    }
    for options, param in [
        ({"usd": {"amount_off": 1}}, "currency_options[usd]"),
        ({"gbp": {"amount_off": "x"}}, "currency_options[gbp][amount_off]"),
    ]:
        _refused(
            lambda options=options: coupon_update(
                account=acme.account,
                coupon_id="FIVE",
                currency_options=coupon_amounts_parse(options, currency="usd"),
                actor=SYSTEM,
            ),
            param,
        )
    _refused(
        lambda: coupon_update(
            account=acme.account,
            coupon_id="FIVE",
            currency_options={"usd": {"amount_off": 1}},
            actor=SYSTEM,
        ),
        "currency_options[usd]",
    )
    CouponFactory(account=acme.account, id="PCT")
    _refused(
        lambda: coupon_update(
            account=acme.account,
            coupon_id="PCT",
            currency_options={"eur": {"amount_off": 1}},
            actor=SYSTEM,
        ),
        "currency_options",
    )
