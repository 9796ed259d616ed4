from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "apps.catalog"
    label = "catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts.services.accounts import register_sandbox_copier
        from apps.catalog.render import price_render, product_render, tax_rate_render
        from apps.catalog.sandbox import catalog_copy
        from apps.catalog.selectors import price_list, product_list, tax_rate_list
        from apps.core.api.expand import register_expandable

        register_sandbox_copier(catalog_copy)

        def fetcher(listing, render):
            def fetch(account, object_id):
                row = listing(account=account).filter(id=object_id).first()
                return render(row) if row is not None else None

            return fetch

        register_expandable("prod", fetcher(product_list, product_render))
        register_expandable("price", fetcher(price_list, price_render))
        register_expandable("txr", fetcher(tax_rate_list, tax_rate_render))
