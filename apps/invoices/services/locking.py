"""Invoice row locks: a batch re-read under its lock, and one invoice for a status change."""

from apps.core.errors import ResourceMissingError
from apps.core.locks import row_lock, rows_lock
from apps.customers.models import Customer
from apps.invoices.models import Invoice


def invoices_lock_current(
    account, invoices: list[Invoice], *, skip_locked: bool, **filters
) -> list[Invoice]:
    """Lock the rows of ``invoices`` (loaded with customer and subscription) that still match
    ``filters``, in id order; an invoice changed since it was loaded is loaded again (the lock
    reads only ids and ``updated_at``, so a batch is not read twice)."""
    (ids,) = rows_lock(
        Invoice.objects.filter(
            account=account, id__in=[invoice.id for invoice in invoices], **filters
        ).values_list("id", "updated_at"),
        skip_locked=skip_locked,
    )
    current = dict(ids)
    stale = [i.id for i in invoices if i.id in current and i.updated_at != current[i.id]]
    fresh = (
        Invoice.objects.select_related("customer", "subscription").in_bulk(stale) if stale else {}
    )
    locked = sorted(
        (fresh.get(invoice.id, invoice) for invoice in invoices if invoice.id in current),
        key=lambda invoice: invoice.id,
    )
    for invoice in locked:
        invoice.account = account
    return locked


def invoice_lock(account, invoice_id: str) -> Invoice:
    invoice = row_lock(
        Invoice.objects.select_related("account").filter(account=account, id=invoice_id)
    )
    if invoice is None:
        raise ResourceMissingError("invoice", invoice_id)
    return invoice


def invoice_lock_with_customer(account, invoice_id: str, *, param: str = "id") -> Invoice:
    """Inside a transaction: the invoice and its customer locked, the customer first (the global
    lock order), for the writes that move the customer's balance with the invoice."""
    customer_id = (
        Invoice.objects.filter(account=account, id=invoice_id)
        .values_list("customer_id", flat=True)
        .first()
    )
    _, invoices = rows_lock(
        Customer.objects.filter(account=account, id=customer_id),
        Invoice.objects.select_related("customer", "account", "subscription").filter(
            account=account, id=invoice_id
        ),
    )
    if not invoices:
        raise ResourceMissingError("invoice", invoice_id, param=param)
    return invoices[0]
