from apps.customers.services.balance import balance_transaction_update, customer_balance_adjust
from apps.customers.services.customers import (
    CustomerFields,
    TaxIdData,
    customer_create,
    customer_delete,
    customer_update,
)
from apps.customers.services.notes import note_create, note_delete, note_update
from apps.customers.services.tax_ids import tax_id_create, tax_id_delete

__all__ = [
    "CustomerFields",
    "TaxIdData",
    "balance_transaction_update",
    "customer_balance_adjust",
    "customer_create",
    "customer_delete",
    "customer_update",
    "note_create",
    "note_delete",
    "note_update",
    "tax_id_create",
    "tax_id_delete",
]
