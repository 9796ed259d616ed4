"""Dashboard forms for customers; each feeds a service, whose refusals come back as errors."""

from django import forms
from unfold.widgets import (
    UnfoldAdminEmailInputWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from apps.core import money


class CustomerForm(forms.Form):
    email = forms.CharField(required=False, max_length=512, widget=UnfoldAdminEmailInputWidget)
    name = forms.CharField(required=False, max_length=256, widget=UnfoldAdminTextInputWidget)
    phone = forms.CharField(required=False, max_length=40, widget=UnfoldAdminTextInputWidget)
    description = forms.CharField(
        required=False, max_length=5000, widget=UnfoldAdminTextareaWidget(attrs={"rows": 2})
    )

    def params(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.fields}


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
