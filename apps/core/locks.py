"""Row locks, always taken in one global order.

Two transactions that lock the same rows in different orders can deadlock; two that take them in
one order queue. Every service that locks rows locks them through ``rows_lock`` (or, for one row
read and changed in one statement, ``row_lock_update``), which
takes the rows model by model in ``ORDER`` (account → the rows of its team, keys and settings →
customer → its payment methods, ledger rows, notes and tax ids → subscription → the catalog rows
it redeems or bills: product → price → promotion code → coupon → tax rate → invoice → its
pending items → payment intent → setup intent → charge → refund → webhook endpoint → webhook
delivery) and,
within a model, in primary-key order.

The lock is PostgreSQL's ``FOR NO KEY UPDATE`` (these writes never change a key): it queues
writers of the same rows but not the foreign-key checks of rows inserted elsewhere that point at
them (a payment attempt naming the customer), which take ``KEY SHARE`` at commit and would
otherwise wait on a lock taken out of the global order. Rows about to be deleted are locked with
``delete=True`` (``FOR UPDATE``), which does wait for those ``KEY SHARE`` holders, so a row
inserted to point at one is seen (and deleted with it) instead of losing its parent.

The lock only guards a re-check and a claim: processors and outside URLs are called after the
transaction that holds it has committed (STYLE.md §7).
"""

from typing import Any

from django.db import connection
from django.db.models import QuerySet

from apps.core.returning import converted, rows_update_returning, update_sets

ORDER = (
    "accounts.account",
    "accounts.membership",
    "accounts.invitation",
    "accounts.apikey",
    "accounts.twofactordevice",
    # An account's own rows, each locked alone: its test clocks, invoice branding, billing and
    # collection settings, and its email templates.
    "accounts.testclock",
    "accounts.accountbranding",
    "subscriptions.billingsettings",
    "collections.collectionsettings",
    "collections.emailtemplate",
    "payments.paymentsettings",
    "customers.customer",
    "customers.paymentmethod",
    "customers.customerbalancetransaction",
    "customers.customernote",
    "customers.taxid",
    "subscriptions.subscription",
    # A coupon is redeemed for a subscription (locked first) or an invoice being made: its
    # code, then the coupon; a price is locked after its products.
    "catalog.product",
    "catalog.price",
    "catalog.promotioncode",
    "catalog.coupon",
    # A tax rate is only ever locked alone (to be changed); it is never locked with others.
    "catalog.taxrate",
    "invoices.invoice",
    # An invoice's pending items, then the invoice number sequence (taken last when finalizing)
    # and the payment attempts claimed for an invoice.
    "invoices.invoiceitem",
    "invoices.invoicenumbersequence",
    "collections.paymentattempt",
    "payments.paymentintent",
    # A setup intent is locked after the payment method it attaches to its customer.
    "payments.setupintent",
    "payments.charge",
    "payments.refund",
    "webhooks.webhookendpoint",
    "webhooks.webhookdelivery",
)


def _rank(queryset: QuerySet) -> int:
    label = queryset.model._meta.label_lower
    if label not in ORDER:
        raise ValueError(f"{label} is not in the lock order (apps.core.locks.ORDER)")
    return ORDER.index(label)


def rows_lock(*querysets: QuerySet, skip_locked: bool = False, delete: bool = False) -> list[list]:
    """Lock the rows each of ``querysets`` selects, in the global order; answers each queryset's
    rows (in primary-key order), in the order the querysets were given. ``skip_locked``: rows
    another transaction holds are left out instead of waited for. ``delete``: the rows are to be
    deleted (``FOR UPDATE``, see above). Inside a transaction only."""
    if not connection.in_atomic_block:
        raise RuntimeError("rows_lock needs an open transaction (transaction.atomic)")
    ranked = sorted(range(len(querysets)), key=lambda i: _rank(querysets[i]))
    if len({_rank(querysets[i]) for i in ranked}) != len(querysets):
        raise ValueError("rows_lock takes one queryset per model")
    rows: list[list] = [[] for _ in querysets]
    for i in ranked:
        rows[i] = list(
            querysets[i]
            .select_for_update(of=("self",), skip_locked=skip_locked, no_key=not delete)
            .order_by("pk")
        )
    return rows


def row_lock(queryset: QuerySet, *, delete: bool = False):
    """The one row ``queryset`` selects, locked (None when there is none)."""
    (rows,) = rows_lock(queryset, delete=delete)
    return rows[0] if rows else None


def rows_key_share(queryset: QuerySet) -> list:
    """The rows ``queryset`` selects, kept from being deleted until the transaction ends
    (PostgreSQL's ``FOR KEY SHARE``: readers and ordinary updates go on, a ``DELETE`` waits), so
    rows inserted to point at them cannot lose their parent before the commit. SQLite runs one
    writer at a time, so a plain read is enough there. Inside a transaction only."""
    if not connection.in_atomic_block:
        raise RuntimeError("rows_key_share needs an open transaction (transaction.atomic)")
    if connection.vendor != "postgresql":
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    return list(queryset.model.objects.raw(f"{sql} FOR KEY SHARE", params))


def rows_claim(queryset: QuerySet, values: dict[str, Any], returning: list[str]) -> list[tuple]:
    """Set ``values`` on the rows ``queryset`` selects that no other transaction holds, in one
    statement, and answer ``returning`` (field names) of each, after the change. For a claim
    (``queryset`` selects the unclaimed rows, ``values`` marks them): rows another claimer holds
    are skipped, not waited for (PostgreSQL's ``SKIP LOCKED``; that claimer either commits its
    mark or rolls it back for a later claim), so two claimers never wait on each other, in any
    order. SQLite runs one writer at a time. Inside a transaction only."""
    if not connection.in_atomic_block:
        raise RuntimeError("rows_claim needs an open transaction (transaction.atomic)")
    free = queryset.values_list("pk").select_for_update(of=("self",), no_key=True, skip_locked=True)
    return rows_update_returning(queryset.model.objects.filter(pk__in=free), values, returning)


def row_lock_update(queryset: QuerySet, values: dict[str, Any]):
    """Lock the one row ``queryset`` selects (by primary key), read it and set ``values`` (field
    name -> value) on it, in one statement; answers the row as it was before the change, with
    the queryset's annotations (read with it, before the change), or None when there is none.

    For an update whose new values do not depend on the old ones, where the caller needs the
    old row (an event's ``previous_attributes``) and would otherwise read it, locked, first.
    The read is a ``MATERIALIZED`` common table expression, evaluated once, before the
    ``UPDATE`` it feeds, and answered again by ``RETURNING``: on PostgreSQL it takes the lock
    as ``rows_lock`` does (``FOR NO KEY UPDATE``, which after waiting reads the row's newest
    version, the one the update then changes); SQLite runs one writer at a time. Needs SQLite
    3.35 (``RETURNING``). Inside a transaction only."""
    if not connection.in_atomic_block:
        raise RuntimeError("row_lock_update needs an open transaction (transaction.atomic)")
    _rank(queryset)
    model = queryset.model
    meta = model._meta
    names = [field.attname for field in meta.concrete_fields]
    annotations = list(queryset.query.annotations)
    read = queryset.values_list(*names, *annotations).select_for_update(of=("self",), no_key=True)
    compiler = read.query.get_compiler(connection=connection)
    select_sql, select_params = compiler.as_sql()
    expressions = [column for column, _, _ in compiler.select]
    if len(expressions) != len(names) + len(annotations):
        raise ValueError("row_lock_update reads the model's columns and its annotations only")
    quote = connection.ops.quote_name
    aliases = [f"c{i}" for i in range(len(expressions))]
    sets, set_params = update_sets(queryset, values)
    returned = ", ".join(f"(SELECT {alias} FROM old)" for alias in aliases)
    pk_alias = aliases[names.index(meta.pk.attname)]
    sql = (
        f"WITH old ({', '.join(aliases)}) AS MATERIALIZED ({select_sql}) "
        f"UPDATE {quote(meta.db_table)} SET {sets} "
        f"WHERE {quote(meta.pk.column)} = (SELECT {pk_alias} FROM old) "
        f"RETURNING {returned}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*select_params, *set_params])
        rows = cursor.fetchall()
    if not rows:
        return None
    (row,) = converted(read, expressions, rows)
    instance = model.from_db(connection.alias, names, row[: len(names)])
    for name, value in zip(annotations, row[len(names) :], strict=True):
        setattr(instance, name, value)
    return instance
