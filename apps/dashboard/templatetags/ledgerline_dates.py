"""``{{ value|when }}``, ``{{ value|when:"date" }}``, ``{{ value|when:"relative" }}``: a
moment shown the one way (apps.core.dates), with the UTC time on hover."""

from django import template

from apps.core import clock, dates

register = template.Library()


@register.filter
def when(value, style: str = ""):
    options = set(style.split(",")) if style else set()
    return dates.time_html(
        value,
        date_only="date" in options,
        relative="relative" in options,
        now=clock.now(),
    )
