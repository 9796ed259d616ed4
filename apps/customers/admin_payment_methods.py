"""Dashboard: a customer's payment methods — list, add a test card, make one the default,
detach.

``PaymentMethodsAdminMixin`` goes before the customer admin's base class and adds the two POST
views; ``templates/customers/_payment_methods_panel.html`` (through the ``payment_methods_panel``
tag) shows the list and the form on the customer page.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import dashboard_actor
from apps.accounts.dashboard.confirm import Confirmation, confirmation_response, is_confirmed
from apps.accounts.dashboard.forms import service_error_to_form
from apps.core.errors import ApplicationError
from apps.customers.forms import TestCardForm
from apps.customers.models import Customer, PaymentMethod
from apps.customers.payment_method_render import payment_method_label
from apps.customers.selectors import payment_method_list
from apps.customers.services import CustomerFields, customer_update
from apps.customers.services.payment_methods import customer_card_add, payment_method_detach
from apps.customers.services.payment_methods.inputs import card_entry


class PaymentMethodsAdminMixin:
    """For the customer admin: add a test card, detach a payment method."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/payment_methods/add/",
                view(self.add_card_view),
                name="customers_customer_add_card",
            ),
            path(
                "<path:object_id>/payment_methods/<str:payment_method_id>/detach/",
                view(require_POST(self.detach_view)),
                name="customers_customer_detach_payment_method",
            ),
            path(
                "<path:object_id>/payment_methods/<str:payment_method_id>/make_default/",
                view(require_POST(self.make_default_view)),
                name="customers_customer_default_payment_method",
            ),
            *super().get_urls(),
        ]

    def _customer(self, request: HttpRequest, object_id: str) -> Customer:
        customer = Customer.objects.filter(
            account=request.account, id=unquote(object_id), deleted_at__isnull=True
        ).first()
        if customer is None:
            raise Http404("No such customer")
        return customer

    def _may_write(self, request: HttpRequest) -> bool:
        return roles.role_allows(getattr(request, "account_role", None), roles.BILLING_WRITE)

    def add_card_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        customer = self._customer(request, object_id)
        form = TestCardForm(request.POST) if request.method == "POST" else TestCardForm.blank()
        if request.method == "POST" and not self._may_write(request):
            form.add_error(None, "Your role does not allow changing customers.")
        elif request.method == "POST" and form.is_valid():
            try:
                card = customer_card_add(
                    account=request.account,
                    customer=customer,
                    card=card_entry(form.cleaned_data, param="card"),
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                service_error_to_form(form, error)
            else:
                messages.success(request, f"Added {card} to {customer}.")
                return redirect("admin:customers_customer_change", customer.id)
        return render(
            request,
            "customers/payment_method_add.html",
            {
                **admin.site.each_context(request),
                "title": f"Add a test card to {customer}",
                "customer": customer,
                "form": form,
            },
        )

    def detach_view(self, request: HttpRequest, object_id: str, payment_method_id: str):
        customer = self._customer(request, object_id)
        if not self._may_write(request):
            messages.error(request, "Your role does not allow changing customers.")
            return redirect("admin:customers_customer_change", customer.id)
        if not is_confirmed(request):
            method = (
                payment_method_list(account=request.account, customer=customer)
                .filter(id=payment_method_id)
                .first()
            )
            if method is None:
                raise Http404("No such payment method")
            return confirmation_response(
                request,
                _detach_confirmation(customer, method),
                site_context=admin.site.each_context(request),
            )
        try:
            row = payment_method_detach(
                account=request.account,
                payment_method_id=payment_method_id,
                customer=customer,
                actor=dashboard_actor(request),
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Removed {row} from {customer}.")
        return redirect("admin:customers_customer_change", customer.id)

    def make_default_view(self, request: HttpRequest, object_id: str, payment_method_id: str):
        """The customer's invoices and subscriptions without their own default are charged to
        this payment method from now on (``invoice_settings[default_payment_method]``)."""
        customer = self._customer(request, object_id)
        if not self._may_write(request):
            messages.error(request, "Your role does not allow changing customers.")
            return redirect("admin:customers_customer_change", customer.id)
        try:
            updated = customer_update(
                account=request.account,
                customer_id=customer.id,
                fields=CustomerFields(default_payment_method=payment_method_id),
                actor=dashboard_actor(request),
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, f"{updated.default_payment_method} is now {customer}'s default."
            )
        return redirect("admin:customers_customer_change", customer.id)


def _detach_confirmation(customer: Customer, method: PaymentMethod) -> Confirmation:
    details = ["It can no longer be charged, and adding it back means entering it again."]
    if method.id in (customer.default_payment_method_id, customer.default_source_id):
        details.append(
            "It is the customer's default: until another is chosen, their invoices and "
            "subscriptions have no payment method to charge automatically."
        )
    return Confirmation(
        title="Confirm removing the payment method",
        summary=f"Remove {payment_method_label(method)} from {customer}.",
        button=f"Remove {payment_method_label(method)}",
        action_url=reverse(
            "admin:customers_customer_detach_payment_method", args=[customer.id, method.id]
        ),
        cancel_url=reverse("admin:customers_customer_change", args=[customer.id]),
        details=tuple(details),
    )
