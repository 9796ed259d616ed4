"""Values Unfold shows on every dashboard page."""

import json

from django.middleware.csrf import get_token
from django.urls import reverse

from apps.accounts.enums import AccountKind
from apps.accounts.selectors import account_list_for_user


def site_subheader(request) -> str:
    account = getattr(request, "account", None)
    return account.name if account is not None else ""


def environment_label(request) -> list[str] | None:
    """Header badge: which account and whether it is test data."""
    account = getattr(request, "account", None)
    if account is None:
        return None
    if account.is_sandbox:
        return [f"Sandbox: {account.name}", "warning"]
    if not account.livemode:
        return [f"{account.name}: test data", "info"]
    return [f"{account.name}: live", "success"]


# Accounts listed in the header dropdown; the switcher page lists them all.
SITE_DROPDOWN_LIMIT = 12


def site_dropdown(request) -> list[dict]:
    """Unfold's site dropdown (under the site name): the current account, the others to
    switch to with one click (an htmx POST to the switcher), and the full switcher page."""
    user = getattr(request, "user", None)
    current = getattr(request, "account", None)
    if current is None or user is None or not user.is_authenticated:
        return []
    switch_url = reverse("dashboard:account-switch")
    headers = json.dumps({"X-CSRFToken": get_token(request)})
    items = []
    accounts = account_list_for_user(user=user)
    live = list(accounts.exclude(kind=AccountKind.SANDBOX)[:SITE_DROPDOWN_LIMIT])
    sandboxes = accounts.filter(kind=AccountKind.SANDBOX)[: SITE_DROPDOWN_LIMIT - len(live)]
    for account in [*live, *sandboxes]:
        if account.pk == current.pk:
            items.append({"title": account.name, "link": switch_url, "icon": "check"})
            continue
        items.append(
            {
                "title": account.name,
                "link": switch_url,
                "icon": "science" if account.is_sandbox else "storefront",
                "attrs": {
                    "hx-post": switch_url,
                    "hx-vals": json.dumps({"account": account.pk}),
                    "hx-headers": headers,
                    "data-account-id": account.pk,
                },
            }
        )
    items.append({"title": "All accounts…", "link": switch_url, "icon": "swap_horiz"})
    return items
