from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registries of apps.core filled with what accounts owns: test clocks' frozen time, the
        # last use of API keys, and Stripe's wording of a key's refused permission; and what a
        # new sandbox copies of its account's own rows (its invoice branding).
        from apps.accounts.api.permissions import key_permission_denied
        from apps.accounts.selectors import frozen_time_of_clock
        from apps.accounts.services.accounts import register_sandbox_copier
        from apps.accounts.services.branding import account_branding_copy
        from apps.accounts.services.keys import api_keys_mark_used
        from apps.core.api.exceptions import register_permission_denied
        from apps.core.clock import register_clock_resolver
        from apps.core.request_log import register_request_log_consumer

        register_clock_resolver(frozen_time_of_clock)
        register_request_log_consumer(api_keys_mark_used)
        register_permission_denied(key_permission_denied)
        register_sandbox_copier(account_branding_copy)
