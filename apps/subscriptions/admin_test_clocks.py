"""Dashboard → Billing → Test clocks: list and create clocks; on a clock's page, add a
customer to it (with a test card and a subscription, if chosen), advance it, and read what each
advance did.

An advance is queued for the worker (``invoicing.test_clock_run``); while the clock says
"advancing" its status panel asks for itself again every second (htmx) and stops once the clock
is ready, showing the new advance's history.
"""

from datetime import UTC

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from apps.accounts.dashboard.admin_base import AccountScopedAdmin, dashboard_actor
from apps.accounts.dashboard.forms import service_error_to_form
from apps.accounts.models import TestClock
from apps.core.errors import ApplicationError
from apps.customers.models import Customer
from apps.customers.services import CustomerFields
from apps.invoices.engine.periods import boundary
from apps.subscriptions.clock_history import test_clock_advances
from apps.subscriptions.forms import price_label, recurring_prices
from apps.subscriptions.models import Subscription
from apps.subscriptions.services.test_clocks import (
    test_clock_advance,
    test_clock_create,
    test_clock_customer_create,
)

TEST_CARDS = [
    ("tok_visa", "Visa •••• 4242 (succeeds)"),
    ("tok_chargeDeclined", "Visa •••• 0002 (declined)"),
    ("", "No payment method"),
]


def _moment(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        widget=UnfoldAdminTextInputWidget(attrs={"type": "datetime-local"}),
        help_text="UTC.",
    )


class ClockForm(forms.Form):
    name = forms.CharField(required=False, max_length=300, widget=UnfoldAdminTextInputWidget)
    frozen_time = _moment("Frozen time")


class AdvanceForm(forms.Form):
    frozen_time = _moment("Advance to")


class ClockCustomerForm(forms.Form):
    email = forms.EmailField(widget=UnfoldAdminTextInputWidget)
    name = forms.CharField(required=False, max_length=256, widget=UnfoldAdminTextInputWidget)
    source = forms.ChoiceField(
        label="Test card", required=False, choices=TEST_CARDS, widget=UnfoldAdminSelectWidget
    )
    price = forms.ChoiceField(label="Subscribe to", required=False, widget=UnfoldAdminSelectWidget)

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.prices = recurring_prices(account)
        self.fields["price"].choices = [
            ("", "No subscription"),
            *[(price.id, price_label(price)) for price in self.prices.values()],
        ]


def _utc(value):
    """A typed time is UTC whatever the server's zone (the forms say so)."""
    return timezone.make_naive(value).replace(tzinfo=UTC) if value else value


@admin.register(TestClock)
class TestClockAdmin(AccountScopedAdmin):
    __test__ = False  # not a pytest test class
    ordering = ("-id",)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/customers/",
                view(require_POST(self.customer_view)),
                name="accounts_testclock_customer",
            ),
            path(
                "<path:object_id>/advance/",
                view(require_POST(self.advance_view)),
                name="accounts_testclock_advance",
            ),
            path(
                "<path:object_id>/status/",
                view(self.status_view),
                name="accounts_testclock_status",
            ),
            *super().get_urls(),
        ]

    def _clock(self, request: HttpRequest, object_id: str) -> TestClock:
        row = TestClock.objects.filter(account=request.account, id=unquote(object_id)).first()
        if row is None:
            raise Http404("No such test clock")
        return row

    def _refused(self, request: HttpRequest, row: TestClock) -> HttpResponse | None:
        """A member whose role cannot write is sent back, told why, before anything runs."""
        if self.can_write(request):
            return None
        messages.error(request, "Your role does not allow changing test clocks.")
        return redirect("admin:accounts_testclock_change", row.id)

    def changelist_view(self, request, extra_context=None):
        form = ClockForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and not self.can_write(request):
            form.add_error(None, "Your role does not allow changing test clocks.")
        elif request.method == "POST" and form.is_valid():
            try:
                row = test_clock_create(
                    account=request.account,
                    frozen_time=_utc(form.cleaned_data["frozen_time"]),
                    name=form.cleaned_data["name"],
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                service_error_to_form(form, error)
            else:
                messages.success(request, f"Test clock {row.name or row.id} was created.")
                return redirect("admin:accounts_testclock_change", row.id)
        clocks = TestClock.objects.filter(account=request.account).order_by("-id")[:100]
        return render(
            request,
            "subscriptions/test_clocks.html",
            {
                **self.admin_site.each_context(request),
                "title": "Test clocks",
                "opts": self.model._meta,
                "clocks": clocks,
                "form": form,
                "can_write": self.can_write(request),
                "livemode": request.account.livemode,
            },
        )

    def _status_context(self, request: HttpRequest, row: TestClock) -> dict:
        return {
            "clock": row,
            "advances": test_clock_advances(account=request.account, test_clock=row),
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self._page(request, self._clock(request, object_id))

    def _page(self, request, row: TestClock, **forms_given) -> HttpResponse:
        customers = list(
            Customer.objects.filter(account=request.account, test_clock_id=row.id).order_by("id")
        )
        subscriptions = Subscription.objects.filter(
            account=request.account, customer__in=customers
        ).order_by("id")
        next_month = boundary(row.frozen_time, "month", 1, 1)
        return render(
            request,
            "subscriptions/test_clock_detail.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Test clock {row.name or row.id}",
                "opts": self.model._meta,
                **self._status_context(request, row),
                "customers": customers,
                "subscriptions": list(subscriptions),
                "advance_form": forms_given.get("advance_form")
                or AdvanceForm(initial={"frozen_time": next_month.strftime("%Y-%m-%dT%H:%M")}),
                "customer_form": forms_given.get("customer_form")
                or ClockCustomerForm(account=request.account, initial={"source": "tok_visa"}),
                "can_write": self.can_write(request),
            },
        )

    def status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The htmx partial: status, frozen time and the advances' history."""
        row = self._clock(request, object_id)
        return render(
            request, "subscriptions/_test_clock_status.html", self._status_context(request, row)
        )

    def advance_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        row = self._clock(request, object_id)
        if refused := self._refused(request, row):
            return refused
        form = AdvanceForm(request.POST)
        if form.is_valid():
            try:
                test_clock_advance(
                    account=request.account,
                    clock_id=row.id,
                    frozen_time=_utc(form.cleaned_data["frozen_time"]),
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                service_error_to_form(form, error)
            else:
                messages.success(request, "The clock is advancing.")
                return redirect("admin:accounts_testclock_change", row.id)
        return self._page(request, row, advance_form=form)

    def customer_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        row = self._clock(request, object_id)
        if refused := self._refused(request, row):
            return refused
        form = ClockCustomerForm(request.POST, account=request.account)
        if form.is_valid():
            data = form.cleaned_data
            try:
                customer, subscription = test_clock_customer_create(
                    account=request.account,
                    clock_id=row.id,
                    fields=CustomerFields(email=data["email"], name=data["name"] or None),
                    source=data["source"] or None,
                    price=form.prices.get(data["price"]),
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                service_error_to_form(form, error)
            else:
                subscribed = f" and subscribed ({subscription.status})" if subscription else ""
                messages.success(request, f"{customer} was added to the clock{subscribed}.")
                return redirect("admin:accounts_testclock_change", row.id)
        return self._page(request, row, customer_form=form)
