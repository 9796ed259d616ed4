from django import template

from apps.customers.models import PaymentMethod
from apps.payments.display import charge_state
from apps.payments.forms import ChargeForm
from apps.payments.selectors import charge_list

register = template.Library()

PANEL_CHARGES = 20


@register.inclusion_tag("payments/_customer_payments.html", takes_context=True)
def customer_payments_panel(context, customer):
    charges = list(
        charge_list(account=customer.account)
        .filter(customer=customer)
        .order_by("-id")[:PANEL_CHARGES]
    )
    methods = PaymentMethod.objects.filter(account=customer.account, customer=customer)
    return {
        "customer": customer,
        "charges": [(charge, *charge_state(charge)) for charge in charges],
        "form": ChargeForm(
            payment_methods=methods,
            initial={"currency_code": customer.currency or customer.account.default_currency},
        ),
        "has_methods": methods.exists(),
        "csrf_token": context.get("csrf_token"),
    }
