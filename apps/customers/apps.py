from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "apps.customers"
    label = "customers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.core.api.expand import register_expandable, register_includable
        from apps.customers.models import PaymentMethod, TaxId
        from apps.customers.payment_method_render import payment_method_render
        from apps.customers.render import customer_render, tax_id_render
        from apps.customers.selectors import customer_get

        def customer(account, customer_id):
            row = customer_get(account=account, customer_id=customer_id, include_deleted=True)
            return customer_render(row) if row is not None else None

        def payment_method(account, payment_method_id):
            row = PaymentMethod.objects.filter(account=account, id=payment_method_id).first()
            return payment_method_render(row) if row is not None else None

        def sources(account, customer_id, limit):
            # Cards, bank accounts and sources; PaymentMethods are listed on their own endpoint.
            rows = list(
                PaymentMethod.objects.filter(account=account, customer_id=customer_id)
                .exclude(source_object="payment_method")
                .order_by("-id")[: limit + 1]
            )
            data = [payment_method_render(row) for row in rows[:limit]]
            return data, len(rows) > limit, f"/v1/customers/{customer_id}/sources"

        def tax_ids(account, customer_id, limit):
            rows = list(
                TaxId.objects.filter(account=account, customer_id=customer_id)
                .select_related("account")
                .order_by("-id")[: limit + 1]
            )
            data = [tax_id_render(row) for row in rows[:limit]]
            return data, len(rows) > limit, f"/v1/customers/{customer_id}/tax_ids"

        register_expandable("cus", customer)
        for prefix in ("pm", "card", "ba", "src"):
            register_expandable(prefix, payment_method)
        register_includable("customer", "sources", sources)
        register_includable("customer", "tax_ids", tax_ids)
