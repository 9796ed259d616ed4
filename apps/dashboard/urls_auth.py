"""Login, two-factor, account switcher, sandboxes, team (owned by the auth/team pages)."""

from django.urls import path

from apps.dashboard.views import placeholder_pending


urlpatterns = [
    path("switch/", placeholder_pending, name="account-switch"),
    path("sandboxes/", placeholder_pending, name="sandbox-list"),
    path("team/", placeholder_pending, name="team"),
    path("team/security/", placeholder_pending, name="security-history"),
]
