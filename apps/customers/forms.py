"""Dashboard forms for customers; each feeds a service, whose refusals come back as errors."""

from django import forms
from unfold.widgets import (
    UnfoldAdminEmailInputWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from apps.core import clock, money
from apps.customers import testcards
from apps.customers.services.customers import CustomerFields
from apps.customers.tax_id_formats import FORMATS as TAX_ID_FORMATS


class CustomerForm(forms.Form):
    email = forms.CharField(required=False, max_length=512, widget=UnfoldAdminEmailInputWidget)
    name = forms.CharField(required=False, max_length=256, widget=UnfoldAdminTextInputWidget)
    phone = forms.CharField(required=False, max_length=40, widget=UnfoldAdminTextInputWidget)
    description = forms.CharField(
        required=False, max_length=5000, widget=UnfoldAdminTextareaWidget(attrs={"rows": 2})
    )

    def fields_set(self) -> CustomerFields:
        """The fields the form edits, as ``customer_create`` and ``customer_update`` take them."""
        return CustomerFields(**{name: self.cleaned_data[name] for name in self.fields})


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Note", max_length=10_000, widget=UnfoldAdminTextareaWidget(attrs={"rows": 3})
    )


class BalanceForm(forms.Form):
    """An amount in major units ("-12.50" credits the customer 12.50)."""

    amount = forms.CharField(label="Amount", max_length=20, widget=UnfoldAdminTextInputWidget)
    currency = forms.CharField(
        max_length=3, initial="usd", widget=UnfoldAdminTextInputWidget(attrs={"size": 4})
    )
    description = forms.CharField(required=False, max_length=350, widget=UnfoldAdminTextInputWidget)

    def clean(self):
        data = super().clean()
        if "amount" in data and "currency" in data:
            try:
                data["minor"] = money.parse_major(data["amount"], data["currency"])
            except money.MoneyError as error:
                self.add_error("amount", str(error))
        return data


def _scenario_label(card: testcards.TestCard) -> str:
    scenario = testcards.SCENARIOS[card.scenario]
    if scenario.outcome == "decline":
        effect = f"declines: {scenario.decline_code}"
    elif scenario.outcome == "block":
        effect = "blocked as fraud"
    elif scenario.outcome == "authenticate":
        effect = "needs 3-D Secure"
    elif scenario.card_update == "reissue":
        effect = "succeeds; reissued with a new expiry by the card updater"
    elif scenario.card_update == "close":
        effect = "succeeds until the card updater closes it"
    elif scenario.dispute_reason:
        effect = f"succeeds, then disputed ({scenario.dispute_reason})"
    else:
        effect = "succeeds"
    if scenario.outcome == "decline" and scenario.attachable:
        effect = "attaches; charges decline"
    return f"{card.brand.title()} {card.number[-4:]} — {effect}"


TEST_CARD_CHOICES = [(number, _scenario_label(card)) for number, card in testcards.CARDS.items()]


class TestCardForm(forms.Form):
    number = forms.ChoiceField(
        label="Test card", choices=TEST_CARD_CHOICES, widget=UnfoldAdminSelectWidget
    )
    exp_month = forms.IntegerField(
        label="Expiry month", min_value=1, max_value=12, widget=UnfoldAdminTextInputWidget
    )
    exp_year = forms.IntegerField(
        label="Expiry year", min_value=2000, max_value=2100, widget=UnfoldAdminTextInputWidget
    )

    @classmethod
    def blank(cls) -> "TestCardForm":
        today = clock.now()
        return cls(initial={"exp_month": today.month, "exp_year": today.year + 3})


class TaxIdForm(forms.Form):
    """A tax id typed by staff; the service checks its format."""

    type = forms.ChoiceField(
        choices=[
            (name, f"{name} (such as {known.example})")
            for name, known in sorted(TAX_ID_FORMATS.items())
        ],
        widget=UnfoldAdminSelectWidget,
    )
    value = forms.CharField(max_length=100, widget=UnfoldAdminTextInputWidget)
