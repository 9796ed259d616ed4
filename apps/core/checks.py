"""Deployment checks of Ledgerline's own settings (``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Warning, register

PUBLIC_URL_MISSING = Warning(
    "PUBLIC_URL is not set.",
    hint=(
        "Workers have no request to take the public address from, so the links in customer "
        "emails and webhook payloads they build would point at "
        f"{settings.PUBLIC_URL_FALLBACK}. Set PUBLIC_URL to the address customers reach "
        "(docs/deploy.md)."
    ),
    id="core.W001",
)


@register(deploy=True)
def public_url_check(app_configs, **kwargs) -> list[Warning]:
    return [] if settings.PUBLIC_URL else [PUBLIC_URL_MISSING]
