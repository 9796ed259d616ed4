"""django-unfold settings for the staff dashboard.

https://unfoldadmin.com/docs/configuration/settings/
"""

from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse_lazy

_READ = "apps.dashboard.permissions.can_read"
_TEAM = "apps.dashboard.permissions.can_manage_team"

NAVIGATION = [
    {
        "title": "Payments",
        "separator": False,
        "items": [
            {
                "title": "Customers",
                "icon": "person",
                "link": reverse_lazy("admin:customers_customer_changelist"),
                "permission": _READ,
            },
            {
                "title": "Payments",
                "icon": "payments",
                "link": reverse_lazy("admin:payments_charge_changelist"),
                "permission": _READ,
            },
            {
                "title": "Balance",
                "icon": "account_balance",
                "link": reverse_lazy("admin:payments_balancetransaction_changelist"),
                "permission": _READ,
            },
            {
                "title": "Payment settings",
                "icon": "tune",
                "link": reverse_lazy("admin:payments_paymentsettings_changelist"),
                "permission": _READ,
            },
        ],
    },
    {
        "title": "Billing",
        "separator": True,
        "items": [
            {
                "title": "Subscriptions",
                "icon": "autorenew",
                "link": reverse_lazy("admin:subscriptions_subscription_changelist"),
                "permission": _READ,
            },
            {
                "title": "Invoices",
                "icon": "receipt_long",
                "link": reverse_lazy("admin:invoices_invoice_changelist"),
                "permission": _READ,
            },
            {
                "title": "Failed payments",
                "icon": "credit_card_off",
                "link": reverse_lazy("admin:collections_paymentattempt_changelist"),
                "permission": _READ,
            },
            {
                "title": "Billing settings",
                "icon": "tune",
                "link": reverse_lazy("admin:subscriptions_billingsettings_changelist"),
                "permission": _READ,
            },
            {
                "title": "Billing customizations",
                "icon": "extension",
                "link": reverse_lazy("admin:extensions_billingcustomization_changelist"),
                "permission": _READ,
            },
            {
                "title": "Collection settings",
                "icon": "event_repeat",
                "link": reverse_lazy("admin:collections_collectionsettings_changelist"),
                "permission": _READ,
            },
            {
                "title": "Customer emails",
                "icon": "mail",
                "link": reverse_lazy("admin:collections_emailtemplate_changelist"),
                "permission": _READ,
            },
            {
                "title": "Test clocks",
                "icon": "schedule",
                "link": reverse_lazy("admin:accounts_testclock_changelist"),
                "permission": _READ,
            },
        ],
    },
    {
        "title": "Reports",
        "separator": True,
        "items": [
            {
                "title": "Revenue recovery",
                "icon": "monitoring",
                "link": reverse_lazy("admin:collections_paymentattempt_recovery"),
                "permission": _READ,
            },
        ],
    },
    {
        "title": "Product catalog",
        "separator": True,
        "items": [
            {
                "title": "Products",
                "icon": "inventory_2",
                "link": reverse_lazy("admin:catalog_product_changelist"),
                "permission": _READ,
            },
            {
                "title": "Coupons",
                "icon": "sell",
                "link": reverse_lazy("admin:catalog_coupon_changelist"),
                "permission": _READ,
            },
            {
                "title": "Promotion codes",
                "icon": "confirmation_number",
                "link": reverse_lazy("admin:catalog_promotioncode_changelist"),
                "permission": _READ,
            },
            {
                "title": "Tax rates",
                "icon": "percent",
                "link": reverse_lazy("admin:catalog_taxrate_changelist"),
                "permission": _READ,
            },
            {
                "title": "Exchange rates",
                "icon": "currency_exchange",
                "link": reverse_lazy("admin:catalog_fxrate_changelist"),
                "permission": _READ,
            },
        ],
    },
    {
        "title": "Account",
        "separator": True,
        "items": [
            {
                "title": "Switch account",
                "icon": "swap_horiz",
                "link": reverse_lazy("dashboard:account-switch"),
                "permission": _READ,
            },
            {
                "title": "Sandboxes",
                "icon": "science",
                "link": reverse_lazy("dashboard:sandbox-list"),
                "permission": _READ,
            },
        ],
    },
    {
        "title": "Team",
        "separator": True,
        "items": [
            {
                "title": "Members and invitations",
                "icon": "group",
                "link": reverse_lazy("dashboard:team"),
                "permission": _READ,
            },
            {
                "title": "Security history",
                "icon": "shield_person",
                "link": reverse_lazy("dashboard:security-history"),
                "permission": _TEAM,
            },
            {
                "title": "Team activity",
                "icon": "history",
                "link": reverse_lazy("admin:accounts_auditlogentry_changelist"),
                "permission": _READ,
            },
        ],
    },
    {
        "title": "Developers",
        "separator": True,
        "items": [
            {
                "title": "API keys",
                "icon": "key",
                "link": reverse_lazy("admin:accounts_apikey_changelist"),
                "permission": _READ,
            },
            {
                "title": "Logs",
                "icon": "receipt_long",
                "link": reverse_lazy("admin:core_apirequestlog_changelist"),
                "permission": _READ,
            },
            {
                "title": "Events",
                "icon": "bolt",
                "link": reverse_lazy("admin:core_event_changelist"),
                "permission": _READ,
            },
            {
                "title": "Webhooks",
                "icon": "webhook",
                "link": reverse_lazy("admin:webhooks_webhookendpoint_changelist"),
                "permission": _READ,
            },
        ],
    },
]


def sidebar_navigation(request) -> list[dict]:
    """The sidebar without links to admin pages that are not registered (yet): an app whose
    admin is missing drops out of the navigation instead of breaking every page."""
    groups = []
    for group in NAVIGATION:
        items = [item for item in group["items"] if _resolves(item["link"])]
        if items:
            groups.append({**group, "items": items})
    return groups


def _resolves(link) -> bool:
    try:
        str(link)
    except NoReverseMatch:
        return False
    return True


UNFOLD = {
    "SITE_TITLE": "Ledgerline",
    "SITE_HEADER": "Ledgerline",
    "SITE_SUBHEADER": "apps.dashboard.context.site_subheader",
    # The account switcher, opened from the site name above the sidebar.
    "SITE_DROPDOWN": "apps.dashboard.context.site_dropdown",
    "SITE_URL": "/dashboard/",
    "SHOW_HISTORY": False,
    "SHOW_VIEW_ON_SITE": False,
    "ENVIRONMENT": "apps.dashboard.context.environment_label",
    "STYLES": [lambda request: static("dashboard/ledgerline.css")],
    "SCRIPTS": [lambda request: static("dashboard/command.js")],
    "COLORS": {
        "primary": {
            "50": "oklch(97.7% .014 308.299)",
            "100": "oklch(94.6% .033 307.174)",
            "200": "oklch(90.2% .063 306.703)",
            "300": "oklch(82.7% .119 306.383)",
            "400": "oklch(71.4% .203 305.504)",
            "500": "oklch(62.7% .265 303.9)",
            "600": "oklch(55.8% .288 302.321)",
            "700": "oklch(49.6% .265 301.924)",
            "800": "oklch(43.8% .218 303.724)",
            "900": "oklch(38.1% .176 304.987)",
            "950": "oklch(29.1% .149 302.717)",
        },
    },
    "SIDEBAR": {
        "show_search": False,
        # The "Search" box above the navigation opens the Ctrl+K palette (views/search.py).
        "command_search": True,
        "show_all_applications": False,
        "navigation": "apps.dashboard.unfold_config.sidebar_navigation",
    },
}
