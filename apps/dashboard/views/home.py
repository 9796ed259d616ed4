"""The dashboard's home page: the account's figures, each a card linking to the list behind it,
and charts of the last 30 days."""

import json
from dataclasses import dataclass
from datetime import timedelta

from django.http import HttpRequest
from django.urls import reverse

from apps.core import clock, dates, money
from apps.dashboard import selectors

WINDOW_DAYS = 30
RENEWAL_DAYS = 7


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    value: str
    detail: str
    href: str


def _amounts_text(amounts: dict[str, int], fallback_currency: str) -> list[str]:
    """Each currency's amount, largest first; a zero in the account's currency when none."""
    if not any(amounts.values()):
        return [money.format_amount(0, fallback_currency)]
    ordered = sorted(amounts.items(), key=lambda item: (-abs(item[1]), item[0]))
    return [money.format_amount(amount, code) for code, amount in ordered if amount]


def _list_url(name: str, query: str) -> str:
    return f"{reverse(f'admin:{name}_changelist')}?{query}"


def _mrr_card(account, now) -> Card:
    amounts = selectors.mrr(account=account, at=now)
    texts = _amounts_text(amounts, account.default_currency)
    detail = "Active and past-due subscriptions, per month"
    if len(texts) > 1:
        total = selectors.in_currency(
            account=account, amounts=amounts, currency=account.default_currency, on=now.date()
        )
        detail = (
            f"{money.format_amount(total, account.default_currency)} in all at your FX rates"
            if total is not None
            else "Per currency (add FX rates to see one total)"
        )
    return Card(
        key="mrr",
        title="MRR",
        value=" · ".join(texts),
        detail=detail,
        href=_list_url("subscriptions_subscription", "status__in=active,past_due"),
    )


def home_cards(account, now, *, renewals: int) -> list[Card]:
    since = now - timedelta(days=WINDOW_DAYS)
    currency = account.default_currency
    failed = selectors.failed_payments(account=account, since=since)
    past_due = selectors.past_due_invoices(account=account, at=now)
    return [
        _mrr_card(account, now),
        Card(
            key="active_subscriptions",
            title="Active subscriptions",
            value=str(selectors.active_subscription_count(account=account)),
            detail="Paid up and renewing",
            href=_list_url("subscriptions_subscription", "status__exact=active"),
        ),
        Card(
            key="revenue",
            title=f"Revenue, last {WINDOW_DAYS} days",
            value=" · ".join(
                _amounts_text(selectors.revenue(account=account, since=since), currency)
            ),
            detail="Captured by successful payments, less refunds",
            href=_list_url("payments_charge", f"created={WINDOW_DAYS}d"),
        ),
        Card(
            key="failed_payments",
            title=f"Failed payments, last {WINDOW_DAYS} days",
            value=str(failed.count),
            detail=" · ".join(_amounts_text(failed.amounts, currency)),
            href=_list_url("payments_charge", f"created={WINDOW_DAYS}d&status__exact=failed"),
        ),
        Card(
            key="past_due_invoices",
            title="Past-due invoices",
            value=str(past_due.count),
            detail=" · ".join(_amounts_text(past_due.amounts, currency)) + " left to pay",
            href=_list_url("invoices_invoice", "past_due=yes"),
        ),
        Card(
            key="upcoming_renewals",
            title="Upcoming renewals",
            value=str(renewals),
            detail=f"In the next {RENEWAL_DAYS} days",
            href=_list_url("subscriptions_subscription", f"renews={RENEWAL_DAYS}d"),
        ),
    ]


def home_charts(account, now) -> dict:
    """Chart.js data for Unfold's chart components: amounts as decimal strings of major units
    (never floats), counts as integers."""
    days = selectors.days_ending(now.date(), WINDOW_DAYS)
    currency = account.default_currency
    series = selectors.daily_charges(account=account, currency=currency, days=days)
    labels = [dates.day_label(day) for day in days]
    revenue = {
        "labels": labels,
        "datasets": [
            {
                "label": f"Revenue ({currency.upper()})",
                "data": [money.major_text(amount, currency) for amount in series["revenue"]],
                "borderColor": "var(--color-primary-600)",
                "backgroundColor": "var(--color-primary-600)",
                "displayYAxis": True,
                "suffixYAxis": currency.upper(),
            }
        ],
    }
    failed = {
        "labels": labels,
        "datasets": [
            {
                "label": "Failed payments",
                "data": series["failed"],
                "backgroundColor": "var(--color-primary-400)",
                "displayYAxis": True,
            }
        ],
    }
    return {
        "revenue_currency": currency.upper(),
        "revenue_chart": json.dumps(revenue),
        "failed_chart": json.dumps(failed),
    }


def home_context(request: HttpRequest) -> dict:
    account = request.account
    now = clock.now()
    renewals, renewing = selectors.upcoming_renewals(account=account, at=now, days=RENEWAL_DAYS)
    return {
        "title": "Home",
        "cards": home_cards(account, now, renewals=renewals),
        "renewing": renewing,
        **home_charts(account, now),
    }
