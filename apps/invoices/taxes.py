"""Tax figures as the API and the invoice documents show them: the rates an invoice or a line
names, as tax rate objects, the tax amounts in Stripe's shape, and the customer's tax ids an
invoice carries."""

from apps.catalog.models import TaxRate
from apps.catalog.render import tax_rate_render
from apps.customers.models import TaxId

# How a tax id is named on an invoice, by its Stripe type; other types show the type itself.
TAX_ID_LABELS = {
    "eu_vat": "EU VAT",
    "gb_vat": "GB VAT",
    "au_abn": "AU ABN",
    "es_cif": "ES CIF",
    "ca_bn": "CA BN",
    "ch_vat": "CH VAT",
    "no_vat": "NO VAT",
    "in_gst": "IN GST",
    "us_ein": "US EIN",
}


def tax_rates_rendered(account_id: str, ids) -> list[dict]:
    """The tax rate objects of ``ids``, in that order (one query; none for no ids)."""
    ids = list(ids)
    if not ids:
        return []
    rows = {
        rate.id: rate
        for rate in TaxRate.objects.filter(account_id=account_id, id__in=ids).select_related(
            "account"
        )
    }
    return [tax_rate_render(rows[rate_id]) for rate_id in ids if rate_id in rows]


def tax_amounts_render(entries) -> list[dict]:
    """Stored ``{"tax_rate", "amount", "inclusive", "taxable_amount"}`` entries in Stripe's
    shape; a rate applied by hand has no taxability reason (that is Stripe Tax's)."""
    return [
        {
            "amount": entry["amount"],
            "inclusive": entry["inclusive"],
            "tax_rate": entry["tax_rate"],
            "taxability_reason": None,
            "taxable_amount": entry["taxable_amount"],
        }
        for entry in entries
    ]


def tax_lines(account_id: str, entries) -> list[dict]:
    """What an invoice page lists under its subtotal: each rate's name, percentage, whether it is
    included in the prices, and its amount (``entries``: ``total_tax_amounts``)."""
    entries = list(entries)
    if not entries:
        return []
    rates = {
        rate.id: rate
        for rate in TaxRate.objects.filter(
            account_id=account_id, id__in=[entry["tax_rate"] for entry in entries]
        )
    }
    shown = []
    for entry in entries:
        rate = rates.get(entry["tax_rate"])
        name = rate.display_name if rate else entry["tax_rate"]
        percent = f"{rate.percentage.normalize():f} %" if rate else ""
        shown.append(
            {
                "label": f"{name} ({percent}{', included' if entry['inclusive'] else ''})",
                "amount": entry["amount"],
                "inclusive": entry["inclusive"],
                "tax_rate": entry["tax_rate"],
            }
        )
    return shown


# Where a batch's read of its customers' tax ids is kept on an invoice instance.
TAX_IDS_NOW = "render_tax_ids_now"


def customer_tax_ids_of(invoice) -> list[dict]:
    """The snapshot taken at finalization; before it, the customer's tax ids as they are now
    (Stripe: a draft follows the customer)."""
    if invoice.customer_tax_ids is not None:
        return invoice.customer_tax_ids
    # Read for a whole batch of invoices already (apps.invoices.render.invoices_render_prepare).
    if TAX_IDS_NOW in invoice.__dict__:
        return invoice.__dict__[TAX_IDS_NOW]
    return customer_tax_ids_now(invoice.account_id, invoice.customer_id)


def customers_tax_ids_now(account_id: str, customer_ids) -> dict[str, list[dict]]:
    """``customer_tax_ids_now`` of many customers, in one read."""
    found: dict[str, list[dict]] = {}
    for customer_id, type, value in (
        TaxId.objects.filter(account_id=account_id, customer_id__in=list(customer_ids))
        .order_by("id")
        .values_list("customer_id", "type", "value")
    ):
        found.setdefault(customer_id, []).append({"type": type, "value": value})
    return found


def customer_tax_ids_now(account_id: str, customer_id: str) -> list[dict]:
    """The customer's tax ids as an invoice not yet finalized (or a preview) shows them."""
    return [
        {"type": type, "value": value}
        for type, value in TaxId.objects.filter(account_id=account_id, customer_id=customer_id)
        .order_by("id")
        .values_list("type", "value")
    ]


def totals_tax_render(totals) -> dict:
    """The tax figures of a computed bill (``billing.compute_bill``'s totals) as an invoice
    object carries them."""
    return {
        "subtotal_excluding_tax": totals.subtotal_excluding_tax,
        "tax": totals.tax,
        "total_excluding_tax": totals.total_excluding_tax,
        "total_tax_amounts": tax_amounts_render(totals.total_tax_amounts),
    }
