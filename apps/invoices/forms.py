"""Dashboard forms for one-off invoices and draft items: input shape only; the services decide.

Amounts are typed in major units ("12.50") and turned into minor units for the invoice's
currency by the views, which know it.
"""

from decimal import Decimal

from django import forms
from unfold.widgets import (
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from apps.catalog.forms import tax_rates_field
from apps.catalog.models import Price
from apps.catalog.selectors import coupon_list, price_list
from apps.core import money
from apps.invoices.invoice_terms import INHERIT, DiscountChoice
from apps.invoices.one_off import InvoiceDraft, NewItem


def one_time_prices(account) -> list[Price]:
    return list(
        price_list(account=account)
        .select_related("product")
        .filter(type="one_time", active=True)
        .order_by("-id")[:200]
    )


def price_choices(prices: list[Price]) -> list[tuple[str, str]]:
    return [("", "—")] + [
        (
            price.id,
            f"{price.product.name} · "
            + (
                money.format_amount(price.unit_amount, price.currency)
                if price.unit_amount is not None
                else price.id
            ),
        )
        for price in prices
    ]


class NewInvoiceForm(forms.Form):
    customer = forms.CharField(
        label="Customer id", max_length=64, widget=UnfoldAdminTextInputWidget
    )
    currency = forms.CharField(max_length=3, widget=UnfoldAdminTextInputWidget(attrs={"size": 4}))
    collection_method = forms.ChoiceField(
        choices=[
            ("charge_automatically", "Charge the customer's payment method"),
            ("send_invoice", "Email the invoice; the customer pays it"),
        ],
        widget=UnfoldAdminSelectWidget,
    )
    days_until_due = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=3650,
        widget=UnfoldAdminTextInputWidget,
        help_text="For emailed invoices: days from today until payment is due.",
    )
    coupon = forms.ChoiceField(required=False, widget=UnfoldAdminSelectWidget)
    description = forms.CharField(
        label="Memo",
        required=False,
        max_length=1500,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}),
    )
    footer = forms.CharField(
        required=False, max_length=5000, widget=UnfoldAdminTextareaWidget(attrs={"rows": 2})
    )
    include_pending = forms.BooleanField(
        label="Include the customer's pending invoice items", required=False, initial=True
    )
    auto_advance = forms.BooleanField(
        label="Finalize automatically an hour after creation", required=False, initial=True
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_tax_rates"] = tax_rates_field(
            account, help_text="Taxes on every line without its own."
        )
        self.fields["coupon"].choices = [("", "No coupon")] + [
            (coupon.coupon_id, f"{coupon.coupon_id}{f' · {coupon.name}' if coupon.name else ''}")
            for coupon in coupon_list(account=account).order_by("-id")[:200]
        ]

    def clean_currency(self) -> str:
        try:
            return money.currency_normalize(self.cleaned_data["currency"])
        except money.MoneyError as error:
            raise forms.ValidationError(str(error)) from error

    def draft(self, items: list[NewItem]) -> InvoiceDraft:
        """The draft the form stands for, with the new ``items``."""
        data = self.cleaned_data
        return InvoiceDraft(
            customer_id=data["customer"].strip(),
            currency=data["currency"],
            collection_method=data["collection_method"],
            days_until_due=data["days_until_due"],
            auto_advance=data["auto_advance"],
            include_pending=data["include_pending"],
            discounts=DiscountChoice(coupon=data["coupon"]) if data["coupon"] else INHERIT,
            description=data["description"],
            footer=data["footer"],
            items=tuple(items),
            default_tax_rates=data.get("default_tax_rates") or [],
        )


class ItemForm(forms.Form):
    """A new item: a unit amount (in major units) or a one-time price, and a quantity."""

    description = forms.CharField(required=False, max_length=500, widget=UnfoldAdminTextInputWidget)
    unit_amount = forms.CharField(
        label="Unit amount",
        required=False,
        max_length=20,
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": "12.50"}),
    )
    price = forms.ChoiceField(label="Or a price", required=False, widget=UnfoldAdminSelectWidget)
    quantity = forms.IntegerField(
        min_value=1, max_value=1_000_000, initial=1, widget=UnfoldAdminTextInputWidget
    )

    def __init__(self, *args, prices: list[Price], **kwargs):
        super().__init__(*args, **kwargs)
        self.prices = {price.id: price for price in prices}
        self.fields["price"].choices = price_choices(prices)

    def clean(self):
        data = super().clean()
        if bool(data.get("unit_amount")) == bool(data.get("price")):
            raise forms.ValidationError("Give a unit amount or pick a price (one of them).")
        return data

    def minor_amount(self, currency: str) -> int | None:
        """The unit amount in minor units of ``currency``; None (with the error on the form)
        if it is not an amount of that currency."""
        try:
            return money.parse_major(self.cleaned_data["unit_amount"], currency)
        except money.MoneyError as error:
            self.add_error("unit_amount", str(error))
            return None


ItemFormSet = forms.formset_factory(ItemForm, extra=5, max_num=50)


def major(amount: int, currency: str) -> str:
    """Minor units as the plain major-unit text the amount fields take (1250 USD → "12.50")."""
    return str(Decimal(amount).scaleb(-money.exponent(currency)))


class ItemEditForm(forms.Form):
    """A draft item's description, unit amount (items without a price) and quantity."""

    description = forms.CharField(required=False, max_length=500, widget=UnfoldAdminTextInputWidget)
    unit_amount = forms.CharField(
        label="Unit amount", required=False, max_length=20, widget=UnfoldAdminTextInputWidget
    )
    quantity = forms.IntegerField(
        min_value=1, max_value=1_000_000, widget=UnfoldAdminTextInputWidget
    )
