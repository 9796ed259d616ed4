"""Developers pages beyond the plain admin lists (key creation and roll, JSON views)."""

from django.contrib import admin
from django.urls import path

from apps.dashboard.views import developers

# admin_view: the dashboard's sign-in, two-factor and current-account checks, CSRF, no caching.
_view = admin.site.admin_view

urlpatterns = [
    path(
        "developers/api-keys/new/",
        _view(developers.api_key_create_view),
        name="api-key-create",
    ),
    path(
        "developers/api-keys/<str:key_id>/token/",
        _view(developers.api_key_token_view),
        name="api-key-token",
    ),
    path(
        "developers/api-keys/<str:key_id>/roll/",
        _view(developers.api_key_roll_view),
        name="api-key-roll",
    ),
    path(
        "developers/api-keys/<str:key_id>/revoke/",
        _view(developers.api_key_revoke_view),
        name="api-key-revoke",
    ),
    path(
        "developers/events/<str:event_id>/json/",
        _view(developers.event_json_view),
        name="event-json",
    ),
]
