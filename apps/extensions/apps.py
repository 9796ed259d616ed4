from django.apps import AppConfig


class ExtensionsConfig(AppConfig):
    name = "apps.extensions"
    label = "extensions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.extensions.selectors import billing_choices
        from apps.invoices.stage_choices import choices_resolver_register

        # Every pipeline entry point runs the stages this account has chosen in the dashboard.
        choices_resolver_register(billing_choices)
