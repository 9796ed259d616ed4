"""Forms of the billing customizations page: an implementation's settings, generated from its
``ConfigField`` list, and what to preview a draft choice on. Input shape only: the service
(``config_clean``) decides what a setting may be."""

from django import forms
from unfold.widgets import (
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanWidget,
)

from apps.accounts.models import Account
from apps.catalog.labels import price_label
from apps.catalog.models import Price
from apps.core import money
from apps.invoices.engine.stages import ConfigField, Implementation, Stage
from apps.subscriptions.enums import SubscriptionStatus
from apps.subscriptions.models import Subscription

# Subscriptions a preview may be run on: those that will be invoiced again.
PREVIEWABLE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE)
PREVIEW_CHOICES_LIMIT = 200


class MoneyField(forms.CharField):
    """An amount typed in major units of ``currency`` ("5.00"), cleaned to minor units."""

    def __init__(self, *, currency: str, **kwargs) -> None:
        self.currency = currency
        kwargs.setdefault(
            "widget", UnfoldAdminTextInputWidget(attrs={"inputmode": "decimal", "maxlength": 24})
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return money.major_text(value, self.currency)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            return money.parse_major(text, self.currency)
        except money.MoneyError as error:
            raise forms.ValidationError(str(error)) from None


def config_form_field(field: ConfigField, *, currency: str) -> forms.Field:
    """The form field of one setting; money is typed in the account's currency."""
    common = {"label": field.label, "help_text": field.help, "initial": field.default}
    if field.kind == "monetary_amount":
        help_text = " ".join(filter(None, [field.help, f"In {currency.upper()}, e.g. 5.00."]))
        return MoneyField(currency=currency, **{**common, "help_text": help_text})
    if field.kind == "integer":
        return forms.IntegerField(widget=UnfoldAdminTextInputWidget, **common)
    if field.kind == "percent":
        return forms.IntegerField(
            min_value=0, max_value=100, widget=UnfoldAdminTextInputWidget, **common
        )
    if field.kind == "enum":
        return forms.ChoiceField(
            choices=[(choice, choice.replace("_", " ")) for choice in field.choices],
            widget=UnfoldAdminSelectWidget,
            **common,
        )
    if field.kind == "boolean":
        return forms.BooleanField(required=False, widget=UnfoldBooleanWidget, **common)
    raise ValueError(f"No form field for settings of kind {field.kind!r}")


def _recurring_prices(account: Account) -> dict[str, Price]:
    rows = (
        Price.objects.filter(account=account, active=True, type="recurring")
        .select_related("product")
        .order_by("product__name", "id")
    )
    return {price.id: price for price in rows}


class ChoiceForm(forms.Form):
    """The settings of one implementation (fields named ``config[<name>]``, as the service names
    a bad one) and, for a per-price stage, the price it applies to."""

    def __init__(
        self,
        *args,
        account: Account,
        stage: Stage,
        implementation: Implementation,
        config: dict | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.implementation = implementation
        self.names = {}
        for field in implementation.config:
            name = f"config[{field.name}]"
            self.names[name] = field.name
            self.fields[name] = config_form_field(field, currency=account.default_currency)
            if config and field.name in config:
                self.initial[name] = config[field.name]
        self.prices: dict[str, Price] = {}
        if stage.per_price:
            self.prices = _recurring_prices(account)
            self.fields["price"] = forms.ChoiceField(
                label="Applies to",
                required=False,
                choices=[("", "Every price (the account's choice)")]
                + [(price.id, price_label(price)) for price in self.prices.values()],
                widget=UnfoldAdminSelectWidget,
            )

    def config_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.names]

    def config(self) -> dict:
        return {key: self.cleaned_data[name] for name, key in self.names.items()}

    def picked_price(self) -> Price | None:
        return self.prices.get(self.cleaned_data.get("price") or "")


class PreviewForm(forms.Form):
    """Which subscription to preview the draft on; for prorations, the price its first item
    moves to."""

    subscription = forms.ChoiceField(label="Subscription", widget=UnfoldAdminSelectWidget)
    change_to = forms.ChoiceField(
        label="Move its first item to", required=False, widget=UnfoldAdminSelectWidget
    )

    def __init__(self, *args, account: Account, stage: Stage, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stage = stage
        rows = (
            Subscription.objects.filter(account=account, status__in=PREVIEWABLE)
            .select_related("customer", "account")
            .order_by("-id")[:PREVIEW_CHOICES_LIMIT]
        )
        self.subscriptions = {row.id: row for row in rows}
        self.fields["subscription"].choices = [
            (row.id, f"{row.id} · {row.customer.name or row.customer.email or row.customer_id}")
            for row in self.subscriptions.values()
        ]
        self.prices = _recurring_prices(account) if stage.id == "billing.prorations" else {}
        if self.prices:
            self.fields["change_to"].choices = [
                (price.id, price_label(price)) for price in self.prices.values()
            ]
        else:
            del self.fields["change_to"]

    def clean(self):
        cleaned = super().clean()
        if "change_to" in self.fields and not cleaned.get("change_to"):
            self.add_error("change_to", "Choose the price to preview the change to.")
        return cleaned

    def picked_subscription(self) -> Subscription:
        return self.subscriptions[self.cleaned_data["subscription"]]

    def picked_change_to(self) -> Price | None:
        return self.prices.get(self.cleaned_data.get("change_to") or "")
