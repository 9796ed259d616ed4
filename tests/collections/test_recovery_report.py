"""Reports → Revenue recovery: invoices whose payment first failed in a date range, how many and
how much were recovered since, by first decline code and by day (the chart), to the cent; and
the report math as a pure core."""

import json
import re
from datetime import date, timedelta

import pytest
from django.test import Client

from apps.accounts.enums import Role
from apps.collections.recovery import CohortRow, duration_text, rate_text, report_build
from apps.collections.selectors import recovery_report
from apps.collections.services import invoices_retry_now
from apps.core.actor import SYSTEM
from apps.invoices.engine.periods import utc
from apps.subscriptions.services import subscription_renew
from tests.collections.failures import card_scenario_set, declining_subscription, renewal_failed
from tests.conftest import make_account
from tests.dashboard.conftest import staff_client, staff_login  # noqa: F401

REPORT = "/dashboard/collections/paymentattempt/recovery/"
RANGE = {"start": "2025-02-01", "end": "2025-02-07"}


def chart_of(html: str) -> dict:
    """The Chart.js data of the page's chart canvas."""
    canvas = re.search(r'<canvas class="chart"[^>]*data-value="([^"]*)"', html).group(1)
    return json.loads(canvas.replace("&quot;", '"'))


@pytest.fixture
def month(acme, at):
    """February 2025 at acme: first failures on the 1st (A $25.00 generic_decline, B 10.00
    USD insufficient_funds) and the 3rd (C €40.00 generic_decline, D $7.00
    generic_decline, then declined again for insufficient funds), one on the 10th (E), one at
    Globex, one renewal paid at once; A and C recovered on the 12th."""
    at(utc(2025, 1, 1))
    a = declining_subscription(acme.account, email="a@example.com")
    b = declining_subscription(
        acme.account, email="b@example.com", amount=1000, scenario="decline_insufficient_funds"
    )
    paid = declining_subscription(acme.account, email="ok@example.com", scenario="succeed")
    globex = declining_subscription(make_account("Globex").account, email="g@example.com")
    at(utc(2025, 1, 3))
    c = declining_subscription(acme.account, email="c@example.com", amount=4000, currency="eur")
    d = declining_subscription(acme.account, email="d@example.com", amount=700)
    at(utc(2025, 1, 10))
    e = declining_subscription(acme.account, email="e@example.com", amount=999)
    invoices = {
        "a": renewal_failed(a, at, utc(2025, 2, 1, 1)),
        "b": renewal_failed(b, at, utc(2025, 2, 1, 1)),
        "globex": renewal_failed(globex, at, utc(2025, 2, 1, 1)),
    }
    subscription_renew(subscription_id=paid.id)
    invoices["c"] = renewal_failed(c, at, utc(2025, 2, 3, 1))
    invoices["d"] = renewal_failed(d, at, utc(2025, 2, 3, 1))
    card_scenario_set(invoices["d"].customer, "decline_insufficient_funds")
    at(utc(2025, 2, 4))
    invoices_retry_now(account=acme.account, invoice_ids=[invoices["d"].id], actor=SYSTEM)
    invoices["e"] = renewal_failed(e, at, utc(2025, 2, 10, 1))
    at(utc(2025, 2, 12))
    for name in ("a", "c"):
        card_scenario_set(invoices[name].customer, "succeed")
    result = invoices_retry_now(
        account=acme.account, invoice_ids=[invoices["a"].id, invoices["c"].id], actor=SYSTEM
    )
    assert sorted(result.paid) == sorted([invoices["a"].id, invoices["c"].id])
    return invoices


def test_the_report_counts_first_failures_in_the_range_and_their_recoveries(acme, month):
    report = recovery_report(account=acme.account, start=date(2025, 2, 1), end=date(2025, 2, 7))

    totals = report.totals
    assert (totals.entered, totals.recovered, totals.rate) == (4, 2, "50.0 %")
    assert totals.failed_amounts == {"usd": 2500 + 1000 + 700, "eur": 4000}
    assert totals.recovered_amounts == {"usd": 2500, "eur": 4000}
    assert totals.recovered_texts == ["€40.00", "$25.00"]
    by_code = {code: figures for code, figures in report.by_code}
    assert [code for code, _ in report.by_code] == ["generic_decline", "insufficient_funds"]
    generic = by_code["generic_decline"]
    assert (generic.entered, generic.recovered, generic.rate) == (3, 2, "66.7 %")
    assert generic.recovered_amounts == {"usd": 2500, "eur": 4000}
    insufficient = by_code["insufficient_funds"]
    assert (insufficient.entered, insufficient.recovered, insufficient.rate) == (1, 0, "0.0 %")
    assert insufficient.failed_amounts == {"usd": 1000}
    assert report.currencies == ["eur", "usd"]
    assert report.days[0] == date(2025, 2, 1)
    assert len(report.days) == 7
    assert report.daily["usd"] == [(3500, 2500), (0, 0), (700, 0), (0, 0), (0, 0), (0, 0), (0, 0)]
    assert report.daily["eur"] == [(0, 0), (0, 0), (4000, 4000), (0, 0), (0, 0), (0, 0), (0, 0)]
    # E first failed on the 10th: a range with only that day counts it alone.
    later = recovery_report(account=acme.account, start=date(2025, 2, 10), end=date(2025, 2, 10))
    assert (later.totals.entered, later.totals.recovered, later.totals.failed_amounts) == (
        1,
        0,
        {"usd": 999},
    )


def test_the_page_shows_totals_codes_and_the_chart(staff_client, acme, month):  # noqa: F811
    page = staff_client.get(REPORT, {**RANGE, "currency": "usd"})

    assert page.status_code == 200
    html = page.content.decode()

    def text(name: str) -> str:
        return re.search(rf"{name}>([^<]*)<", html).group(1).strip()

    assert text("data-entered") == "4"
    assert text("data-recovered") == "2"
    assert text("data-rate") == "50.0 %"
    assert text("data-failed-amounts") == "€40.00 · $42.00"
    assert text("data-recovered-amounts") == "€40.00 · $25.00"
    rows = re.findall(r'data-code-row="([^"]*)">(.*?)</tr>', html, re.S)
    assert [code for code, _ in rows] == ["generic_decline", "insufficient_funds"]
    generic = rows[0][1]
    assert re.search(r"data-code-entered>3<", generic)
    assert re.search(r"data-code-recovered>2<", generic)
    assert re.search(r"data-code-rate>66.7 %<", generic)
    assert "data-code-amount>€40.00 · $25.00<" in generic
    chart = chart_of(html)
    assert chart["labels"] == [f"2025-02-0{day}" for day in range(1, 8)]
    failed, recovered = chart["datasets"]
    assert failed["label"] == "Failed (USD)"
    assert failed["data"] == ["35.00", "0.00", "7.00", "0.00", "0.00", "0.00", "0.00"]
    assert recovered["label"] == "Recovered (USD)"
    assert recovered["data"] == ["25.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00"]
    euro = chart_of(staff_client.get(REPORT, {**RANGE, "currency": "eur"}).content.decode())
    assert euro["datasets"][1]["label"] == "Recovered (EUR)"
    assert euro["datasets"][1]["data"] == ["0.00", "0.00", "40.00", "0.00", "0.00", "0.00", "0.00"]
    assert "Revenue recovery" in staff_client.get("/dashboard/").content.decode()


def test_a_bad_range_is_a_form_error(staff_client):  # noqa: F811
    backwards = staff_client.get(REPORT, {"start": "2025-02-07", "end": "2025-02-01"})
    assert backwards.context["form"].errors == {"end": ["The range ends before it starts."]}
    assert "data-entered" not in backwards.content.decode()
    too_long = staff_client.get(REPORT, {"start": "2024-01-01", "end": "2025-02-01"})
    assert too_long.context["form"].errors == {"end": ["A report covers at most 366 days."]}
    garbage = staff_client.get(REPORT, {"start": "soon", "end": "2025-02-01"})
    assert list(garbage.context["form"].errors) == ["start"]


def test_without_a_range_the_last_30_days_are_shown(acme, at, month):
    at(utc(2025, 2, 20, 12))
    viewer = staff_login(Client(), account=acme.account, role=Role.VIEW_ONLY)

    page = viewer.get(REPORT)

    assert page.status_code == 200
    report = page.context["report"]
    assert (report.start, report.end) == (date(2025, 1, 22), date(2025, 2, 20))
    assert (report.totals.entered, report.totals.recovered) == (5, 2)


def test_the_report_math():
    assert rate_text(2, 3) == "66.7 %"
    assert rate_text(1, 8) == "12.5 %"
    assert rate_text(1, 16) == "6.3 %"  # 6.25 rounds half up
    assert rate_text(0, 0) == "—"
    assert duration_text(timedelta(seconds=24_685)) == "6 h 51 m"
    assert duration_text(timedelta(seconds=29)) == "0 m"
    assert duration_text(timedelta(days=3)) == "3 d"
    rows = [
        CohortRow("expired_card", "jpy", 2, 3000, 1, 1500),
        CohortRow("generic_decline", "usd", 2, 5000, 2, 5000),
        CohortRow("expired_card", "usd", 1, 999, 0, 0),
    ]
    days = [
        CohortRow(date(2025, 3, 2), "usd", 3, 5999, 2, 5000),
        CohortRow(date(2025, 3, 1), "jpy", 2, 3000, 1, 1500),
    ]
    report = report_build(start=date(2025, 3, 1), end=date(2025, 3, 2), by_code=rows, by_day=days)
    assert [(code, f.entered, f.recovered, f.rate) for code, f in report.by_code] == [
        ("expired_card", 3, 1, "33.3 %"),
        ("generic_decline", 2, 2, "100.0 %"),
    ]
    assert report.totals.recovered_texts == ["¥1,500", "$50.00"]
    assert report.chart("jpy")["datasets"][0]["data"] == ["3000", "0"]
    assert report.chart("usd")["datasets"][1]["data"] == ["0.00", "50.00"]
    # A currency with nothing that failed charts zeros.
    assert report.chart("eur")["datasets"][0]["data"] == ["0.00", "0.00"]
