"""The customer list's filters: state (deleted or not), balance, created between two days,
currency; and the balance the list shows, as a subquery."""

from datetime import UTC, datetime, time, timedelta

from django.contrib import admin, messages
from django.db.models import OuterRef, Q, Subquery
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.utils import parse_date_str

from apps.customers.models import CustomerBalanceTransaction


class DeletedFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("deleted", "Deleted")]

    def queryset(self, request, queryset):
        if self.value() == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        return queryset.filter(deleted_at__isnull=True)

    def choices(self, changelist):
        # "Active" is the default: the "All" choice would mix in deleted customers.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or "active") == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


def newest_balance():
    """The balance as a correlated subquery: the ending balance of the newest ledger row,
    one index probe on (account, customer, -id) per customer shown."""
    return Subquery(
        CustomerBalanceTransaction.objects.filter(
            account_id=OuterRef("account_id"), customer_id=OuterRef("pk")
        )
        .order_by("-id")
        .values("ending_balance")[:1]
    )


class HasBalanceFilter(admin.SimpleListFilter):
    title = "balance"
    parameter_name = "balance"

    def lookups(self, request, model_admin):
        return [
            ("owes", "Owes (positive)"),
            ("credit", "Holds credit (negative)"),
            ("none", "Zero"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value not in ("owes", "credit", "none"):
            return queryset
        # CustomerAdmin.get_queryset annotates newest_balance. Non-zero balances start from the
        # customers with ledger rows (few, next to every customer), not a scan of all of them.
        if value in ("owes", "credit"):
            queryset = queryset.filter(
                pk__in=CustomerBalanceTransaction.objects.filter(account=request.account).values(
                    "customer_id"
                )
            )
        if value == "owes":
            return queryset.filter(newest_balance__gt=0)
        if value == "credit":
            return queryset.filter(newest_balance__lt=0)
        return queryset.filter(Q(newest_balance=0) | Q(newest_balance__isnull=True))


class CreatedRangeFilter(RangeDateFilter):
    """Created between two days (UTC), both included."""

    def queryset(self, request, queryset):
        bounds = {}
        for suffix, lookup, days in (("_from", "gte", 0), ("_to", "lt", 1)):
            raw = self.used_parameters.get(f"{self.parameter_name}{suffix}")
            if not raw:
                continue
            day = parse_date_str(raw)
            if day is None:
                messages.error(request, f"Not a date: {raw}")
                return queryset
            start = datetime.combine(day, time.min, tzinfo=UTC) + timedelta(days=days)
            bounds[f"{self.field_path}__{lookup}"] = start
        return queryset.filter(**bounds)


class CurrencyFilter(admin.SimpleListFilter):
    title = "currency"
    parameter_name = "currency"

    def lookups(self, request, model_admin):
        return [("none", "Not set yet"), ("usd", "USD"), ("eur", "EUR"), ("gbp", "GBP")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(currency="" if self.value() == "none" else self.value())
