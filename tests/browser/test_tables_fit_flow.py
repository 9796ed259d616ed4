"""Every list page, and a customer's and a subscription's page, fits the window: at a laptop's
width (1280 px) and a small one (1024 px) the page itself never scrolls sideways, whatever the
rows hold (long emails, names, ids); a wide table scrolls inside its own frame."""

import pytest
from django.contrib import admin
from django.urls import reverse

from apps.accounts.dashboard.admin_base import AccountScopedAdmin
from tests.browser.conftest import staff_sign_in
from tests.conftest import make_account
from tests.dashboard.conftest import staff_user_with_device
from tests.factories import CustomerFactory, SubscriptionFactory

WIDTHS = (1280, 1024)


def _lists():
    return sorted(
        reverse(f"admin:{m.opts.app_label}_{m.opts.model_name}_changelist")
        for m in admin.site._registry.values()
        if isinstance(m, AccountScopedAdmin)
    )


@pytest.mark.browser
def test_no_list_page_scrolls_sideways(live_server, browser_page):

    acme = make_account("Acme")
    long = "a.very.long.customer.address.that.goes.on" * 2
    for n in range(3):
        CustomerFactory(account=acme.account, email=f"{long}{n}@example.com", name="N" * 60)
    subscription = SubscriptionFactory(account=acme.account, email=f"{long}@example.com")
    pages = [
        *_lists(),
        reverse("admin:customers_customer_change", args=[subscription.customer_id]),
        reverse("admin:subscriptions_subscription_change", args=[subscription.id]),
    ]
    user = staff_user_with_device(account=acme.account, email="ops@example.com")
    page = browser_page
    staff_sign_in(page, live_server, user)

    overflowing = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for path in pages:
            page.goto(live_server.url + path)
            extra = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if extra > 0:
                overflowing[f"{width}px {path}"] = extra
    assert overflowing == {}
    # The measure sees a page that does scroll sideways.
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<div style=\"width:3000px\">x</div>')"
    )
    extra = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert extra > 0
