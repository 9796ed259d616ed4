"""The subscription list's "Renews" filter: the home page's "Upcoming renewals" link to it."""

from django.contrib import admin

from apps.core import clock
from apps.subscriptions.selectors import renewing_q

# Parameter value → (label, days ahead).
RENEWAL_WINDOWS = {"7d": ("In the next 7 days", 7), "30d": ("In the next 30 days", 30)}


class RenewsFilter(admin.SimpleListFilter):
    title = "renews"
    parameter_name = "renews"

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _) in RENEWAL_WINDOWS.items()]

    def queryset(self, request, queryset):
        window = RENEWAL_WINDOWS.get(self.value())
        if window is None:
            return queryset
        return queryset.filter(renewing_q(clock.now(), window[1]))
