"""``UPDATE … RETURNING`` on PostgreSQL and SQLite (≥ 3.35), which Django's ORM does not offer.

``rows_update_returning`` changes the rows a queryset selects and answers what the caller needs
of them in the same statement, instead of an update followed by a read. The values come back
converted as the ORM converts a read (datetimes, JSON, booleans), so callers see model values.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Expression, QuerySet


def update_sets(queryset: QuerySet, values: dict[str, Any]) -> tuple[str, list[Any]]:
    """The ``SET`` list of ``values`` (field name -> value) for ``queryset``'s table."""
    meta = queryset.model._meta
    quote = connection.ops.quote_name
    sets: list[str] = []
    params: list[Any] = []
    for name, value in values.items():
        field = meta.get_field(name)
        sets.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    return ", ".join(sets), params


def where_of(queryset: QuerySet) -> tuple[str, list[Any]]:
    """``queryset``'s filter as SQL on its own table (no joins: an UPDATE names one table)."""
    query = queryset.query
    compiler = query.get_compiler(connection=connection)
    where, params = compiler.compile(query.where)
    if len([alias for alias, count in query.alias_refcount.items() if count]) > 1:
        raise ValueError("rows_update_returning filters on the updated table's own columns only")
    return where, list(params)


def converted(queryset: QuerySet, columns: Sequence[Expression], rows: list) -> list[tuple]:
    """``rows`` as read through ``columns`` (the select expressions they came from), with the
    converters the ORM applies to a read."""
    compiler = queryset.query.get_compiler(connection=connection)
    converters = compiler.get_converters(list(columns))
    if not converters:
        return [tuple(row) for row in rows]
    return [tuple(row) for row in compiler.apply_converters(rows, converters)]


def rows_update_returning(
    queryset: QuerySet, values: dict[str, Any], returning: Sequence[str]
) -> list[tuple]:
    """Set ``values`` on the rows ``queryset`` selects (filters on its own columns only) and
    answer ``returning`` (field names) of each changed row, after the change, in no order."""
    model = queryset.model
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    sets, params = update_sets(queryset, values)
    where, where_params = where_of(queryset)
    fields = [meta.get_field(name) for name in returning]
    columns = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {sets} WHERE {where} RETURNING {columns}", [*params, *where_params]
        )
        rows = cursor.fetchall()
    return converted(queryset, [field.get_col(meta.db_table) for field in fields], rows)
