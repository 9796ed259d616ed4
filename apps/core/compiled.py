"""Querysets compiled to SQL once per shape, then run with each call's values.

For the reads on hot paths (an invoice preview, a billing batch): Django builds a queryset's SQL
again on every evaluation (resolving the filters, the joins of ``select_related``, the columns and
their converters), which costs about as much CPU as running the query and making its instances.
A ``CompiledQuery`` builds its queryset once per database connection with marker values in
place of the call's values, keeps the SQL, the positions of the values and how rows become
instances, and then only runs the SQL: the instances are the ones the queryset would make
(every column, the ``select_related`` objects, the annotations), by the same ``from_db``.

Only plain values are parameters (``field=value``, ``field__lt=value``): not lists
(``__in``), not patterns (``__contains``), which Django rewrites before they reach the SQL.
"""

import weakref
from collections.abc import Callable

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

_MARK = "\x00compiled-parameter\x00"


class _Shape:
    """One queryset compiled on one connection."""

    def __init__(self, queryset: QuerySet, names: tuple[str, ...], using: str):
        compiler = queryset.query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        self.slots = [
            (True, param[len(_MARK) :])
            if isinstance(param, str) and param.startswith(_MARK)
            else (False, param)
            for param in params
        ]
        missing = set(names) - {value for named, value in self.slots if named}
        rewritten = [p for named, p in self.slots if not named and _MARK in str(p)]
        if missing or rewritten:
            # A value Django rewrote (a list, a pattern) or dropped: not a plain parameter.
            raise ValueError(f"not plain parameters of the SQL: {sorted(missing)} {rewritten}")
        self.using = using
        klass_info = compiler.klass_info
        self.model = klass_info["model"]
        select_fields = klass_info["select_fields"]
        self.start, self.end = select_fields[0], select_fields[-1] + 1
        self.init_list = [
            column[0].target.attname for column in compiler.select[self.start : self.end]
        ]
        self.related = get_related_populators(klass_info, compiler.select, using)
        self.annotations = list(compiler.annotation_col_map.items())
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        self.converters = list(compiler.get_converters(fields).items())


class CompiledQuery:
    """``build(**markers)`` returns the queryset; ``query(name=value, …)`` its instances.

    Compiled once per connection (a thread's own), as the SQL may differ between backends."""

    def __init__(self, build: Callable[..., QuerySet], *names: str, using: str = "default"):
        self._build = build
        self._names = names
        self._using = using
        self._shapes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _shape(self, connection) -> _Shape:
        shape = self._shapes.get(connection)
        if shape is None:
            queryset = self._build(**{name: _MARK + name for name in self._names})
            shape = self._shapes[connection] = _Shape(queryset, self._names, self._using)
        return shape

    def __call__(self, **values) -> list[Model]:
        connection = connections[self._using]
        shape = self._shape(connection)
        params = [values[value] if named else value for named, value in shape.slots]
        with connection.cursor() as cursor:
            cursor.execute(shape.sql, params)
            rows = cursor.fetchall()
        if shape.converters:
            rows = [_converted(row, shape.converters, connection) for row in rows]
        return [_instance(shape, row) for row in rows]


def _converted(row, converters, connection) -> list:
    row = list(row)
    for position, (functions, expression) in converters:
        value = row[position]
        for function in functions:
            value = function(value, expression, connection)
        row[position] = value
    return row


def _instance(shape: _Shape, row) -> Model:
    obj = shape.model.from_db(shape.using, shape.init_list, row[shape.start : shape.end])
    for populator in shape.related:
        populator.populate(row, obj)
    for attribute, position in shape.annotations:
        setattr(obj, attribute, row[position])
    return obj
