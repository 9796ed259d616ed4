"""``{{ amount|money:currency }}``: minor units shown in major units (apps.core.money)."""

from django import template

from apps.core import money as core_money

register = template.Library()


@register.filter
def money(amount, currency) -> str:
    if amount is None or not currency:
        return "—"
    return core_money.format_amount(int(amount), currency)
