"""Revenue recovery report math and the retry schedule in words: a pure core (no ORM, no clock).

The report follows the invoices whose payment first failed in a date range (UTC days): how many
there were and for how much, how many are paid since (recovered, with ``amount_paid``), by the
first failure's decline code and by day. Amounts stay integers of minor units, per currency;
rates are shown to a tenth of a percent, rounded half up with integer arithmetic.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from apps.core import money

# The longest range one report covers (its daily series has one point per day).
MAX_RANGE_DAYS = 366


def rate_text(part: int, whole: int) -> str:
    """``part / whole`` as a percentage with one decimal ("66.7 %"); "—" when ``whole`` is 0."""
    if whole <= 0:
        return "—"
    permille = (part * 2000 + whole) // (2 * whole)
    return f"{permille // 10}.{permille % 10} %"


def duration_text(delta: timedelta) -> str:
    """Days, hours and minutes to the nearest minute, zero parts left out: "6 h 51 m",
    "1 d 10 h 17 m", "3 d"."""
    minutes = (int(delta.total_seconds()) + 30) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return " ".join(parts) or "0 m"


def schedule_text(gaps: list[timedelta]) -> str:
    """A retry schedule in words, from ``RetryPolicy.gaps()``."""
    if not gaps:
        return "No retries: the first failed attempt is the last."
    waits = ", ".join(duration_text(gap) for gap in gaps)
    total = duration_text(sum(gaps, timedelta()))
    count = "1 retry" if len(gaps) == 1 else f"{len(gaps)} retries"
    return (
        f"{count}, after {waits} (each after the attempt before it); "
        f"the last {total} after the first failure."
    )


@dataclass(frozen=True)
class CohortRow:
    """One group of first failures as the database counts them: a decline code (or a day) in
    one currency."""

    key: object  # the decline code (str) or the day (date)
    currency: str
    entered: int  # invoices whose payment first failed
    failed_amount: int  # what they owed then
    recovered: int  # those paid since
    recovered_amount: int  # their amount_paid


@dataclass
class Figures:
    entered: int = 0
    recovered: int = 0
    # Per currency: the amount that failed and the amount recovered.
    failed_amounts: dict[str, int] = field(default_factory=dict)
    recovered_amounts: dict[str, int] = field(default_factory=dict)

    def add(self, row: CohortRow) -> None:
        self.entered += row.entered
        self.recovered += row.recovered
        self.failed_amounts[row.currency] = (
            self.failed_amounts.get(row.currency, 0) + row.failed_amount
        )
        self.recovered_amounts[row.currency] = (
            self.recovered_amounts.get(row.currency, 0) + row.recovered_amount
        )

    @property
    def rate(self) -> str:
        return rate_text(self.recovered, self.entered)

    @staticmethod
    def _amounts(amounts: dict[str, int]) -> list[str]:
        return [money.format_amount(amounts[c], c) for c in sorted(amounts)]

    @property
    def failed_texts(self) -> list[str]:
        return self._amounts(self.failed_amounts)

    @property
    def recovered_texts(self) -> list[str]:
        return self._amounts(self.recovered_amounts)


@dataclass
class RecoveryReport:
    start: date
    end: date  # inclusive
    totals: Figures
    # (decline code, figures), most first failures first.
    by_code: list[tuple[str, Figures]]
    currencies: list[str]
    days: list[date]
    # Per currency, per day: (failed amount, recovered amount).
    daily: dict[str, list[tuple[int, int]]]

    def chart(self, currency: str) -> dict:
        """Chart.js data (Unfold's bar chart) for one currency: the amount that failed and the
        amount since recovered, by the day of the first failure."""
        points = self.daily.get(currency, [(0, 0)] * len(self.days))
        code = currency.upper()
        return {
            "labels": [day.isoformat() for day in self.days],
            "datasets": [
                {
                    "label": f"Failed ({code})",
                    "data": [money.major_text(failed, currency) for failed, _ in points],
                    "backgroundColor": "var(--color-base-300)",
                    "displayYAxis": True,
                    "suffixYAxis": code,
                },
                {
                    "label": f"Recovered ({code})",
                    "data": [money.major_text(recovered, currency) for _, recovered in points],
                    "backgroundColor": "var(--color-primary-600)",
                },
            ],
        }


def days_of(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def report_build(
    *, start: date, end: date, by_code: list[CohortRow], by_day: list[CohortRow]
) -> RecoveryReport:
    """The report from the grouped counts (``by_code`` keyed by decline code, ``by_day`` by the
    first failure's UTC day)."""
    totals = Figures()
    codes: dict[str, Figures] = defaultdict(Figures)
    for row in by_code:
        totals.add(row)
        codes[row.key].add(row)
    days = days_of(start, end)
    position = {day: n for n, day in enumerate(days)}
    daily: dict[str, list[tuple[int, int]]] = {}
    for row in by_day:
        points = daily.setdefault(row.currency, [(0, 0)] * len(days))
        n = position[row.key]
        failed, recovered = points[n]
        points[n] = (failed + row.failed_amount, recovered + row.recovered_amount)
    return RecoveryReport(
        start=start,
        end=end,
        totals=totals,
        by_code=sorted(codes.items(), key=lambda item: (-item[1].entered, item[0])),
        currencies=sorted(totals.failed_amounts),
        days=days,
        daily=daily,
    )
