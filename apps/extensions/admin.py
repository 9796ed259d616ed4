"""Dashboard → Billing → Billing customizations: which implementation each billing stage runs
for the account (and, for a per-price stage, for one price), with its settings.

Each stage's page lists its implementations, shows the settings form of the one picked
(generated from its ``ConfigField`` list), previews the draft on one of the account's
subscriptions (the same preview code the API uses, under the saved choices and under the draft;
nothing written) and saves it through ``billing_customization_save`` (audited).
"""

from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import AccountScopedAdmin, dashboard_actor
from apps.accounts.dashboard.forms import service_error_to_form
from apps.core.errors import ApplicationError
from apps.extensions.forms import ChoiceForm, PreviewForm
from apps.extensions.models import BillingCustomization
from apps.extensions.preview import choice_preview
from apps.extensions.render import choice_row, preview_context, settings_of
from apps.extensions.selectors import (
    billing_customization_history,
    billing_customizations_current,
)
from apps.extensions.services import (
    billing_customization_reset,
    billing_customization_save,
    config_check,
)
from apps.invoices.engine.stages import STAGES, Choice, Stage, implementation_get, implementations

REFUSED = "Your role does not allow changing account settings."


@admin.register(BillingCustomization)
class BillingCustomizationAdmin(AccountScopedAdmin):
    """The list page is the account's stages; each stage has its own page."""

    write_capability = roles.SETTINGS

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "stage/<str:stage_id>/",
                view(self.stage_view),
                name="extensions_billingcustomization_stage",
            ),
            path(
                "stage/<str:stage_id>/reset/",
                view(require_POST(self.reset_view)),
                name="extensions_billingcustomization_reset",
            ),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "can_write": self.can_write(request),
            "currency": request.account.default_currency,
        }

    def changelist_view(self, request, extra_context=None):
        currency = request.account.default_currency
        rows = billing_customizations_current(request.account)
        stages = []
        for stage in STAGES.values():
            chosen = [row for row in rows if row.stage == stage.id]
            default = implementation_get(stage.id, stage.default)
            stages.append(
                {
                    "stage": stage,
                    "current": next(
                        (choice_row(row, currency) for row in chosen if row.price_id is None),
                        None,
                    ),
                    "default": {
                        "title": default.title,
                        "version": default.version,
                        "settings": settings_of(default, {}, currency),
                    },
                    "overrides": [
                        choice_row(row, currency) for row in chosen if row.price_id is not None
                    ],
                }
            )
        return render(
            request,
            "extensions/billing_customizations.html",
            {**self._context(request, "Billing customizations"), "stages": stages},
        )

    def _stage(self, stage_id: str) -> Stage:
        if stage_id not in STAGES:
            raise Http404("No such billing stage")
        return STAGES[stage_id]

    def _price(self, request: HttpRequest, stage: Stage, price_id: str):
        """The price whose override is being edited (a per-price stage), else None."""
        if not price_id or not stage.per_price:
            return None
        for row in billing_customizations_current(request.account):
            if row.stage == stage.id and row.price_id == price_id:
                return row.price
        return None

    def stage_view(self, request: HttpRequest, stage_id: str) -> HttpResponse:
        stage = self._stage(stage_id)
        account = request.account
        editing = self._price(request, stage, request.GET.get("price", ""))
        history = list(
            billing_customization_history(account=account, stage=stage.id, price=editing)
        )
        current = next((row for row in history if row.superseded_at is None), None)
        key = request.GET.get("implementation") or (current.implementation if current else "")
        try:
            implementation = implementation_get(stage.id, key or stage.default)
        except KeyError:
            implementation = implementation_get(stage.id, stage.default)
        posted = request.POST if request.method == "POST" else None
        form = ChoiceForm(
            posted,
            account=account,
            stage=stage,
            implementation=implementation,
            config=current.config if current and current.implementation == key else None,
            initial={"price": editing.id if editing else ""},
        )
        saving = posted is not None and request.POST.get("action") == "save"
        # Saving leaves the preview's picks as they were, unchecked.
        preview_form = PreviewForm(
            None if saving else posted,
            account=account,
            stage=stage,
            initial={name: request.POST.get(name) for name in ("subscription", "change_to")},
        )
        preview = None
        if saving:
            done = self._save(request, stage, form)
            if done is not None:
                return done
        elif posted is not None and form.is_valid() and preview_form.is_valid():
            preview = self._preview(request, stage, form, preview_form)
        return render(
            request,
            "extensions/billing_customization_stage.html",
            {
                **self._context(request, stage.title),
                "stage": stage,
                "implementations": implementations(stage.id),
                "implementation": implementation,
                "editing": editing,
                "current": current,
                "history": [choice_row(row, account.default_currency) for row in history],
                "form": form,
                "preview_form": preview_form,
                "preview": preview,
            },
        )

    def _save(self, request: HttpRequest, stage: Stage, form: ChoiceForm) -> HttpResponse | None:
        if not self.can_write(request):
            form.add_error(None, REFUSED)
            return None
        if not form.is_valid():
            return None
        try:
            billing_customization_save(
                account=request.account,
                stage=stage.id,
                implementation=form.implementation.key,
                config=form.config(),
                price=form.picked_price(),
                actor=dashboard_actor(request),
            )
        except ApplicationError as error:
            service_error_to_form(form, error)
            return None
        messages.success(request, f"{stage.title}: {form.implementation.title} saved.")
        return redirect("admin:extensions_billingcustomization_changelist")

    def _preview(
        self, request: HttpRequest, stage: Stage, form: ChoiceForm, preview_form: PreviewForm
    ) -> dict | None:
        implementation = form.implementation
        try:
            draft = Choice(
                stage=stage.id,
                key=implementation.key,
                version=implementation.version,
                config=config_check(implementation, form.config()),
            )
        except ApplicationError as error:
            service_error_to_form(form, error)
            return None
        try:
            preview = choice_preview(
                account=request.account,
                subscription=preview_form.picked_subscription(),
                draft=draft,
                price=form.picked_price(),
                change_to=preview_form.picked_change_to(),
            )
        except ApplicationError as error:
            preview_form.add_error(None, error.message)
            return None
        return preview_context(preview, draft_title=implementation.title)

    def reset_view(self, request: HttpRequest, stage_id: str) -> HttpResponse:
        stage = self._stage(stage_id)
        price = self._price(request, stage, request.POST.get("price", ""))
        if not self.can_write(request):
            messages.error(request, REFUSED)
        else:
            try:
                undone = billing_customization_reset(
                    account=request.account,
                    stage=stage.id,
                    price=price,
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                messages.error(request, error.message)
            else:
                if undone is not None:
                    back = "the account's choice" if price else "the default"
                    messages.success(request, f"{stage.title}: back to {back}.")
        return redirect("admin:extensions_billingcustomization_changelist")
