"""Dashboard → Product catalog → Tax rates: the list and the form adding one; registered by
``admin.py``."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from unfold.decorators import action, display
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
)

from apps.accounts.dashboard.admin_base import ObjectHistoryMixin
from apps.accounts.dashboard.badges import STATUS_VARIANTS
from apps.catalog.admin_common import CatalogAdmin, form_submit
from apps.catalog.models import TaxRate
from apps.catalog.services import NewTaxRate, tax_rate_create


def _text(label: str, max_length: int, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        help_text=help_text,
        widget=UnfoldAdminTextInputWidget,
    )


class TaxRateForm(forms.Form):
    display_name = forms.CharField(
        label="Name on invoices",
        max_length=50,
        help_text="What the customer sees, such as VAT or Sales tax.",
        widget=UnfoldAdminTextInputWidget,
    )
    percentage = forms.DecimalField(
        label="Rate (%)",
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=8,
        decimal_places=4,
        widget=UnfoldAdminDecimalFieldWidget,
    )
    inclusive = forms.TypedChoiceField(
        label="Prices",
        choices=[
            ("false", "Exclusive: the tax is added to the price"),
            ("true", "Inclusive: the price already contains the tax"),
        ],
        coerce=lambda value: value == "true",
        widget=UnfoldAdminSelectWidget,
    )
    country = _text("Country", 2, "Two letters, such as DE.")
    state = _text("State or region", 3, "Such as NY, without the country.")
    jurisdiction = _text("Jurisdiction", 50, "Shown on invoices, such as DE or US - NY.")
    description = _text("Internal note", 500, "Not shown to customers.")

    def clean_country(self) -> str:
        return self.cleaned_data["country"].strip().upper()

    def clean_state(self) -> str:
        return self.cleaned_data["state"].strip().upper()

    def new_tax_rate(self) -> NewTaxRate:
        data = self.cleaned_data
        return NewTaxRate(
            display_name=data["display_name"],
            percentage=data["percentage"],
            inclusive=data["inclusive"],
            country=data["country"],
            state=data["state"],
            jurisdiction=data["jurisdiction"].strip(),
            description=data["description"].strip(),
        )


class TaxRateAdmin(ObjectHistoryMixin, CatalogAdmin):
    list_display = ("display_name", "rate", "kind", "jurisdiction", "country", "active_badge")
    search_fields = ("display_name", "=id", "jurisdiction")
    list_filter = ("active", "inclusive")
    actions_list = ("create_tax_rate",)

    @display(description="Rate")
    def rate(self, obj: TaxRate) -> str:
        return f"{obj.percentage.normalize():f} %"

    @display(description="Prices")
    def kind(self, obj: TaxRate) -> str:
        return "Inclusive" if obj.inclusive else "Exclusive"

    @display(description="Status", label=STATUS_VARIANTS)
    def active_badge(self, obj: TaxRate) -> tuple[str, str]:
        return ("active", "Active") if obj.active else ("expired", "Inactive")

    @action(description="Add tax rate", icon="add", permissions=["create"])
    def create_tax_rate(self, request):
        return redirect("admin:catalog_taxrate_create")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("create/", view(self.create_view), name="catalog_taxrate_create"),
            *super().get_urls(),
        ]

    def create_view(self, request: HttpRequest) -> HttpResponse:
        form = TaxRateForm(request.POST or None)
        if request.method == "POST":
            rate = form_submit(
                request,
                form,
                lambda actor: tax_rate_create(
                    account=request.account, rate=form.new_tax_rate(), actor=actor
                ),
                allowed=self.can_write(request),
            )
            if rate is not None:
                messages.success(request, f"Tax rate {rate} was created.")
                return redirect("admin:catalog_taxrate_changelist")
        return self._page(
            request,
            "dashboard/form_page.html",
            "Add tax rate",
            form=form,
            cancel_url=reverse("admin:catalog_taxrate_changelist"),
        )
