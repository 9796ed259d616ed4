"""``{% invoice_payment_attempts invoice %}``: an invoice page's payment attempts and next retry
(templates/invoices/invoice_detail.html), read through the collections selectors."""

from django import template

from apps.accounts.dashboard.badges import badge_html
from apps.collections.selectors import payment_attempt_list
from apps.core import money

register = template.Library()


@register.inclusion_tag("collections/_invoice_attempts.html")
def invoice_payment_attempts(invoice) -> dict:
    attempts = payment_attempt_list(account=invoice.account, invoice=invoice)
    return {
        "invoice": invoice,
        "attempts": [
            (
                attempt,
                badge_html(attempt.outcome, attempt.get_outcome_display()),
                money.format_amount(attempt.amount, attempt.currency),
            )
            for attempt in attempts
        ],
    }
