"""Dashboard → Billing → Failed payments (the queue of open invoices whose payment failed, with
filters, "Retry now" per invoice and "Retry selected") and Reports → Revenue recovery.

Retries go through ``apps.collections.services.invoices_retry_now`` (a manual attempt: it pays
the invoice or leaves its schedule as it was); the queue and the report are selectors.
"""

import json

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import AccountScopedAdmin, dashboard_actor
from apps.accounts.dashboard.confirm import confirmation_response, is_confirmed
from apps.collections.admin_confirm import retry_confirmation
from apps.collections.forms import FailedPaymentFilterForm, RecoveryRangeForm
from apps.collections.models import PaymentAttempt
from apps.collections.selectors import (
    failed_payment_codes,
    failed_payment_list,
    invoice_numbers,
    recovery_report,
)
from apps.collections.services import MAX_RETRY_NOW, invoices_retry_now
from apps.core import clock, money
from apps.core.errors import ApplicationError
from apps.customers.payment_method_render import payment_method_label
from apps.invoices.payment_choice import invoice_charged_method

PAGE_SIZE = 50
# The query-string keys of the queue (filters and page), kept across a retry.
QUEUE_KEYS = ("q", "decline_code", "retry", "p")
REFUSED = "Your role does not allow retrying payments: ask a member who may change invoices."


def _page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and 0 < int(value) < 10_000 else 1


@admin.register(PaymentAttempt)
class FailedPaymentsAdmin(AccountScopedAdmin):
    """The list page is the failed-payments queue (invoices, not attempt rows)."""

    write_capability = roles.BILLING_WRITE

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "retry/",
                view(require_POST(self.retry_view)),
                name="collections_paymentattempt_retry",
            ),
            path("recovery/", view(self.recovery_view), name="collections_paymentattempt_recovery"),
            *super().get_urls(),
        ]

    def _render(self, request: HttpRequest, template: str, title: str, **context) -> HttpResponse:
        return render(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "can_write": self.can_write(request),
                **context,
            },
        )

    def changelist_view(self, request, extra_context=None):
        account = request.account
        now = clock.now()
        form = FailedPaymentFilterForm(
            request.GET, codes=failed_payment_codes(account=account, now=now)
        )
        page = _page_number(request.GET.get("p"))
        queryset = failed_payment_list(account=account, now=now, **form.filters())
        offset = (page - 1) * PAGE_SIZE
        invoices = list(queryset[offset : offset + PAGE_SIZE + 1])
        kept = QueryDict(mutable=True)
        for key in QUEUE_KEYS[:-1]:
            if request.GET.get(key):
                kept[key] = request.GET[key]

        def page_url(number: int) -> str:
            query = kept.copy()
            query["p"] = str(number)
            return f"?{query.urlencode()}"

        return self._render(
            request,
            "collections/failed_payments.html",
            "Failed payments",
            form=form,
            rows=[
                (
                    invoice,
                    money.format_amount(invoice.amount_due, invoice.currency),
                    _card_label(invoice),
                )
                for invoice in invoices[:PAGE_SIZE]
            ],
            filtered=any(form.filters().values()),
            previous_url=page_url(page - 1) if page > 1 else None,
            next_url=page_url(page + 1) if len(invoices) > PAGE_SIZE else None,
            filters=request.GET.urlencode(),
            max_retry=MAX_RETRY_NOW,
            recovery_url=reverse("admin:collections_paymentattempt_recovery"),
        )

    def _back(self, request: HttpRequest) -> str:
        """Where the retry came from: a page of this dashboard given as ``next`` (a
        subscription's page), else the queue as it was shown (its filters and page)."""
        following = request.POST.get("next", "")
        if following.startswith("/") and url_has_allowed_host_and_scheme(
            following, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return following
        shown = QueryDict(request.POST.get("filters", ""))
        kept = QueryDict(mutable=True)
        for key in QUEUE_KEYS:
            if shown.get(key):
                kept[key] = shown[key]
        url = reverse("admin:collections_paymentattempt_changelist")
        return f"{url}?{kept.urlencode()}" if kept else url

    def retry_view(self, request: HttpRequest) -> HttpResponse:
        """ "Retry now" (``retry``: one invoice) or "Retry selected" (``selected``: several)."""
        back = self._back(request)
        if not self.can_write(request):
            messages.error(request, REFUSED)
            return redirect(back)
        one = request.POST.get("invoice")
        ids = [one] if one else request.POST.getlist("selected")
        if not ids:
            messages.warning(request, "Select the invoices to retry.")
            return redirect(back)
        account = request.account
        if not is_confirmed(request) and (
            confirmation := retry_confirmation(request, account=account, invoice_ids=ids, back=back)
        ):
            return confirmation_response(
                request, confirmation, site_context=self.admin_site.each_context(request)
            )
        try:
            result = invoices_retry_now(
                account=account, invoice_ids=ids, actor=dashboard_actor(request)
            )
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect(back)
        numbers = invoice_numbers(account=account, invoice_ids=ids)
        if result.paid:
            paid = ", ".join(numbers.get(pk, pk) for pk in result.paid)
            messages.success(request, f"Paid: {paid}. Paid invoices leave the queue.")
        for pk, error in result.failures.items():
            code = error.extra.get("decline_code") or error.code
            reason = f"{error.message} ({code})" if code else error.message
            messages.error(request, f"{numbers.get(pk, pk)} was not paid: {reason}")
        return redirect(back)

    def recovery_view(self, request: HttpRequest) -> HttpResponse:
        today = clock.now().date()
        form = RecoveryRangeForm(
            request.GET if request.GET else None, initial=RecoveryRangeForm.default_range(today)
        )
        if form.is_bound and form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        elif form.is_bound:
            return self._render(
                request, "collections/recovery_report.html", "Revenue recovery", form=form
            )
        else:
            default = RecoveryRangeForm.default_range(today)
            start, end = default["start"], default["end"]
        report = recovery_report(account=request.account, start=start, end=end)
        currencies = report.currencies or [request.account.default_currency]
        currency = request.GET.get("currency", "")
        if currency not in currencies:
            currency = currencies[0]
        return self._render(
            request,
            "collections/recovery_report.html",
            "Revenue recovery",
            form=form,
            report=report,
            currency=currency,
            currencies=currencies,
            chart=json.dumps(report.chart(currency)),
        )


def _card_label(invoice) -> str:
    card = invoice_charged_method(invoice)
    return payment_method_label(card) if card is not None else ""
