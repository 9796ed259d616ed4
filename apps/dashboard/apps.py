from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class DashboardAdminConfig(AdminConfig):
    """Replaces django.contrib.admin so ``admin.site`` is the Ledgerline dashboard site."""

    default_site = "apps.dashboard.sites.DashboardSite"


class DashboardConfig(AppConfig):
    name = "apps.dashboard"
    label = "dashboard"
