"""The invoice list's "Past due" filter: the home page's "Past-due invoices" link to it."""

from django.contrib import admin

from apps.core import clock
from apps.invoices.selectors import past_due_q


class PastDueFilter(admin.SimpleListFilter):
    title = "past due"
    parameter_name = "past_due"

    def lookups(self, request, model_admin):
        return [("yes", "Past due")]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        return queryset.filter(past_due_q(clock.now()))
