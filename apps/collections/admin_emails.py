"""Dashboard → Customer emails: the five kinds with their on/off state, each kind's wording
edited with a live preview (htmx, sample data), and a reset to the built-in wording.

The on/off state belongs to the collection settings (``CollectionSettings.email_*``) and is changed
on that page only; this one shows it and links there.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST
from unfold.widgets import UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import AccountScopedAdmin, dashboard_actor
from apps.accounts.dashboard.forms import service_error_to_form
from apps.collections import email_templates
from apps.collections.email_template_services import (
    email_template_reset,
    email_template_save,
)
from apps.collections.email_templates import (
    KIND_PLACEHOLDERS,
    PLACEHOLDERS,
    SAMPLE_CONTEXT,
    Kind,
)
from apps.collections.emails import kind_enabled, wording_of
from apps.collections.models import EmailTemplate
from apps.collections.selectors import collection_settings, email_templates_of
from apps.core.errors import ApplicationError

# When each kind is sent, in the order the page lists them.
SENT_WHEN = {
    Kind.PAYMENT_FAILED: "An automatic payment of an invoice failed and a retry is scheduled.",
    Kind.FINAL_NOTICE: "Instead of the failed-payment email when one retry or none is left.",
    Kind.RECEIPT: "An invoice was paid (any amount above zero).",
    Kind.UPCOMING_RENEWAL: "Before a subscription renews (days before: Billing settings).",
    Kind.CARD_EXPIRING: "A saved card enters the month it expires.",
}
# The page where emails are turned on and off (the collection settings).
SETTINGS_PAGE = "admin:collections_collectionsettings_changelist"


class EmailTemplateForm(forms.Form):
    subject = forms.CharField(
        max_length=email_templates.SUBJECT_MAX,
        strip=False,
        widget=UnfoldAdminTextInputWidget,
    )
    body = forms.CharField(
        max_length=email_templates.BODY_MAX,
        strip=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 16}),
    )

    def __init__(self, *args, kind: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind

    def clean_subject(self) -> str:
        subject = self.cleaned_data["subject"]
        errors = email_templates.subject_errors(self.kind, subject)
        if errors:
            raise ValidationError(errors)
        return subject

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].replace("\r\n", "\n")
        errors = email_templates.body_errors(self.kind, body)
        if errors:
            raise ValidationError(errors)
        return body


@admin.register(EmailTemplate)
class EmailTemplateAdmin(AccountScopedAdmin):
    """The list page is the account's five customer emails."""

    write_capability = roles.SETTINGS

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "kind/<str:kind>/",
                view(self.edit_view),
                name="collections_emailtemplate_edit",
            ),
            path(
                "kind/<str:kind>/preview/",
                view(require_POST(self.preview_view)),
                name="collections_emailtemplate_preview",
            ),
            path(
                "kind/<str:kind>/reset/",
                view(require_POST(self.reset_view)),
                name="collections_emailtemplate_reset",
            ),
            *super().get_urls(),
        ]

    def _render(self, request: HttpRequest, template: str, title: str, **context):
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

    @staticmethod
    def _kind(kind: str) -> str:
        if kind not in Kind.values:
            raise Http404("No such email")
        return kind

    def changelist_view(self, request, extra_context=None):
        account = request.account
        settings_row = collection_settings(account)
        own = email_templates_of(account)
        rows = [
            {
                "kind": kind,
                "label": Kind(kind).label,
                "sent_when": SENT_WHEN[kind],
                "enabled": kind_enabled(settings_row, kind),
                "custom": kind in own,
                "subject": wording_of(own, kind).subject,
            }
            for kind in SENT_WHEN
        ]
        return self._render(
            request,
            "collections/email_templates.html",
            "Customer emails",
            rows=rows,
            settings_url=reverse(SETTINGS_PAGE),
        )

    def edit_view(self, request: HttpRequest, kind: str) -> HttpResponse:
        kind = self._kind(kind)
        account = request.account
        own = email_templates_of(account)
        if request.method == "POST":
            form = EmailTemplateForm(request.POST, kind=kind)
            if not self.can_write(request):
                form.add_error(None, "Your role does not allow changing account settings.")
            elif form.is_valid():
                try:
                    email_template_save(
                        account=account,
                        kind=kind,
                        subject=form.cleaned_data["subject"],
                        body=form.cleaned_data["body"],
                        actor=dashboard_actor(request),
                    )
                except ApplicationError as error:
                    service_error_to_form(form, error)
                else:
                    messages.success(request, f"The {Kind(kind).label.lower()} email was saved.")
                    return redirect("admin:collections_emailtemplate_changelist")
        else:
            wording = wording_of(own, kind)
            form = EmailTemplateForm(
                initial={"subject": wording.subject, "body": wording.body}, kind=kind
            )
        return self._render(
            request,
            "collections/email_template_edit.html",
            f"{Kind(kind).label} email",
            kind=kind,
            form=form,
            custom=kind in own,
            enabled=kind_enabled(collection_settings(account), kind),
            sent_when=SENT_WHEN[kind],
            placeholders=[(name, PLACEHOLDERS[name]) for name in KIND_PLACEHOLDERS[kind]],
            preview=self._preview(request, kind, form),
            settings_url=reverse(SETTINGS_PAGE),
        )

    def _preview(self, request: HttpRequest, kind: str, form: EmailTemplateForm) -> dict:
        """The email as a customer would get it, with sample data; or what stops it."""
        if form.is_bound and not form.is_valid():
            errors = [error for name in ("subject", "body") for error in form.errors.get(name, [])]
            if errors:
                return {"errors": errors}
        values = form.cleaned_data if form.is_bound else form.initial
        context = {**SAMPLE_CONTEXT, "account_name": request.account.name}
        return {
            "subject": email_templates.render_subject(values["subject"], context),
            "text": email_templates.render_text(values["body"], context),
            "html": email_templates.render_html(values["body"], context),
        }

    def preview_view(self, request: HttpRequest, kind: str) -> HttpResponse:
        """The htmx partial: the wording typed so far, rendered with sample data (no write,
        so members who may only read can try wordings too)."""
        kind = self._kind(kind)
        form = EmailTemplateForm(request.POST, kind=kind)
        return render(
            request,
            "collections/_email_preview.html",
            {"preview": self._preview(request, kind, form)},
        )

    def reset_view(self, request: HttpRequest, kind: str) -> HttpResponse:
        kind = self._kind(kind)
        if not self.can_write(request):
            messages.error(request, "Your role does not allow changing account settings.")
            return redirect("admin:collections_emailtemplate_edit", kind)
        email_template_reset(account=request.account, kind=kind, actor=dashboard_actor(request))
        label = Kind(kind).label.lower()
        messages.success(request, f"The {label} email uses the built-in wording again.")
        return redirect("admin:collections_emailtemplate_edit", kind)
