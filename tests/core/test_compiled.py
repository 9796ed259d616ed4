"""apps.core.compiled: a queryset compiled once gives the instances the queryset gives, for
every call's values; apps.core.bulk.instance_new: the instance the keyword path makes."""

import pytest
from django.db.models import IntegerField
from django.db.models.expressions import RawSQL
from django.utils import timezone

from apps.catalog.models import Price
from apps.core.bulk import instance_new
from apps.core.compiled import CompiledQuery
from apps.invoices.models import Invoice
from tests.factories import PriceFactory

pytestmark = pytest.mark.django_db


def _with_product(account_id, price_id):
    return (
        Price.objects.filter(account_id=account_id, id=price_id)
        .select_related("product")
        .annotate(two=RawSQL("2", (), output_field=IntegerField()))
    )


_compiled = CompiledQuery(_with_product, "account_id", "price_id")


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_each_call_runs_with_its_own_values_and_makes_the_querysets_instances(
    acme, globex, django_assert_num_queries
):
    first = PriceFactory(account=acme.account, name="First")
    second = PriceFactory(account=acme.account, name="Second", unit_amount=900)
    for price in (first, second):
        (expected,) = _with_product(acme.id, price.id)
        with django_assert_num_queries(1):
            (found,) = _compiled(account_id=acme.id, price_id=price.id)
            # The product came with the row: no query for it.
            assert _fields(found.product) == _fields(expected.product)
        assert _fields(found) == _fields(expected)
        assert found.recurring["interval"] == "month"  # a JSON column, converted
        assert found.two == 2
        assert found._state.adding is False
        assert found._state.db == "default"
    assert _compiled(account_id=globex.id, price_id=first.id) == []  # scoped by its values


def test_a_value_django_rewrites_is_refused():
    refused = CompiledQuery(lambda ids: Price.objects.filter(id__in=ids), "ids")
    with pytest.raises(ValueError, match="not plain parameters"):
        refused(ids=["price_1"])


def test_instance_new_makes_the_keyword_paths_instance(acme):
    values = dict(
        account=acme.account,
        customer_id="cus_1",
        status="draft",
        currency="usd",
        total=5,
        created_at=timezone.now(),
    )
    made = instance_new(Invoice, **values)
    expected = Invoice(**values)
    assert {k: v for k, v in _fields(made).items() if k not in ("id", "hosted_token")} == {
        k: v for k, v in _fields(expected).items() if k not in ("id", "hosted_token")
    }
    assert made.id.startswith("in_")
    assert made.id != expected.id
    assert made.account is acme.account  # cached, as the keyword path caches it
    assert made._state.adding is True
    with pytest.raises(TypeError, match="no fields"):
        instance_new(Invoice, colour="red")
