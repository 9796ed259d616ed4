"""The Ctrl+K palette's results: Unfold's command palette (``unfold/helpers/command.html``, on
every page: Ctrl+K / Cmd+K opens it, arrow keys move, Enter opens, Esc closes) asks
``admin:search?extended=1`` through htmx and swaps in ``unfold/helpers/command_results.html``.

Unfold's own search walks every registered admin and caches results per user for five minutes,
whatever account is current; this answers from the account-scoped ``dashboard_search`` instead,
uncached, so switching account never shows another account's rows.
"""

import time
from collections.abc import Callable

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from unfold.dataclasses import SearchResult

from apps.core import money
from apps.dashboard.selectors import Hit, dashboard_search

# A row as the palette shows it: (title, description, link).
Shown = tuple[str, str, str]


def _change(model: str, pk: str | None, fallback: str = "") -> str:
    if pk is None:
        return reverse(f"admin:{fallback or model}_changelist")
    return reverse(f"admin:{model}_change", args=[pk])


def _amount(row) -> str:
    return money.format_amount(row.amount, row.currency)


def _owner(row) -> str:
    return str(row.customer) if row.customer_id else "no customer"


def _customer(row) -> Shown:
    return (
        row.email or row.name or row.id,
        f"customer · {row.name or 'no name'} · {row.id}",
        _change("customers_customer", row.id),
    )


def _invoice(row) -> Shown:
    total = money.format_amount(row.total, row.currency)
    return (
        row.number or row.id,
        f"invoice · {total} · {row.status} · {_owner(row)}",
        _change("invoices_invoice", row.id),
    )


def _subscription(row) -> Shown:
    return (
        row.id,
        f"subscription · {row.status} · {_owner(row)}",
        _change("subscriptions_subscription", row.id),
    )


def _charge(row) -> Shown:
    return (
        _amount(row),
        f"payment · {row.status} · {_owner(row)} · {row.id}",
        _change("payments_charge", row.id),
    )


def _payment_intent(row) -> Shown:
    return (
        row.id,
        f"payment intent · {_amount(row)} · {row.status}",
        _change("payments_charge", row.latest_charge_id),
    )


def _payment_method(row) -> Shown:
    return (
        str(row),
        f"payment method · {row.id}",
        _change("customers_customer", row.customer_id),
    )


SHOWN: dict[str, tuple[str, Callable[..., Shown]]] = {
    "customer": ("person", _customer),
    "invoice": ("receipt_long", _invoice),
    "subscription": ("autorenew", _subscription),
    "subscription_item": (
        "autorenew",
        lambda row: (
            row.id,
            f"item of subscription {row.subscription_id}",
            _change("subscriptions_subscription", row.subscription_id),
        ),
    ),
    "charge": ("payments", _charge),
    "payment_intent": ("payments", _payment_intent),
    "refund": (
        "undo",
        lambda row: (
            row.id,
            f"refund · {_amount(row)} of {row.charge_id}",
            _change("payments_charge", row.charge_id),
        ),
    ),
    "payment_method": ("credit_card", _payment_method),
    "product": (
        "inventory_2",
        lambda row: (row.name, f"product · {row.id}", _change("catalog_product", row.id)),
    ),
    "price": (
        "sell",
        lambda row: (
            row.nickname or row.id,
            f"price of {row.product_id}",
            _change("catalog_product", row.product_id),
        ),
    ),
    "credit_note": (
        "receipt",
        lambda row: (
            row.number or row.id,
            f"credit note on {row.invoice_id}",
            _change("invoices_invoice", row.invoice_id),
        ),
    ),
    "event": ("bolt", lambda row: (row.type, f"event · {row.id}", _change("core_event", row.id))),
    "webhook_endpoint": (
        "webhook",
        lambda row: (
            row.url,
            f"webhook endpoint · {row.id}",
            _change("webhooks_webhookendpoint", row.id),
        ),
    ),
    "test_clock": (
        "schedule",
        lambda row: (
            row.name or row.id,
            f"test clock · {row.status} · {row.id}",
            _change("accounts_testclock", row.id),
        ),
    ),
}


def search_result(hit: Hit) -> SearchResult:
    icon, shown = SHOWN[hit.kind]
    title, description, link = shown(hit.row)
    return SearchResult(title=title, description=description, link=link, icon=icon)


def command_search(request: HttpRequest) -> HttpResponse:
    started = time.monotonic()
    hits = dashboard_search(account=request.account, term=request.GET.get("s", ""))
    paginator = Paginator([search_result(hit) for hit in hits], 100)
    return TemplateResponse(
        request,
        "unfold/helpers/command_results.html",
        {
            "page_obj": paginator,
            "results": paginator.page(1),
            "page_counter": 0,
            "execution_time": time.monotonic() - started,
            "command_show_history": False,
        },
        headers={"HX-Trigger": "search"},
    )
