"""Dated exchange rates per account: entered one by one or imported from CSV, all or nothing."""

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from apps.accounts.audit import audit_record
from apps.accounts.models import Account
from apps.catalog.models import FxRate
from apps.core import clock, money
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError

MAX_ROWS = 10_000
COLUMNS = ["date", "base", "quote", "rate"]


@dataclass(frozen=True)
class RateRow:
    effective_on: date
    base: str
    quote: str
    rate: Decimal


def rate_row(
    *, effective_on: str | date, base: str, quote: str, rate: str | Decimal, where: str = ""
) -> RateRow:
    prefix = f"{where}: " if where else ""
    try:
        day = (
            effective_on
            if isinstance(effective_on, date)
            else date.fromisoformat(effective_on.strip())
        )
    except ValueError as exc:
        raise InvalidRequestError(
            f"{prefix}the date must be YYYY-MM-DD.", param="effective_on"
        ) from exc
    try:
        base_code, quote_code = money.currency_normalize(base), money.currency_normalize(quote)
        value = money.to_decimal(str(rate).strip())
    except money.MoneyError as exc:
        raise InvalidRequestError(f"{prefix}{exc}", param="rate") from exc
    if base_code == quote_code:
        raise InvalidRequestError(f"{prefix}base and quote are the same currency.", param="quote")
    if value <= 0 or -value.as_tuple().exponent > 10 or value >= Decimal(10) ** 10:
        raise InvalidRequestError(
            f"{prefix}the rate is positive, with at most 10 decimals.", param="rate"
        )
    return RateRow(day, base_code, quote_code, value)


def _store(account: Account, rows: list[RateRow], *, source: str, actor: Actor) -> int:
    now = clock.now()
    with transaction.atomic():
        for row in rows:
            FxRate.objects.update_or_create(
                account=account,
                base=row.base,
                quote=row.quote,
                effective_on=row.effective_on,
                defaults={"rate": row.rate, "source": source, "created_at": now},
            )
        audit_record(
            account=account,
            actor=actor,
            action=f"fx_rates.{source}",
            object_type="fx_rate",
            object_id=account.id,
            changes={"rows": [None, len(rows)]},
        )
    return len(rows)


def fx_rate_set(*, account: Account, row: RateRow, actor: Actor) -> None:
    _store(account, [row], source="manual", actor=actor)


def fx_rates_import(*, account: Account, text: str, actor: Actor) -> int:
    """CSV with a header ``date,base,quote,rate``; one bad line and nothing is written."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if header != COLUMNS:
        raise InvalidRequestError(f"Line 1: the header must be {','.join(COLUMNS)}.", param="file")
    rows: list[RateRow] = []
    seen: set[tuple] = set()
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(COLUMNS):
            raise InvalidRequestError(
                f"Line {number}: expected 4 columns, found {len(cells)}.", param="file"
            )
        row = rate_row(
            effective_on=cells[0],
            base=cells[1],
            quote=cells[2],
            rate=cells[3],
            where=f"Line {number}",
        )
        key = (row.effective_on, row.base, row.quote)
        if key in seen:
            raise InvalidRequestError(f"Line {number}: the same rate appears twice.", param="file")
        seen.add(key)
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise InvalidRequestError(f"At most {MAX_ROWS} rates per file.", param="file")
    if not rows:
        raise InvalidRequestError("The file has no rates.", param="file")
    return _store(account, rows, source="csv", actor=actor)
