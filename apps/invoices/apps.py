from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "apps.invoices"
    label = "invoices"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.core.api.expand import register_expandable
        from apps.invoices.credit_notes import credit_note_render
        from apps.invoices.models import CreditNote, Invoice, InvoiceItem
        from apps.invoices.render import invoice_item_render, invoice_render

        def fetcher(model, render, related):
            def fetch(account, object_id):
                rows = model.objects.select_related(*related).filter(account=account)
                row = rows.filter(id=object_id).first()
                return render(row) if row is not None else None

            return fetch

        register_expandable("in", fetcher(Invoice, invoice_render, ("account", "customer")))
        register_expandable(
            "ii", fetcher(InvoiceItem, invoice_item_render, ("account", "customer"))
        )
        register_expandable("cn", fetcher(CreditNote, credit_note_render, ("account",)))
