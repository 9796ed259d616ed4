"""factory_boy factories for the domain rows tests start from.

Each factory but ``CustomerRowFactory`` creates through the service a client would reach
(``price_create``, ``customer_create``, ``subscription_create``, ``charge_create`` …), so the
events, audit entries and ledger rows are those production writes. ``account`` is required;
every other field is a service parameter, and a field given as ``None`` is left out.
"""

import factory
from factory.django import DjangoModelFactory

from apps.catalog.api.products import product_create_parse
from apps.catalog.discount_params import new_coupon_parse
from apps.catalog.models import Coupon, Price, Product
from apps.catalog.price_params import new_price_parse
from apps.catalog.services import coupon_create, price_create, product_create
from apps.core.actor import SYSTEM
from apps.customers.api.params import customer_create_parse
from apps.customers.models import Customer
from apps.customers.services import customer_create
from apps.customers.services.payment_methods import payment_method_resolve
from apps.payments.models import Charge, PaymentIntent
from apps.payments.services import ChargeRequest, charge_create, payment_intent_create
from apps.subscriptions.models import Subscription
from apps.subscriptions.services import ItemRequest, subscription_create


def _given(params: dict) -> dict:
    return {key: value for key, value in params.items() if value is not None}


class ParamsFactory(factory.Factory):
    """Creates with ``_service(account=…, params=<the fields>, actor=SYSTEM)``, as the API does."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *, account, **params):
        return cls._service(account=account, params=_given(params), actor=SYSTEM)


class ProductFactory(ParamsFactory):
    class Meta:
        model = Product

    name = "Pro plan"

    @staticmethod
    def _service(*, account, params, actor):
        return product_create(account=account, **product_create_parse(params), actor=actor)


class PriceFactory(ParamsFactory):
    """A monthly 25.00 USD price of a new product named ``name`` (``product_data``); with
    ``own_product=True`` the product is created first and the price refers to it."""

    class Meta:
        model = Price

    @staticmethod
    def _service(*, account, params, actor):
        return price_create(account=account, price=new_price_parse(params), actor=actor)

    class Params:
        name = "Basic"
        own_product = factory.Trait(
            product_data=None,
            product=factory.LazyAttribute(lambda o: ProductFactory(account=o.account).id),
        )

    product_data = factory.LazyAttribute(lambda o: {"name": o.name})
    currency = "usd"
    unit_amount = 2500
    recurring = factory.Dict({"interval": "month"})


class CouponFactory(ParamsFactory):
    class Meta:
        model = Coupon

    id = "SUMMER25"
    percent_off = "25"

    @staticmethod
    def _service(*, account, params, actor):
        return coupon_create(account=account, coupon=new_coupon_parse(params), actor=actor)


class CustomerFactory(ParamsFactory):
    """A customer made as ``POST /v1/customers`` makes one: any field is a parameter
    (``source="tok_visa"`` gives it a default card)."""

    class Meta:
        model = Customer

    email = "jenny@example.com"

    @staticmethod
    def _service(*, account, params, actor):
        return customer_create(account=account, **customer_create_parse(params), actor=actor)


class CustomerRowFactory(DjangoModelFactory):
    """A bare customer row: no event, no audit entry (the payment-method tests count both)."""

    class Meta:
        model = Customer

    email = "payer@example.com"


class SubscriptionFactory(factory.Factory):
    """A monthly subscription to one new 25.00 USD price (made first), of a new customer paying
    with ``source``: created, so its first invoice is finalized and collected at once."""

    class Meta:
        model = Subscription

    class Params:
        source = "tok_visa"
        email = "sub@example.com"

    price = factory.LazyAttribute(lambda o: PriceFactory(account=o.account))
    customer = factory.LazyAttribute(
        lambda o: CustomerFactory(account=o.account, email=o.email, source=o.source)
    )

    @classmethod
    def _create(cls, model_class, *, account, price, customer):
        return subscription_create(
            account=account, customer=customer, items=[ItemRequest(price)], actor=SYSTEM
        )


class ChargeFactory(factory.Factory):
    """A 20.00 USD charge of a new customer, paid with ``source`` as ``POST /v1/charges`` does."""

    class Meta:
        model = Charge

    class Params:
        source = "tok_visa"

    customer = factory.LazyAttribute(
        lambda o: CustomerFactory(account=o.account, email="p@example.com")
    )
    payment_method = factory.LazyAttribute(
        lambda o: payment_method_resolve(
            account=o.account, value=o.source, customer=None, actor=SYSTEM, param="source"
        )
    )
    amount = 2000
    currency = "usd"
    capture = True

    @classmethod
    def _create(cls, model_class, *, account, **request):
        return charge_create(
            account=account, request=ChargeRequest(**request, via_source=True), actor=SYSTEM
        )


class PaymentIntentFactory(factory.Factory):
    """A 10.00 USD payment intent with no customer and no payment method yet."""

    class Meta:
        model = PaymentIntent

    amount = 1000
    currency = "usd"
    customer = None
    payment_method = None
    capture_method = "automatic"
    description = ""
    metadata = factory.Dict({})
    off_session = False
    setup_future_usage = ""

    @classmethod
    def _create(cls, model_class, *, account, **params):
        return payment_intent_create(account=account, **params, actor=SYSTEM)
