"""The home page's figures (apps.dashboard.selectors, apps.dashboard.mrr) from known rows, to
the minor unit, and the page that shows them."""

import re
from datetime import timedelta
from fractions import Fraction

import pytest
from django.urls import reverse

from apps.catalog.models import FxRate
from apps.core import clock
from apps.core.actor import SYSTEM
from apps.core.errors import CardError
from apps.dashboard import selectors
from apps.dashboard.mrr import RecurringAmount, monthly_share, mrr_by_currency
from apps.invoices.models import Invoice
from apps.subscriptions.models import Subscription
from apps.subscriptions.services import ItemRequest, subscription_create
from apps.subscriptions.transitions import subscription_status_set
from tests.dashboard.conftest import staff_login
from tests.factories import ChargeFactory, CouponFactory, CustomerFactory, PriceFactory

pytestmark = pytest.mark.django_db


def test_monthly_share_normalises_each_interval_exactly():
    assert monthly_share(30000, interval="year") == 2500
    assert monthly_share(2500, interval="month", interval_count=3) == Fraction(2500, 3)
    assert monthly_share(1000, interval="week") == Fraction(1000 * 365, 84)
    assert monthly_share(100, interval="day") == Fraction(36500, 12)
    with pytest.raises(ValueError):
        monthly_share(100, interval="fortnight")


def test_mrr_by_currency_rounds_each_currency_once_and_never_mixes_them():
    rows = [
        # Three quarterly 10.00: 3 × 333.33… = 1000 once rounded, not 3 × 333 = 999.
        *[RecurringAmount("usd", 1000, "month", 3)] * 3,
        RecurringAmount("jpy", 1000, "week"),
    ]
    assert mrr_by_currency(rows) == {"jpy": 4345, "usd": 1000}


def _subscribe(account, price, *, email, quantity=1, coupon_id=None, trial_end=None):
    customer = CustomerFactory(account=account, email=email, source="tok_visa")
    return subscription_create(
        account=account,
        customer=customer,
        items=[ItemRequest(price, quantity=quantity)],
        coupon_id=coupon_id,
        trial_end=trial_end,
        actor=SYSTEM,
    )


@pytest.fixture
def book(acme):
    """A known book of subscriptions:

    - 2 × Basic (25.00 USD a month) = 50.00 a month, no discount
    - Annual (300.00 USD a year) with a forever 20 % coupon = 240.00 / 12 = 20.00 a month
    - Basic with a once 50 % coupon: a coupon that ends leaves MRR unchanged = 25.00
    - Weekly (1,000 JPY) past due = 1,000 × 365 / 84 = 4,345.24… → 4,345 JPY
    - Basic trialing, and Basic canceled: nothing
    - a metered price: nothing
    """
    account = acme.account
    basic = PriceFactory(account=account)
    annual = PriceFactory(
        account=account, name="Annual", unit_amount=30000, recurring={"interval": "year"}
    )
    weekly = PriceFactory(
        account=account,
        name="Weekly",
        currency="jpy",
        unit_amount=1000,
        recurring={"interval": "week"},
    )
    metered = PriceFactory(
        account=account,
        name="API calls",
        unit_amount=5,
        recurring={"interval": "month", "usage_type": "metered"},
    )
    CouponFactory(account=account, id="FOREVER20", percent_off="20", duration="forever")
    CouponFactory(account=account, id="ONCE50", percent_off="50", duration="once")
    _subscribe(account, basic, email="two@example.com", quantity=2)
    _subscribe(account, annual, email="annual@example.com", coupon_id="FOREVER20")
    _subscribe(account, basic, email="once@example.com", coupon_id="ONCE50")
    past_due = _subscribe(account, weekly, email="jp@example.com")
    subscription_status_set(past_due, "past_due")
    past_due.save(update_fields=["status"])
    _subscribe(
        account, basic, email="trial@example.com", trial_end=clock.now() + timedelta(days=14)
    )
    canceled = _subscribe(account, basic, email="gone@example.com")
    Subscription.objects.filter(pk=canceled.pk).update(status="canceled")
    _subscribe(account, metered, email="meter@example.com")
    return account


def test_mrr_of_a_known_book(book):
    # 50.00 + 20.00 + 25.00 + the metered subscription's 0 = 95.00 USD.
    assert selectors.mrr(account=book, at=clock.now()) == {"jpy": 4345, "usd": 9500}


def test_mrr_adds_currencies_only_at_the_accounts_rates(book):
    amounts = selectors.mrr(account=book, at=clock.now())
    on = clock.now().date()
    assert selectors.in_currency(account=book, amounts=amounts, currency="usd", on=on) is None
    FxRate.objects.create(
        account=book,
        base="jpy",
        quote="usd",
        rate="0.0065",
        effective_on=on,
        created_at=clock.now(),
    )
    # 4,345 JPY × 0.0065 = 28.2425 USD → 28.24; + 95.00.
    assert selectors.in_currency(account=book, amounts=amounts, currency="usd", on=on) == 12324


def test_active_subscriptions_revenue_and_failed_payments(book):
    account = book
    since = clock.now() - timedelta(days=30)
    # The book's first invoices were paid by card: 2 × 25 + 300 × 0.8 + 25 × 0.5 + 0 (trial)
    # + 25 (canceled later) + 0 (metered) = 327.50 USD, and 1,000 JPY.
    assert selectors.active_subscription_count(account=account) == 4
    ChargeFactory(account=account, amount=2000)
    with pytest.raises(CardError):
        ChargeFactory(account=account, amount=700, source="tok_chargeDeclined")
    assert selectors.revenue(account=account, since=since) == {"jpy": 1000, "usd": 34750}
    failed = selectors.failed_payments(account=account, since=since)
    assert (failed.count, failed.amounts) == (1, {"usd": 700})
    assert selectors.revenue(account=account, since=clock.now() + timedelta(seconds=1)) == {}


def test_past_due_invoices_and_upcoming_renewals(book):
    account = book
    now = clock.now()
    invoice = Invoice.objects.filter(account=account, currency="jpy").get()
    Invoice.objects.filter(pk=invoice.pk).update(status="open", amount_paid=0, attempt_count=1)
    past_due = selectors.past_due_invoices(account=account, at=now)
    assert (past_due.count, past_due.amounts) == (1, {"jpy": 1000})
    # The weekly subscription renews 7 days after it began (just before ``now``), the trial
    # turns paid in 14 days, the monthly ones renew in a month; the canceled one never.
    assert selectors.upcoming_renewals(account=account, at=now, days=6)[0] == 0
    count, first = selectors.upcoming_renewals(account=account, at=now, days=7)
    assert (count, [sub.currency for sub in first]) == (1, ["jpy"])
    count, first = selectors.upcoming_renewals(account=account, at=now, days=15)
    assert [sub.customer.email for sub in first] == ["jp@example.com", "trial@example.com"]


def test_figures_of_another_account_are_not_counted(book, globex):
    assert selectors.mrr(account=globex.account, at=clock.now()) == {}
    assert selectors.active_subscription_count(account=globex.account) == 0


def test_home_page_shows_each_figure_linking_to_its_list(client, book):
    staff_login(client, account=book)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    cards = {card.key: card for card in response.context["cards"]}
    assert cards["active_subscriptions"].value == "4"
    assert cards["mrr"].href.endswith("?status__in=active,past_due")
    assert cards["past_due_invoices"].href.endswith("?past_due=yes")
    assert cards["upcoming_renewals"].href.endswith("?renews=7d")
    assert cards["failed_payments"].href.endswith("?created=30d&status__exact=failed")
    for card in cards.values():
        assert client.get(card.href).status_code == 200
    # No Django app index: the per-app pages lead home.
    assert client.get(reverse("admin:app_list", args=["subscriptions"])).url == reverse(
        "admin:index"
    )


@pytest.mark.parametrize(
    ("list_name", "title"),
    [
        ("catalog_fxrate", "FX rates"),
        ("accounts_apikey", "API keys"),
        ("subscriptions_billingsettings", "Billing settings"),
        ("customers_customer", "Customers"),
    ],
)
def test_lists_are_titled_for_people(client, acme, list_name, title):
    staff_login(client, account=acme.account)
    response = client.get(reverse(f"admin:{list_name}_changelist"))
    assert response.status_code == 200
    page_title = re.search(r"<title>\s*(.*?)\s*</title>", response.content.decode(), re.S)
    assert page_title.group(1) == f"{title} | Ledgerline"
