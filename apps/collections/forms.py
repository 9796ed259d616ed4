"""Dashboard forms of collections: the collection settings, the failed-payments queue's filters
and the recovery report's date range. Input shape only; services and selectors decide."""

from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from unfold.widgets import (
    UnfoldAdminRadioSelectWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanSwitchWidget,
)

from apps.collections.models import CollectionSettings
from apps.collections.recovery import MAX_RANGE_DAYS
from apps.collections.schedule import policy_errors
from apps.collections.selectors import RETRY_DUE_24H, RETRY_NONE, RETRY_SCHEDULED
from apps.collections.settings_services import EMAIL_FIELDS

WINDOWS = [(7, "1 week"), (14, "2 weeks"), (21, "3 weeks"), (30, "1 month"), (60, "2 months")]
EMAIL_LABELS = {
    "email_payment_failed": "Payment failed (with the next retry and a link to update the card)",
    "email_final_notice": "Final notice (instead, when one retry or none is left)",
    "email_receipt": "Receipt when an invoice is paid",
    "email_upcoming_renewal": "Upcoming renewal",
    "email_card_expiring": "Card about to expire",
}


class CollectionSettingsForm(forms.Form):
    retry_mode = forms.ChoiceField(
        label="Retry schedule",
        choices=[
            ("smart", "Smart retries: a number of tries within a window"),
            ("custom", "Custom: each retry a number of days after the attempt before it"),
        ],
        widget=UnfoldAdminRadioSelectWidget,
    )
    retry_attempts = forms.IntegerField(
        label="Tries (the first attempt included)",
        required=False,
        widget=UnfoldAdminTextInputWidget(attrs={"inputmode": "numeric"}),
    )
    retry_window_days = forms.TypedChoiceField(
        label="Within",
        choices=WINDOWS,
        coerce=int,
        required=False,
        widget=UnfoldAdminSelectWidget,
    )
    retry_delays = forms.CharField(
        label="Days before each retry",
        required=False,
        max_length=100,
        help_text="Custom schedule: days separated by commas, e.g. 3, 5, 5.",
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": "3, 5, 5"}),
    )
    subscription_after = forms.ChoiceField(
        label="After the last retry, the subscription is",
        choices=[
            ("cancel", "Canceled"),
            ("unpaid", "Marked unpaid"),
            ("past_due", "Left past due"),
        ],
        widget=UnfoldAdminRadioSelectWidget,
    )
    invoice_after = forms.ChoiceField(
        label="After the last retry, the invoice is",
        choices=[("uncollectible", "Marked uncollectible"), ("open", "Left open (past due)")],
        widget=UnfoldAdminRadioSelectWidget,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in EMAIL_FIELDS:
            self.fields[name] = forms.BooleanField(
                label=EMAIL_LABELS[name], required=False, widget=UnfoldBooleanSwitchWidget
            )

    @classmethod
    def initial_of(cls, row: CollectionSettings) -> dict:
        return {
            "retry_mode": row.retry_mode,
            "retry_attempts": row.retry_attempts,
            "retry_window_days": row.retry_window_days,
            "retry_delays": ", ".join(str(days) for days in row.retry_delays or ()),
            "subscription_after": row.subscription_after,
            "invoice_after": row.invoice_after,
            **{name: getattr(row, name) for name in EMAIL_FIELDS},
        }

    def email_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in EMAIL_FIELDS]

    def clean_retry_delays(self) -> list:
        text = self.cleaned_data["retry_delays"].strip().rstrip(",")
        if not text:
            return []
        try:
            return [int(part) for part in text.split(",")]
        except ValueError:
            raise ValidationError("Whole numbers of days, separated by commas.") from None

    def clean(self):
        data = super().clean()
        mode = data.get("retry_mode")
        if mode == "smart":
            for name in ("retry_attempts", "retry_window_days"):
                if data.get(name) in (None, "") and name not in self.errors:
                    self.add_error(name, "This field is required.")
        if mode is None or self.errors:
            return data
        errors = policy_errors(
            mode=mode,
            attempts=data.get("retry_attempts") or 0,
            window_days=data.get("retry_window_days") or 0,
            delays_days=data.get("retry_delays") or [],
        )
        for name, message in errors.items():
            self.add_error(name, message)
        return data

    def changes(self) -> dict:
        """What the service is asked to write: the chosen mode's policy fields, the rest."""
        data = self.cleaned_data
        if data["retry_mode"] == "smart":
            policy = ("retry_attempts", "retry_window_days")
        else:
            policy = ("retry_delays",)
        names = ("retry_mode", *policy, "subscription_after", "invoice_after", *EMAIL_FIELDS)
        return {name: data[name] for name in names}


class FailedPaymentFilterForm(forms.Form):
    q = forms.CharField(
        label="Customer",
        required=False,
        max_length=200,
        widget=UnfoldAdminTextInputWidget(
            attrs={"placeholder": "Email, name, customer or invoice"}
        ),
    )
    decline_code = forms.ChoiceField(
        label="Last decline", required=False, widget=UnfoldAdminSelectWidget
    )
    retry = forms.ChoiceField(
        label="Next retry",
        required=False,
        choices=[
            ("", "Any"),
            (RETRY_SCHEDULED, "Scheduled"),
            (RETRY_DUE_24H, "Due within 24 hours"),
            (RETRY_NONE, "No more retries"),
        ],
        widget=UnfoldAdminSelectWidget,
    )

    def __init__(self, *args, codes: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A code asked for stays a choice when no invoice has it (any more): the list is empty.
        asked = self.data.get("decline_code", "") if self.is_bound else ""
        choices = sorted({*codes, asked} - {""})
        self.fields["decline_code"].choices = [("", "Any"), *[(code, code) for code in choices]]

    def filters(self) -> dict:
        """The selector's filters; a field with an invalid value filters on nothing."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "search": data.get("q", ""),
            "decline_code": data.get("decline_code", ""),
            "retry": data.get("retry", ""),
        }


class RecoveryRangeForm(forms.Form):
    start = forms.DateField(label="From", widget=UnfoldAdminSingleDateWidget)
    end = forms.DateField(label="To", widget=UnfoldAdminSingleDateWidget)

    @staticmethod
    def default_range(today: date) -> dict:
        """The last 30 days, today included."""
        return {"start": today - timedelta(days=29), "end": today}

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The range ends before it starts.")
            elif (end - start).days + 1 > MAX_RANGE_DAYS:
                self.add_error("end", f"A report covers at most {MAX_RANGE_DAYS} days.")
        return data
