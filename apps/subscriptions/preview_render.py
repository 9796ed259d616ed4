"""A new subscription's preview (``apps.subscriptions.preview``) as Stripe's
``POST /v1/invoices/create_preview`` shows it."""

from datetime import timedelta

from apps.catalog.selectors import plans_of
from apps.core import clock
from apps.invoices.render import invoice_preview_base
from apps.invoices.taxes import totals_tax_render
from apps.subscriptions.invoice_preview import line_preview_render, preview_lines
from apps.subscriptions.preview import NewSubscriptionPreview


def subscription_create_preview_render(preview: NewSubscriptionPreview) -> dict:
    """The first invoice as Stripe's ``create_preview`` shows a new subscription's."""
    first, currency = preview.first, preview.currency
    charges = preview.collection_method == "charge_automatically"
    account = preview.customer.account
    plans = plans_of(account=account, price_ids=[line.price_id for line in first.lines])
    return {
        **invoice_preview_base(account=account, customer=preview.customer, at=first.at),
        "id": None,
        "object": "invoice",
        "amount_due": first.amount_due,
        "amount_paid": 0,
        "amount_remaining": first.amount_due,
        "billing_reason": "subscription_create",
        "collection_method": preview.collection_method,
        "currency": currency,
        "customer": preview.customer.id,
        "due_date": None
        if charges
        else clock.to_epoch(first.at + timedelta(days=preview.days_until_due or 0)),
        "lines": preview_lines(
            [
                line_preview_render(
                    line, currency, plans, taxes, livemode=account.livemode, subscription_id=None
                )
                for line, taxes in zip(first.lines, first.totals.line_taxes, strict=True)
            ]
        ),
        "next_payment_attempt": clock.to_epoch(first.at) if charges and first.created else None,
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "metadata": None,
                "subscription": None,
                "subscription_proration_date": None,
            },
        },
        "period_end": clock.to_epoch(first.period[1]),
        "period_start": clock.to_epoch(first.period[0]),
        "starting_balance": first.settlement.starting_balance if first.settlement else 0,
        "ending_balance": first.ending_balance,
        "status": "draft",
        "subscription": None,
        "subtotal": first.subtotal,
        "total_discount_amounts": (
            [{"amount": sum(first.discounts), "discount": None}] if any(first.discounts) else []
        ),
        "total": first.total,
        **totals_tax_render(first.totals),
    }
