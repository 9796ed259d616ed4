"""Dashboard pages of collections."""

from apps.collections import admin_emails  # noqa: F401  (registers Customer emails)
