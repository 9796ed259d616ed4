"""The one status → badge colour map of the dashboard.

Pages pass it to Unfold's ``@display(label=STATUS_VARIANTS)`` and return ``(status, text)``
from the display method, so every list colours the same status the same way. Variants are
Unfold's label types: success (green), info (blue), warning (amber), danger (red); anything
else renders neutral grey. Detail pages, where Unfold does not apply ``label``, use
``badge_html``.
"""

from django.utils.safestring import SafeString
from unfold.utils import display_for_label

STATUS_VARIANTS: dict[str, str] = {
    # API keys
    "active": "success",
    "expiring": "warning",
    "expired": "neutral",
    "revoked": "danger",
    # HTTP status classes (Developers → Logs)
    "2xx": "success",
    "3xx": "info",
    "4xx": "warning",
    "5xx": "danger",
    # Webhook endpoints and deliveries
    "enabled": "success",
    "disabled": "neutral",
    "pending": "info",
    "succeeded": "success",
    "failed": "danger",
    # Charges (payments list)
    "blocked": "danger",
    "refunded": "neutral",
    "partially_refunded": "warning",
    "uncaptured": "info",
    # Saved cards (a customer's payment methods)
    "closed": "danger",
}


def http_status_class(status: int) -> str:
    """``404`` → ``"4xx"``: the key into STATUS_VARIANTS for an HTTP status code."""
    return f"{status // 100}xx"


def badge_html(status: str, text: str) -> SafeString:
    """The list badge for ``status`` as HTML, for read-only fields on detail pages."""
    return display_for_label((status, text), "-", STATUS_VARIANTS)
