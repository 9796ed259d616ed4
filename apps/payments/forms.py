"""Dashboard forms for charges and refunds; amounts are typed in major units."""

from django import forms
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from apps.core import money
from apps.payments.enums import RefundReason


class _AmountForm(forms.Form):
    amount = forms.CharField(max_length=20, widget=UnfoldAdminTextInputWidget)

    def currency(self) -> str:
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if data.get("amount"):
            try:
                data["minor"] = money.parse_major(data["amount"], self.currency())
            except money.MoneyError as error:
                self.add_error("amount", str(error))
        return data


class ChargeForm(_AmountForm):
    payment_method = forms.ChoiceField(widget=UnfoldAdminSelectWidget)
    currency_code = forms.CharField(
        label="Currency", max_length=3, initial="usd", widget=UnfoldAdminTextInputWidget
    )
    description = forms.CharField(
        required=False, max_length=1000, widget=UnfoldAdminTextInputWidget
    )

    def __init__(self, *args, payment_methods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment_method"].choices = [(pm.id, str(pm)) for pm in payment_methods]

    def currency(self) -> str:
        return self.data.get("currency_code") or "usd"


class RefundForm(_AmountForm):
    reason = forms.ChoiceField(
        required=False,
        choices=[("", "—"), *RefundReason.choices],
        widget=UnfoldAdminSelectWidget,
    )

    def __init__(
        self, *args, charge_currency: str = "usd", refundable: int | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self._currency = charge_currency
        self._refundable = refundable

    def currency(self) -> str:
        return self._currency

    def clean(self):
        # Checked before the confirmation page, so staff never confirm a refund that cannot be
        # made; the service checks again under the charge's lock.
        data = super().clean()
        minor = data.get("minor")
        if minor is not None and self._refundable is not None and minor > self._refundable:
            self.add_error(
                "amount",
                f"Refund amount ({money.format_amount(minor, self._currency)}) is greater than "
                "the unrefunded amount on the charge "
                f"({money.format_amount(self._refundable, self._currency)}).",
            )
        return data


class PaymentSettingsForm(forms.Form):
    fee_percent = forms.DecimalField(
        label="Processing fee (%)",
        max_digits=5,
        decimal_places=3,
        widget=UnfoldAdminTextInputWidget,
    )
    fee_fixed = forms.IntegerField(
        label="Fixed fee per charge (minor units of the charge currency)",
        min_value=0,
        widget=UnfoldAdminTextInputWidget,
    )
    availability_days = forms.IntegerField(
        label="Days until funds are available", min_value=0, widget=UnfoldAdminTextInputWidget
    )
