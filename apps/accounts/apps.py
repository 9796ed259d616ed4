from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts.models import TestClock
        from apps.core.clock import register_clock_resolver

        def frozen_time(clock_id: str):
            return (
                TestClock.objects.filter(id=clock_id).values_list("frozen_time", flat=True).first()
            )

        register_clock_resolver(frozen_time)
