from django import template

from apps.accounts.dashboard.badges import badge_html
from apps.core import clock
from apps.customers.card_expiry import card_state
from apps.customers.forms import TestCardForm
from apps.customers.selectors import customer_payment_methods

register = template.Library()

_STATE_TEXT = {"closed": "Closed", "expired": "Expired", "expiring": "Expires this month"}


@register.inclusion_tag("customers/_payment_methods_list.html", takes_context=True)
def payment_methods_panel(context, customer):
    payment_methods = customer_payment_methods(customer)
    # Closed and expired cards are marked, as of the customer's time (their test clock's).
    now = clock.now(test_clock_id=customer.test_clock_id)
    for pm in payment_methods:
        state = card_state(pm.exp_month, pm.exp_year, closed=pm.closed_at is not None, at=now)
        pm.state_badge = badge_html(state, _STATE_TEXT[state]) if state else ""
    return {
        "customer": customer,
        "payment_methods": payment_methods,
        "form": TestCardForm.blank(),
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
    }
