"""Dashboard forms as staff meet them: errors in their words, selects that name things, edit
forms that open on the current value, an empty customer refused, styled inputs, breadcrumbs
that name the object."""

import importlib
import inspect
import pkgutil
import re

import pytest
from django import forms
from django.urls import reverse

import apps
from apps.accounts.dashboard.forms import service_error_to_form, staff_message
from apps.catalog.labels import price_label
from apps.core.errors import InvalidRequestError
from apps.customers.models import Customer
from apps.invoices.models import Invoice
from tests.factories import PriceFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


class _ItemForm(forms.Form):
    price = forms.CharField(label="Price")
    quantity = forms.IntegerField()
    unit_amount = forms.CharField(required=False)


@pytest.mark.parametrize(
    ("error", "field", "message"),
    [
        (
            InvalidRequestError(
                "Missing required param: items[0][price].", param="items[0][price]"
            ),
            "price",
            "Enter price.",
        ),
        (
            InvalidRequestError("Invalid integer: quantity", param="quantity"),
            "quantity",
            "Enter a valid quantity.",
        ),
        (
            InvalidRequestError("unit_amount must be at most 10.", param="unit_amount"),
            "unit_amount",
            "“Unit amount” must be at most 10.",
        ),
        (
            # A plain word that is also a field's name is left as it is.
            InvalidRequestError("That quantity is too large.", param="quantity"),
            "quantity",
            "That quantity is too large.",
        ),
        (InvalidRequestError("The card was declined."), None, "The card was declined."),
    ],
)
def test_service_errors_are_shown_in_staff_words(error, field, message):
    form = _ItemForm({"price": "x", "quantity": 1})
    assert staff_message(form, error) == (field, message)
    form.is_valid()
    service_error_to_form(form, error)
    errors = form.errors[field or "__all__"]
    assert errors == [message]
    assert "param" not in " ".join(errors)


def test_prices_are_named_by_product_amount_and_interval(acme):
    account = acme.account
    assert price_label(PriceFactory(account=account, name="Pro")) == "Pro — $25.00 / month"
    quarterly = PriceFactory(
        account=account,
        name="Team",
        nickname="Quarterly",
        unit_amount=7500,
        recurring={"interval": "month", "interval_count": 3},
    )
    assert price_label(quarterly) == "Team (Quarterly) — $75.00 / 3 months"
    yen = PriceFactory(
        account=account, name="Lite", currency="jpy", unit_amount=1250, recurring=None
    )
    assert price_label(yen) == "Lite — ¥1,250"
    metered = PriceFactory(
        account=account,
        name="API",
        unit_amount_decimal="0.5",
        unit_amount=None,
        recurring={"interval": "month", "usage_type": "metered"},
    )
    assert price_label(metered) == "API — $0.005 per unit used / month"


def test_the_change_price_form_opens_on_the_current_price_and_quantity(staff_client, acme):
    subscription = SubscriptionFactory(account=acme.account)
    PriceFactory(account=acme.account, name="Max", unit_amount=4500)
    item = subscription.items.get()
    html = staff_client.get(
        reverse("admin:subscriptions_subscription_change", args=[subscription.id])
    ).content.decode()
    selected = re.findall(r'<option value="(price_\w+)"[^>]*selected', html)
    assert selected == [item.price_id]
    assert "Basic — $25.00 / month" in html
    assert "Max — $45.00 / month" in html
    assert not re.search(r">\s*price_\w+\s*<", html)


def test_an_empty_customer_form_is_refused(staff_client, acme):
    url = reverse("admin:customers_customer_create")
    before = Customer.objects.count()
    response = staff_client.post(url, {"email": "", "name": "  ", "phone": "", "description": ""})
    assert response.status_code == 200
    assert "Enter at least an email address or a name" in response.content.decode()
    assert Customer.objects.count() == before
    created = staff_client.post(url, {"name": "Ada Lovelace"})
    assert created.status_code == 302
    assert Customer.objects.count() == before + 1


def _dashboard_forms() -> list[type[forms.BaseForm]]:
    found = []
    for module in pkgutil.walk_packages(apps.__path__, "apps."):
        if ".migrations" in module.name:
            continue
        loaded = importlib.import_module(module.name)
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == loaded.__name__:
                found.append(cls)
    return found


# The card form of the page customers open from an email is the customer's, styled for them.
CUSTOMER_FACING = {"apps.collections.views.CardForm"}


def test_every_dashboard_input_is_styled():
    unstyled = [
        f"{cls.__module__}.{cls.__name__}.{name}: {type(field.widget).__name__}"
        for cls in _dashboard_forms()
        if f"{cls.__module__}.{cls.__name__}" not in CUSTOMER_FACING
        for name, field in cls.base_fields.items()
        if not type(field.widget).__module__.startswith("unfold.")
        and not isinstance(field.widget, forms.HiddenInput)
    ]
    assert len(_dashboard_forms()) > 20
    assert unstyled == []


def _breadcrumb(html: str) -> list[str]:
    header = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)
    parts = re.findall(r"<(?:a|span)[^>]*tracking-tight[^>]*>\s*(.*?)\s*</(?:a|span)\s*>", header)
    return [re.sub(r"\s+", " ", part) for part in parts]


def test_breadcrumbs_name_the_customer_and_the_invoice(staff_client, acme):
    subscription = SubscriptionFactory(account=acme.account, email="jenny@example.com")
    invoice = Invoice.objects.get(subscription=subscription)
    customer_page = staff_client.get(
        reverse("admin:customers_customer_change", args=[subscription.customer_id])
    )
    assert _breadcrumb(customer_page.content.decode())[-1] == "jenny@example.com"
    invoice_page = staff_client.get(reverse("admin:invoices_invoice_change", args=[invoice.id]))
    assert _breadcrumb(invoice_page.content.decode())[-1] == invoice.number
    assert invoice.number
    assert "Invoice object" not in invoice_page.content.decode()
