"""Dashboard forms of subscriptions: the input's shape only; the services decide (and refuse).

The new-subscription form carries ``now``, the moment the page was shown: the live preview and
the creation both start the subscription then, so what staff read is what is billed. Times are
typed in UTC.
"""

from datetime import datetime, timedelta

from django import forms
from unfold.widgets import (
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
)

from apps.catalog.forms import tax_rates_field
from apps.catalog.models import Price
from apps.core import clock, money
from apps.customers.models import Customer
from apps.customers.selectors import customer_get, customer_list
from apps.subscriptions.models import Subscription
from apps.subscriptions.planning import ItemRequest
from apps.subscriptions.services.settings import PauseCollection, SubscriptionSettings

ITEM_ROWS = 4
COLLECTION_METHODS = [
    ("charge_automatically", "Charge the default payment method automatically"),
    ("send_invoice", "Email an invoice to pay"),
]
ANCHOR_PRORATIONS = [
    ("create_prorations", "Bill the time up to the anchor now (prorated)"),
    ("none", "Do not bill the time up to the anchor"),
]


def _moment(**kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        required=False,
        widget=UnfoldAdminTextInputWidget(attrs={"type": "datetime-local"}),
        **kwargs,
    )


def _whole(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(required=False, widget=UnfoldAdminIntegerFieldWidget, **kwargs)


def recurring_prices(account, *, currency: str | None = None, interval=None) -> dict[str, Price]:
    rows = Price.objects.filter(account=account, active=True, recurring__isnull=False)
    if currency:
        rows = rows.filter(currency=currency)
    if interval:
        rows = rows.filter(recurring__interval=interval[0], recurring__interval_count=interval[1])
    return {price.id: price for price in rows.select_related("product").order_by("id")}


def price_label(price: Price) -> str:
    recurring = price.recurring or {}
    every = recurring.get("interval", "")
    if recurring.get("interval_count", 1) != 1:
        every = f"{recurring['interval_count']} {every}s"
    amount = (
        money.format_amount(price.unit_amount, price.currency)
        if price.unit_amount is not None
        else price.currency.upper()
    )
    return f"{price.product.name} · {price.nickname or amount} / {every}"


def item_trial_end(data: dict, now: datetime) -> datetime | None:
    """An item's own trial: a number of days from ``now`` or an end time."""
    days = data.get("trial_days")
    return now + timedelta(days=days) if days else data.get("trial_end")


class _TrialFields(forms.Form):
    trial_days = _whole(min_value=1, max_value=730, label="Trial days")
    trial_end = _moment(label="or trial ends (UTC)")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("trial_days") and cleaned.get("trial_end"):
            self.add_error("trial_end", "Give trial days or a trial end, not both.")
        return cleaned


class ItemRowForm(_TrialFields):
    """One item of a new subscription; a row without a price is left out."""

    price = forms.ChoiceField(required=False, widget=UnfoldAdminSelectWidget)
    quantity = forms.IntegerField(
        min_value=1, max_value=1_000_000, initial=1, widget=UnfoldAdminIntegerFieldWidget
    )

    custom_amount = forms.CharField(
        required=False,
        max_length=20,
        label="Amount chosen",
        widget=UnfoldAdminTextInputWidget(attrs={"inputmode": "decimal"}),
    )

    def __init__(self, *args, prices: dict[str, Price], **kwargs):
        super().__init__(*args, **kwargs)
        self.prices = prices
        self.fields["price"].choices = [("", "—")] + [
            (price.id, price_label(price)) for price in prices.values()
        ]

    def clean(self):
        cleaned = super().clean()
        text = (cleaned.get("custom_amount") or "").strip()
        price = self.prices.get(cleaned.get("price") or "")
        cleaned["custom_unit_amount"] = None
        if text and price is not None:
            if not price.custom_unit_amount:
                self.add_error("custom_amount", "Only a pay-what-you-want price takes an amount.")
            else:
                try:
                    amount = money.parse_major(text, price.currency)
                except money.MoneyError as error:
                    self.add_error("custom_amount", str(error))
                else:
                    self._custom_amount_check(price, amount)
                    cleaned["custom_unit_amount"] = amount
        return cleaned

    def _custom_amount_check(self, price: Price, amount: int) -> None:
        terms = price.custom_unit_amount
        for bound, fails, word in (
            ("minimum", amount.__lt__, "least"),
            ("maximum", amount.__gt__, "most"),
        ):
            limit = terms.get(bound)
            if limit is not None and fails(limit):
                shown = money.format_amount(limit, price.currency)
                self.add_error("custom_amount", f"The amount must be at {word} {shown}.")


class NewSubscriptionForm(forms.Form):
    customer = forms.CharField(
        max_length=254,
        help_text="A customer id (cus_…) or an exact email.",
        widget=UnfoldAdminTextInputWidget(attrs={"list": "customer-choices"}),
    )
    collection_method = forms.ChoiceField(
        choices=COLLECTION_METHODS, widget=UnfoldAdminSelectWidget
    )
    days_until_due = _whole(min_value=0, max_value=365, label="Days until due")
    coupon = forms.CharField(required=False, max_length=64, widget=UnfoldAdminTextInputWidget)
    promotion_code = forms.CharField(
        required=False, max_length=500, widget=UnfoldAdminTextInputWidget
    )
    billing_cycle_anchor = _moment(
        label="Billing cycle anchor (UTC)", help_text="Empty: the cycle starts now."
    )
    proration_behavior = forms.ChoiceField(
        choices=ANCHOR_PRORATIONS, label="Before the anchor", widget=UnfoldAdminSelectWidget
    )
    # The moment the page was shown (epoch seconds): the subscription starts then.
    now = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.fields["default_tax_rates"] = tax_rates_field(
            account, help_text="Taxes on every item of the subscription's invoices."
        )
        self.item_forms = ItemFormSet(
            *args, prefix="items", form_kwargs={"prices": recurring_prices(account)}
        )

    def customer_choices(self) -> list[Customer]:
        return list(customer_list(account=self.account).order_by("-id")[:50])

    def clean_customer(self) -> Customer:
        value = self.cleaned_data["customer"].strip()
        customer = (
            customer_get(account=self.account, customer_id=value)
            if value.startswith("cus_")
            else customer_list(account=self.account, email=value).order_by("-id").first()
        )
        if customer is None:
            raise forms.ValidationError(f"No customer {value}.")
        return customer

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("collection_method") == "send_invoice" and (
            cleaned.get("days_until_due") is None
        ):
            self.add_error("days_until_due", "An emailed invoice needs days until due.")
        if cleaned.get("coupon") and cleaned.get("promotion_code"):
            self.add_error("promotion_code", "Give a coupon or a promotion code, not both.")
        return cleaned

    def is_valid(self) -> bool:
        valid = super().is_valid()
        return self.item_forms.is_valid() and valid

    def starts_at(self, customer: Customer) -> datetime:
        """The pinned start; a customer on a test clock starts at the clock's frozen time."""
        if customer.test_clock_id:
            return clock.now(test_clock_id=customer.test_clock_id)
        return clock.from_epoch(self.cleaned_data["now"])

    def priced_rows(self) -> list[ItemRowForm]:
        """The item rows with a price, in order: the service's ``items[N]``."""
        return [row for row in self.item_forms if row.cleaned_data.get("price")]

    def items(self, starts_at: datetime) -> list[ItemRequest]:
        return [
            ItemRequest(
                price=row.prices[row.cleaned_data["price"]],
                quantity=row.cleaned_data.get("quantity") or 1,
                trial_end=item_trial_end(row.cleaned_data, starts_at),
                custom_unit_amount=row.cleaned_data.get("custom_unit_amount"),
            )
            for row in self.priced_rows()
        ]

    def service_args(self) -> dict | None:
        """subscription_create's (and its preview's) arguments; None (with the form's error)
        without an item."""
        data = self.cleaned_data
        customer = data["customer"]
        starts_at = self.starts_at(customer)
        items = self.items(starts_at)
        if not items:
            self.add_error(None, "Pick a price for at least one item.")
            return None
        return {
            "customer": customer,
            "items": items,
            "starts_at": starts_at,
            "billing_cycle_anchor": data.get("billing_cycle_anchor"),
            "proration_behavior": data["proration_behavior"],
            "collection_method": data["collection_method"],
            "days_until_due": data.get("days_until_due"),
            "coupon_id": data.get("coupon") or None,
            "promotion_code": data.get("promotion_code") or None,
            "default_tax_rates": data.get("default_tax_rates") or [],
        }


ItemFormSet = forms.formset_factory(ItemRowForm, extra=ITEM_ROWS, max_num=20)


class AddItemForm(_TrialFields):
    price = forms.ChoiceField(widget=UnfoldAdminSelectWidget)
    quantity = forms.IntegerField(
        min_value=1, max_value=1_000_000, initial=1, widget=UnfoldAdminIntegerFieldWidget
    )
    proration_behavior = forms.ChoiceField(
        choices=[
            ("create_prorations", "Prorate on the next invoice"),
            ("none", "No proration"),
        ],
        widget=UnfoldAdminSelectWidget,
    )

    def __init__(self, *args, subscription: Subscription, **kwargs):
        super().__init__(*args, **kwargs)
        self.prices = recurring_prices(
            subscription.account,
            currency=subscription.currency,
            interval=(subscription.interval, subscription.interval_count),
        )
        self.fields["price"].choices = [(p.id, price_label(p)) for p in self.prices.values()]


class PauseForm(forms.Form):
    behavior = forms.ChoiceField(
        choices=[
            ("keep_as_draft", "Keep invoices as drafts"),
            ("mark_uncollectible", "Mark invoices uncollectible"),
            ("void", "Void invoices"),
        ],
        widget=UnfoldAdminSelectWidget,
    )
    resumes_at = _moment(label="Resume on (UTC, optional)")

    def settings(self) -> SubscriptionSettings:
        data = self.cleaned_data
        return SubscriptionSettings(
            pause_collection=PauseCollection(
                behavior=data["behavior"], resumes_at=data.get("resumes_at") or None
            )
        )


class ResumeForm(forms.Form):
    billing_cycle_anchor = forms.ChoiceField(
        choices=[
            ("now", "Start a new period now and invoice it"),
            ("unchanged", "Keep the billing cycle"),
        ],
        widget=UnfoldAdminSelectWidget,
    )
    proration_behavior = forms.ChoiceField(
        choices=[
            ("create_prorations", "Prorate on the next invoice"),
            ("always_invoice", "Prorate and invoice now"),
            ("none", "No proration"),
        ],
        widget=UnfoldAdminSelectWidget,
    )


class TaxRatesForm(forms.Form):
    """The subscription's default tax rates, for the invoices to come."""

    def __init__(self, *args, subscription: Subscription, **kwargs):
        super().__init__(
            *args, initial={"default_tax_rates": subscription.default_tax_rates}, **kwargs
        )
        self.fields["default_tax_rates"] = tax_rates_field(
            subscription.account,
            help_text="Taxes on every item without its own, from the next invoice on.",
        )

    def settings(self) -> SubscriptionSettings:
        return SubscriptionSettings(default_tax_rates=self.cleaned_data["default_tax_rates"])


class CancelAtForm(forms.Form):
    cancel_at = forms.DateTimeField(
        label="Cancel on (UTC)",
        widget=UnfoldAdminTextInputWidget(attrs={"type": "datetime-local"}),
    )
    proration_behavior = forms.ChoiceField(
        choices=[
            ("create_prorations", "Credit the unused time"),
            ("none", "No credit"),
        ],
        widget=UnfoldAdminSelectWidget,
    )

    def settings(self) -> SubscriptionSettings:
        data = self.cleaned_data
        return SubscriptionSettings(
            cancel_at=data["cancel_at"], proration_behavior=data["proration_behavior"]
        )


def service_error_to_new_form(form: NewSubscriptionForm, error) -> None:
    """A service's refusal on the field it names: ``items[N][…]`` on the N-th priced row."""
    param = error.param or ""
    if param.startswith("items["):
        index, _, rest = param[len("items[") :].partition("]")
        rows = form.priced_rows()
        if index.isdigit() and int(index) < len(rows):
            row = rows[int(index)]
            field = "trial_end" if "trial_end" in rest else "price"
            row.add_error(field, error.message)
            form.add_error(None, f"Item {int(index) + 1}: {error.message}")
            return
    names = {"coupon": "coupon", "promotion_code": "promotion_code"}
    field = names.get(param) or (param if param in form.fields else None)
    form.add_error(field, error.message)
