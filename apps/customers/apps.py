from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "apps.customers"
    label = "customers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.core.api.expand import register_expandable
        from apps.customers.models import PaymentMethod
        from apps.customers.payment_method_render import payment_method_render
        from apps.customers.render import customer_render
        from apps.customers.selectors import customer_get

        def customer(account, customer_id):
            row = customer_get(account=account, customer_id=customer_id, include_deleted=True)
            return customer_render(row) if row is not None else None

        def payment_method(account, payment_method_id):
            row = PaymentMethod.objects.filter(account=account, id=payment_method_id).first()
            return payment_method_render(row) if row is not None else None

        register_expandable("cus", customer)
        for prefix in ("pm", "card", "ba", "src"):
            register_expandable(prefix, payment_method)
