"""The upcoming invoice of a customer named alone (no subscription, no items): what is pending for
them, as Stripe previews it. The next invoice of their subscription that renews first, or, with
none renewing, their pending invoice items outside any subscription as one invoice; with nothing
to invoice, Stripe's ``invoice_upcoming_none``. Computed, never written."""

from apps.catalog.selectors import plans_of
from apps.core import clock
from apps.core.errors import ApplicationError
from apps.customers.models import Customer
from apps.customers.selectors import customer_balance
from apps.invoices.discounts import discount_in_force
from apps.invoices.engine.planner import Line
from apps.invoices.engine.settlement import invoice_settle
from apps.invoices.engine.staging import BALANCE
from apps.invoices.models import InvoiceItem
from apps.invoices.render import invoice_preview_base
from apps.invoices.services import collection_previewed, invoice_totals
from apps.invoices.stage_choices import stage_choices
from apps.invoices.taxes import totals_tax_render
from apps.subscriptions.invoice_preview import invoice_preview, line_preview_render, preview_lines
from apps.subscriptions.models import Subscription
from apps.subscriptions.services.renewal_parts import RENEWABLE


def _nothing_upcoming(customer: Customer) -> ApplicationError:
    return ApplicationError(
        f"No upcoming invoices for customer: {customer.id}",
        code="invoice_upcoming_none",
        http_status=404,
    )


def _item_line(item: InvoiceItem) -> Line:
    return Line(
        "",
        item.kind,
        item.period_start,
        item.period_end,
        item.amount,
        item.quantity,
        item.price_id or "",
        item.description,
    )


def _pending_invoice(customer: Customer, items: list[InvoiceItem]) -> dict:
    """The customer's pending items of one currency as the invoice ``POST /v1/invoices`` with
    ``pending_invoice_items_behavior=include`` would make of them now."""
    account = customer.account
    currency = items[0].currency
    lines = [_item_line(item) for item in items if item.currency == currency]
    now = clock.now(test_clock_id=customer.test_clock_id)
    choices = stage_choices(account)
    discount = discount_in_force(customer=customer, subscription=None, at=now)
    balance = customer_balance(customer)
    discounts, totals = invoice_totals(
        discount,
        [(line.amount, line.kind, line.price_id, line.proration) for line in lines],
        currency=currency,
        balance=balance,
        choices=choices,
    )
    settled = invoice_settle(
        total=totals.total, balance=balance, currency=currency, choice=choices.of(BALANCE)
    )
    method, _ = collection_previewed(
        account,
        total=totals.total,
        amount_due=settled.amount_due,
        currency=currency,
        collection_method="charge_automatically",
        days_until_due=None,
        choices=choices,
    )
    plans = plans_of(account=account, price_ids=[line.price_id for line in lines])
    return {
        **invoice_preview_base(account=account, customer=customer, at=now),
        "id": None,
        "object": "invoice",
        "amount_due": settled.amount_due,
        "amount_paid": 0,
        "amount_remaining": settled.amount_due,
        "billing_reason": "manual",
        "collection_method": method,
        "currency": currency,
        "customer": customer.id,
        "ending_balance": settled.ending_balance,
        "lines": preview_lines(
            [
                line_preview_render(
                    line, currency, plans, livemode=account.livemode, subscription_id=None
                )
                for line in lines
            ]
        ),
        "next_payment_attempt": None,
        "parent": None,
        "period_end": clock.to_epoch(now),
        "period_start": clock.to_epoch(min([now, *(item.created_at for item in items)])),
        "starting_balance": settled.starting_balance,
        "status": "draft",
        "subscription": None,
        "subtotal": totals.subtotal,
        "total_discount_amounts": (
            [{"amount": sum(discounts), "discount": discount.id}] if any(discounts) else []
        ),
        "total": totals.total,
        **totals_tax_render(totals),
    }


def customer_upcoming_preview(*, customer: Customer) -> dict:
    subscription = (
        Subscription.objects.select_related("customer", "account")
        .filter(
            account_id=customer.account_id,
            customer=customer,
            status__in=RENEWABLE,
            cancel_at_period_end=False,
        )
        .order_by("current_period_end", "id")
        .first()
    )
    if subscription is not None:
        return invoice_preview(subscription=subscription, changes=[])
    items = list(
        InvoiceItem.objects.filter(
            account_id=customer.account_id,
            customer=customer,
            invoice__isnull=True,
            subscription_id__isnull=True,
        ).order_by("id")
    )
    if not items:
        raise _nothing_upcoming(customer)
    return _pending_invoice(customer, items)
