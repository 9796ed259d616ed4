"""Dashboard forms of the catalog. Each builds the typed arguments of a service; the price form
builds the parameters ``POST /v1/prices`` takes and parses them as the API does, so the dashboard
and the API accept and refuse exactly the same prices."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectMultipleWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from apps.catalog.discount_params import new_coupon_parse
from apps.catalog.models import TaxRate
from apps.catalog.price_params import new_price_parse
from apps.catalog.product_params import new_product_parse
from apps.catalog.services import NewCoupon, NewPrice, NewProduct
from apps.core import money

TIER_ROWS = 5
OPTION_ROWS = 3
SCHEMES = [
    ("per_unit", "Per unit"),
    ("package", "Package (per group of units)"),
    ("graduated", "Tiered: graduated"),
    ("volume", "Tiered: volume"),
    ("custom", "Pay what you want"),
]
INTERVALS = [
    ("", "One time"),
    ("day", "Daily"),
    ("week", "Weekly"),
    ("month", "Monthly"),
    ("year", "Yearly"),
]


def _text(**kwargs) -> forms.CharField:
    return forms.CharField(required=False, widget=UnfoldAdminTextInputWidget, **kwargs)


def minor_decimal(text: str, currency: str, field: str) -> str:
    """An amount typed in major units ("12.345") as minor units, fractions kept ("1234.5")."""
    try:
        value = Decimal(text.strip().replace(",", ""))
        value = value.scaleb(money.exponent(currency))
    except (InvalidOperation, money.MoneyError) as exc:
        raise forms.ValidationError({field: "Enter an amount such as 12.50."}) from exc
    return format(value.normalize(), "f")


class ProductForm(forms.Form):
    name = forms.CharField(max_length=250, widget=UnfoldAdminTextInputWidget)
    description = forms.CharField(
        required=False, max_length=5000, widget=UnfoldAdminTextareaWidget(attrs={"rows": 2})
    )
    type = forms.ChoiceField(
        choices=[("service", "Service"), ("good", "Good (shippable)")],
        initial="service",
        widget=UnfoldAdminSelectWidget,
    )
    unit_label = _text(max_length=12)
    default_trial_days = forms.IntegerField(
        required=False, min_value=0, widget=UnfoldAdminIntegerFieldWidget
    )

    def new_product(self) -> NewProduct:
        """The product, checked as ``POST /v1/products`` checks the same parameters."""
        return new_product_parse(
            {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        )


class PriceForm(forms.Form):
    """One price, in major units; tiers and other currencies as rows (blank rows ignored)."""

    nickname = _text(max_length=250)
    currency = forms.CharField(max_length=3, initial="usd", widget=UnfoldAdminTextInputWidget)
    scheme = forms.ChoiceField(choices=SCHEMES, widget=UnfoldAdminSelectWidget)
    unit_amount = _text(label="Amount (per unit or per package)")
    package_size = forms.IntegerField(
        required=False, min_value=1, label="Units per package", widget=UnfoldAdminIntegerFieldWidget
    )
    package_round = forms.ChoiceField(
        required=False,
        choices=[("up", "Round up"), ("down", "Round down")],
        widget=UnfoldAdminSelectWidget,
    )
    custom_minimum = _text(label="Minimum (pay what you want)")
    custom_maximum = _text(label="Maximum")
    custom_preset = _text(label="Suggested amount")
    interval = forms.ChoiceField(required=False, choices=INTERVALS, widget=UnfoldAdminSelectWidget)
    interval_count = forms.IntegerField(
        required=False, min_value=1, initial=1, widget=UnfoldAdminIntegerFieldWidget
    )
    usage_type = forms.ChoiceField(
        required=False,
        choices=[("licensed", "Licensed (per seat)"), ("metered", "Metered (usage)")],
        widget=UnfoldAdminSelectWidget,
    )
    trial_period_days = forms.IntegerField(
        required=False, min_value=1, widget=UnfoldAdminIntegerFieldWidget
    )
    lookup_key = _text(max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for row in range(TIER_ROWS):
            self.fields[f"tier_{row}_up_to"] = _text(label=f"Tier {row + 1}: up to (blank = ∞)")
            self.fields[f"tier_{row}_unit"] = _text(label="per unit")
            self.fields[f"tier_{row}_flat"] = _text(label="flat fee")
        for row in range(OPTION_ROWS):
            self.fields[f"option_{row}_currency"] = _text(label="Currency", max_length=3)
            self.fields[f"option_{row}_amount"] = _text(label="Amount")

    def tier_rows(self):
        return [
            (self[f"tier_{row}_up_to"], self[f"tier_{row}_unit"], self[f"tier_{row}_flat"])
            for row in range(TIER_ROWS)
        ]

    def option_rows(self):
        return [
            (self[f"option_{row}_currency"], self[f"option_{row}_amount"])
            for row in range(OPTION_ROWS)
        ]

    def new_price(self, product_id: str) -> NewPrice:
        """The price, checked as ``POST /v1/prices`` checks the same parameters."""
        return new_price_parse(self._params(product_id))

    def _params(self, product_id: str) -> dict[str, Any]:
        data = self.cleaned_data
        currency = data["currency"].strip().lower()
        scheme = data["scheme"]
        params: dict[str, Any] = {"product": product_id, "currency": currency}
        for name in ("nickname", "lookup_key"):
            if data.get(name):
                params[name] = data[name]
        if scheme in ("graduated", "volume"):
            params["billing_scheme"] = "tiered"
            params["tiers_mode"] = scheme
            params["tiers"] = self._tiers(currency)
        elif scheme == "custom":
            params["custom_unit_amount"] = {"enabled": "true"}
            for name in ("minimum", "maximum", "preset"):
                if data.get(f"custom_{name}"):
                    whole = minor_decimal(data[f"custom_{name}"], currency, f"custom_{name}")
                    params["custom_unit_amount"][name] = whole
        else:
            if data.get("unit_amount"):
                params["unit_amount_decimal"] = minor_decimal(
                    data["unit_amount"], currency, "unit_amount"
                )
            if scheme == "package":
                params["transform_quantity"] = {
                    "divide_by": data.get("package_size") or "",
                    "round": data.get("package_round") or "up",
                }
        if data.get("interval"):
            params["recurring"] = {
                "interval": data["interval"],
                "interval_count": data.get("interval_count") or 1,
                "usage_type": data.get("usage_type") or "licensed",
            }
            if data.get("trial_period_days"):
                params["recurring"]["trial_period_days"] = data["trial_period_days"]
        options = {}
        for row in range(OPTION_ROWS):
            code, amount = data.get(f"option_{row}_currency"), data.get(f"option_{row}_amount")
            if code and amount:
                code = code.strip().lower()
                options[code] = {
                    "unit_amount_decimal": minor_decimal(amount, code, f"option_{row}_amount")
                }
        if options:
            params["currency_options"] = options
        return params

    def _tiers(self, currency: str) -> list[dict[str, Any]]:
        tiers = []
        for row in range(TIER_ROWS):
            up_to, unit, flat = (
                self.cleaned_data.get(f"tier_{row}_{name}") for name in ("up_to", "unit", "flat")
            )
            if not (up_to or unit or flat):
                continue
            tier: dict[str, Any] = {"up_to": up_to.strip() if up_to else "inf"}
            if unit:
                tier["unit_amount_decimal"] = minor_decimal(unit, currency, f"tier_{row}_unit")
            if flat:
                tier["flat_amount_decimal"] = minor_decimal(flat, currency, f"tier_{row}_flat")
            tiers.append(tier)
        return tiers


class CouponForm(forms.Form):
    id = _text(label="Code (id)", max_length=64)
    name = _text(max_length=40)
    percent_off = forms.DecimalField(
        required=False, max_digits=5, decimal_places=2, widget=UnfoldAdminDecimalFieldWidget
    )
    amount_off = _text(label="Amount off")
    currency = _text(max_length=3, initial="usd")
    duration = forms.ChoiceField(
        choices=[("once", "Once"), ("repeating", "Repeating"), ("forever", "Forever")],
        widget=UnfoldAdminSelectWidget,
    )
    duration_in_months = forms.IntegerField(
        required=False, min_value=1, widget=UnfoldAdminIntegerFieldWidget
    )
    max_redemptions = forms.IntegerField(
        required=False, min_value=1, widget=UnfoldAdminIntegerFieldWidget
    )

    def new_coupon(self) -> NewCoupon:
        """The coupon, checked as ``POST /v1/coupons`` checks the same parameters."""
        return new_coupon_parse(self._params())

    def _params(self) -> dict[str, Any]:
        data = self.cleaned_data
        params = {
            k: data[k]
            for k in ("id", "name", "duration", "duration_in_months", "max_redemptions")
            if data.get(k) not in (None, "")
        }
        if data.get("percent_off") is not None:
            params["percent_off"] = str(data["percent_off"])
        if data.get("amount_off"):
            currency = (data.get("currency") or "usd").lower()
            try:
                params["amount_off"] = money.parse_major(data["amount_off"], currency)
            except money.MoneyError as exc:
                raise forms.ValidationError({"amount_off": str(exc)}) from exc
            params["currency"] = currency
        return params


class PromotionCodeForm(forms.Form):
    code = forms.CharField(max_length=500, widget=UnfoldAdminTextInputWidget)
    max_redemptions = forms.IntegerField(
        required=False, min_value=1, widget=UnfoldAdminIntegerFieldWidget
    )
    first_time_transaction = forms.BooleanField(required=False)


class FxRateForm(forms.Form):
    effective_on = forms.DateField(
        label="Date", widget=UnfoldAdminTextInputWidget(attrs={"type": "date"})
    )
    base = forms.CharField(max_length=3, widget=UnfoldAdminTextInputWidget)
    quote = forms.CharField(max_length=3, widget=UnfoldAdminTextInputWidget)
    rate = forms.CharField(max_length=30, widget=UnfoldAdminTextInputWidget)


class FxImportForm(forms.Form):
    file = forms.FileField(help_text="CSV with the header date,base,quote,rate")


def tax_rates_field(account, *, help_text: str) -> forms.MultipleChoiceField:
    """A choice of the account's active tax rates, by name and rate ("VAT 20 % (exclusive)")."""
    rates = TaxRate.objects.filter(account=account, active=True).order_by("display_name", "id")
    return forms.MultipleChoiceField(
        label="Default tax rates",
        required=False,
        help_text=help_text,
        choices=[(rate.id, str(rate)) for rate in rates[:200]],
        widget=UnfoldAdminSelectMultipleWidget(attrs={"size": 3}),
    )
