"""Dashboard URLs: Ledgerline's own pages (namespace ``dashboard``), then the Unfold admin."""

from django.contrib import admin
from django.urls import include, path

from apps.dashboard import urls_auth, urls_developers

dashboard_patterns = [*urls_auth.urlpatterns, *urls_developers.urlpatterns]

urlpatterns = [
    path("", include((dashboard_patterns, "dashboard"))),
    path("", admin.site.urls),
]
