"""The customer-facing "update your payment method" page (no login; an unguessable, signed,
expiring link: apps.collections.payment_method_page)."""

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.accounts.dashboard.forms import service_error_to_form
from apps.collections.payment_method_page import (
    current_payment_method,
    customer_card_replace,
    customer_of_token,
    open_invoices,
)
from apps.core import clock
from apps.core.errors import ApplicationError
from apps.core.money import format_amount
from apps.customers.payment_method_render import brand_name

# Shown to customers of test-mode accounts: one card that works, one that is declined.
TEST_CARDS = (("4242 4242 4242 4242", "succeeds"), ("4000 0000 0000 0002", "is declined"))


class CardForm(forms.Form):
    number = forms.CharField(
        label="Card number",
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    exp_month = forms.IntegerField(label="Expiry month", min_value=1, max_value=12)
    exp_year = forms.IntegerField(label="Expiry year", min_value=2000, max_value=2100)


@require_http_methods(["GET", "POST"])
def update_payment_method_view(request: HttpRequest, token: str) -> HttpResponse:
    customer = customer_of_token(token)
    if customer is None:
        raise Http404("This link is not valid, or it has expired.")
    account = customer.account
    current = current_payment_method(customer)
    form = CardForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            customer_card_replace(account=account, customer=customer, **form.cleaned_data)
        except ApplicationError as error:
            service_error_to_form(form, error)
        else:
            return redirect(f"{request.path}?updated=1")
    if request.method == "GET":
        today = clock.now(test_clock_id=customer.test_clock_id)
        form = CardForm(initial={"exp_month": today.month, "exp_year": today.year + 3})
    response = render(
        request,
        "collections/update_payment_method.html",
        {
            "account": account,
            "customer": customer,
            "current": current,
            "current_brand": brand_name(current) if current else "",
            "invoices": [
                (invoice, format_amount(invoice.amount_due - invoice.amount_paid, invoice.currency))
                for invoice in open_invoices(customer)
            ],
            "form": form,
            "updated": request.GET.get("updated") == "1" and request.method == "GET",
            "test_cards": TEST_CARDS if not account.livemode else (),
        },
    )
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response
