"""The one way a moment is shown (apps.core.dates): local time, UTC on hover, relative text."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone

from apps.core.dates import local_text, relative_text, time_html

AT = datetime(2026, 12, 7, 14, 5, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (timedelta(days=3, hours=2), "in 3 days"),
        (timedelta(days=1), "in 1 day"),
        (-timedelta(hours=5, minutes=59), "5 hours ago"),
        (timedelta(minutes=1), "in 1 minute"),
        (-timedelta(seconds=59), "just now"),
        (timedelta(0), "just now"),
    ],
)
def test_relative_text(offset, text):
    assert relative_text(AT + offset, now=AT) == text


def test_time_html_is_local_with_utc_on_hover():
    with timezone.override(ZoneInfo("Europe/Paris")):
        html = time_html(AT)
    assert html == (
        '<time datetime="2026-12-07T14:05:09Z" title="2026-12-07 14:05:09 UTC">'
        "7 Dec 2026, 15:05</time>"
    )


def test_time_html_date_only_and_relative():
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        html = time_html(AT + timedelta(days=3), date_only=True, relative=True, now=AT)
    # 14:05 UTC on 10 December is 23:05 in Tokyo: still the 10th there.
    assert ">10 Dec 2026 (in 3 days)</time>" in html
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        assert local_text(AT + timedelta(hours=10)) == "8 Dec 2026, 09:05"


def test_no_time_is_a_dash():
    assert time_html(None) == "—"


def test_the_template_filter_and_djangos_own_format_agree():
    template = Template(
        '{% load ledgerline_dates %}{{ at|when }}|{{ at|when:"date" }}|{{ at|date }}|'
        '{{ at|date:"DATETIME_FORMAT" }}'
    )
    with timezone.override(UTC):
        text = template.render(Context({"at": AT}))
    when, day, django_date, django_datetime = text.split("|")
    assert when.endswith(">7 Dec 2026, 14:05</time>")
    assert day.endswith(">7 Dec 2026</time>")
    assert (django_date, django_datetime) == ("7 Dec 2026", "7 Dec 2026, 14:05")
