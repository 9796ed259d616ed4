"""Indexes for the dashboard's case-insensitive prefix search of customers by email and name.

Django compiles ``email__istartswith`` (and ``__iexact``) to ``UPPER(email::text) LIKE
UPPER(…)`` on PostgreSQL and to ``email LIKE … ESCAPE '\\'`` on SQLite. Each database answers that
from an index only in its own form: PostgreSQL needs the same ``upper()`` expression with
``text_pattern_ops`` (a plain btree does not serve LIKE under a non-C collation); SQLite's LIKE
optimization needs the column indexed with ``COLLATE NOCASE``. Neither form can be written as a
``Meta.indexes`` entry valid on both, so the indexes are created here, per database.
"""

from django.db import migrations

INDEXES = {
    "postgresql": [
        "CREATE INDEX IF NOT EXISTS customer_email_iprefix ON customers_customer "
        "(account_id, upper(email::text) text_pattern_ops)",
        "CREATE INDEX IF NOT EXISTS customer_name_iprefix ON customers_customer "
        "(account_id, upper(name::text) text_pattern_ops)",
    ],
    "sqlite": [
        "CREATE INDEX IF NOT EXISTS customer_email_iprefix ON customers_customer "
        "(account_id, email COLLATE NOCASE)",
        "CREATE INDEX IF NOT EXISTS customer_name_iprefix ON customers_customer "
        "(account_id, name COLLATE NOCASE)",
    ],
}
DROP = [
    "DROP INDEX IF EXISTS customer_email_iprefix",
    "DROP INDEX IF EXISTS customer_name_iprefix",
]


def create(apps, schema_editor):
    for statement in INDEXES.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor in INDEXES:
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_paymentmethod_client_secret")]

    operations = [migrations.RunPython(create, drop)]
