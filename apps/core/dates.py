"""The one way staff see a moment: in their own time zone (the active one), as
"7 Dec 2026, 15:00", with the UTC time on hover and, where it helps, how far away it is
("in 3 days", "2 hours ago").

Times are stored and compared in UTC; only display converts them.
"""

from datetime import UTC, date, datetime

from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

DATETIME_FORMAT = "j M Y, H:i"
DATE_FORMAT = "j M Y"
_UTC_TITLE_FORMAT = "Y-m-d H:i:s"


def iso_utc(value: datetime) -> str:
    """A moment as machines read it (CSV exports, ``<time datetime>``): "2026-12-07T14:00:00Z"."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def file_stamp(value: datetime) -> str:
    """A moment in a file's name, sorting as it reads: "20261207-140000" (UTC)."""
    return value.astimezone(UTC).strftime("%Y%m%d-%H%M%S")


def utc_input_value(value: datetime) -> str:
    """What a ``datetime-local`` input whose form reads UTC opens on: "2026-12-07T14:00"."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def relative_text(value: datetime, *, now: datetime) -> str:
    """How far ``value`` is from ``now`` in its largest whole unit: "in 3 days", "5 minutes
    ago", "just now" (under a minute either way)."""
    seconds = int((value - now).total_seconds())
    distance = abs(seconds)
    if distance < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if distance >= size:
            span = _plural(distance // size, unit)
            return f"in {span}" if seconds > 0 else f"{span} ago"
    return "just now"


def local_text(value: datetime, *, date_only: bool = False) -> str:
    """``value`` in the active time zone, in the one format (no markup)."""
    local = timezone.localtime(value)
    return dateformat.format(local, DATE_FORMAT if date_only else DATETIME_FORMAT)


def day_label(day: date) -> str:
    """A day on a chart's axis: "7 Dec"."""
    return dateformat.format(day, "j M")


def time_html(
    value: datetime | None, *, date_only: bool = False, relative: bool = False, now=None
) -> SafeString | str:
    """``<time datetime="2026-12-07T14:00:00Z" title="2026-12-07 14:00:00 UTC">7 Dec 2026,
    15:00</time>``, with " (in 3 days)" after it when ``relative``; "—" for no time."""
    if value is None:
        return "—"
    utc = value.astimezone(UTC)
    text = local_text(value, date_only=date_only)
    if relative:
        text = f"{text} ({relative_text(value, now=now or timezone.now())})"
    return format_html(
        '<time datetime="{}" title="{} UTC">{}</time>',
        iso_utc(utc),
        dateformat.format(utc, _UTC_TITLE_FORMAT),
        text,
    )
