from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "apps.payments"
    label = "payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.core.api.expand import register_expandable
        from apps.payments.render import (
            balance_transaction_render,
            charge_render,
            payment_intent_render,
            refund_render,
        )
        from apps.payments.selectors import (
            balance_transaction_list,
            charge_list,
            payment_intent_list,
            refund_list,
        )

        def fetcher(listing, render):
            def fetch(account, object_id):
                row = listing(account=account).filter(id=object_id).first()
                return render(row) if row is not None else None

            return fetch

        register_expandable("ch", fetcher(charge_list, charge_render))
        register_expandable("pi", fetcher(payment_intent_list, payment_intent_render))
        register_expandable("txn", fetcher(balance_transaction_list, balance_transaction_render))
        register_expandable("re", fetcher(refund_list, refund_render))
