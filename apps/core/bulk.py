"""Set-based inserts for hot, append-only tables (request logs, meter events, ledger rows).

On PostgreSQL rows go through ``COPY … FROM STDIN``: one round trip and no SQL literal quoting,
an order of magnitude faster than ``bulk_create`` for wide text rows (100 request-log rows with
4 kB bodies: about 5 ms against 45–75 ms). Other databases use ``bulk_create``. Either way no
model ``save()`` runs and no signal fires, exactly like ``bulk_create``; primary keys must be set
by the caller (public ids are generated on the instance).
"""

from collections.abc import Sequence

from django.db import connections, models, router


def rows_insert(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    if not objs:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        model.objects.using(alias).bulk_create(objs)
        return
    fields = model._meta.concrete_fields
    for obj in objs:
        for field in fields:
            if field.primary_key and getattr(obj, field.attname) is None:
                raise ValueError(f"{model.__name__} rows need their primary key set before insert")
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    # The raw psycopg cursor bypasses Django's error translation: wrap it, so callers catch
    # django.db.IntegrityError / DatabaseError on every database.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
                )
