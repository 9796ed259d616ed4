"""Dashboard pages of collections: Failed payments and Revenue recovery (admin_dunning),
Customer emails (admin_emails), Collection settings (admin_settings)."""

from apps.collections import admin_dunning, admin_emails, admin_settings  # noqa: F401
