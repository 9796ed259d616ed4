"""CSV export of any dashboard list, with the filters, search and ordering it shows.

The rows are streamed (``StreamingHttpResponse`` over a chunked ``iterator()``), so an export of
a large list holds one chunk in memory, not the list. The columns are the list's own: the row
id, then each ``list_display`` column as text, in the staff member's view of it (the same
labels, amounts and dates). Each export is recorded before its first row is sent.
"""

import csv
import html
from datetime import datetime

from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import path, reverse
from django.utils.html import strip_tags
from django.utils.text import capfirst

from apps.accounts import roles
from apps.accounts.services.exports import list_export_record
from apps.core import clock, dates

# Rows fetched from the database per round trip while streaming.
EXPORT_CHUNK_ROWS = 2000
# A cell starting with one of these is read as a formula by spreadsheet programs.
_FORMULA_STARTS = ("=", "+", "@", "\t", "\r")
# The first column is always the row id, so a list column of it is not repeated.
_NOT_COLUMNS = {"action_checkbox", "id", "pk"}


class _Echo:
    """The file-like object csv.writer needs: each written line is handed back, not stored."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value) -> str:
    """A value of a list column as the text a spreadsheet shows, never a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return dates.iso_utc(value)
    if isinstance(value, list | tuple):
        return " — ".join(text for text in (csv_cell(v) for v in value) if text)
    text = " ".join(html.unescape(strip_tags(str(value))).split())
    if text.startswith(_FORMULA_STARTS) or (text.startswith("-") and not _numeric(text[1:])):
        return "'" + text
    return text


def _numeric(text: str) -> bool:
    return bool(text) and (text[0].isdigit() or not text[0].isalnum() and text[1:2].isdigit())


class CsvExportMixin:
    """Adds "Export CSV" to a ModelAdmin's list: ``<app>_<model>_export`` at ``export.csv``.

    Set ``csv_export = False`` on a list that has an export of its own. The admin using it
    provides ``export_actor(request)``, the Actor the export is recorded under.
    """

    csv_export = True

    def csv_export_allowed(self, request: HttpRequest) -> bool:
        return self.csv_export and roles.role_allows(
            getattr(request, "account_role", None), roles.EXPORT
        )

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_export"
        export = path("export.csv", self.admin_site.admin_view(self.export_view), name=name)
        return [export, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        context = dict(extra_context or {})
        if self.csv_export_allowed(request):
            url = reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_export"
            )
            query = request.GET.urlencode()
            context["csv_export_url"] = f"{url}?{query}" if query else url
        return super().changelist_view(request, context)

    def export_columns(self, request: HttpRequest) -> list[str]:
        return [n for n in self.get_list_display(request) if n not in _NOT_COLUMNS]

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        if not (self.has_view_permission(request) and self.csv_export_allowed(request)):
            raise PermissionDenied
        queryset = self.get_changelist_instance(request).get_queryset(request)
        what = f"{self.opts.app_label}.{self.opts.model_name}"
        list_export_record(
            account=request.account,
            actor=self.export_actor(request),
            what=what,
            filters=dict(request.GET.items()),
            rows=queryset.count(),
            user_agent=request.headers.get("user-agent", ""),
        )
        stamp = dates.file_stamp(clock.now())
        filename = f"{self.opts.verbose_name_plural}-{request.account.id}-{stamp}.csv"
        response = StreamingHttpResponse(
            self._csv_lines(request, queryset), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename.replace(" ", "-")}"'
        return response

    def _csv_lines(self, request: HttpRequest, queryset: models.QuerySet):
        columns = self.export_columns(request)
        writer = csv.writer(_Echo())
        labels = [capfirst(str(label_for_field(n, self.model, self))) for n in columns]
        yield writer.writerow(["id", *labels])
        for obj in queryset.iterator(chunk_size=EXPORT_CHUNK_ROWS):
            yield writer.writerow([obj.pk, *(self._cell(obj, n) for n in columns)])

    def _cell(self, obj, name: str) -> str:
        field, _attr, value = lookup_field(name, obj, self)
        if field is not None and getattr(field, "choices", None) and not field.is_relation:
            value = getattr(obj, f"get_{field.name}_display")()
        return csv_cell(value)
