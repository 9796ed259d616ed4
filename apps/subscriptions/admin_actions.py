"""The subscription page's other actions: add an item (with its own trial), pause collection and
clear it, resume a paused subscription, schedule a cancellation (``cancel_at``) and clear it,
choose the default tax rates.

Each validates its form and calls the service; a refusal re-shows the page with the form's
errors; members whose role cannot write are refused before anything runs.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from apps.accounts.dashboard.admin_base import dashboard_actor
from apps.accounts.dashboard.forms import service_error_to_form
from apps.core import clock
from apps.core.errors import ApplicationError
from apps.subscriptions.forms import (
    AddItemForm,
    CancelAtForm,
    PauseForm,
    ResumeForm,
    TaxRatesForm,
    item_trial_end,
)
from apps.subscriptions.services import (
    ItemRequest,
    SubscriptionSettings,
    subscription_item_add,
    subscription_update_settings,
)
from apps.subscriptions.services.lifecycle import subscription_resume

REFUSED = "Your role does not allow changing subscriptions."


def page_forms(subscription, **bound) -> dict:
    """The action forms of a subscription page, unbound unless given bound."""
    return {
        "add_item_form": bound.get("add_item_form") or AddItemForm(subscription=subscription),
        "pause_form": bound.get("pause_form") or PauseForm(),
        "resume_form": bound.get("resume_form") or ResumeForm(),
        "cancel_at_form": bound.get("cancel_at_form") or CancelAtForm(),
        "tax_rates_form": bound.get("tax_rates_form") or TaxRatesForm(subscription=subscription),
    }


class SubscriptionActionsMixin:
    """Views for SubscriptionAdmin (which provides _subscription, _page and can_write)."""

    def _done(self, request, subscription, message: str) -> HttpResponse:
        messages.success(request, message)
        return redirect("admin:subscriptions_subscription_change", subscription.id)

    def _settings(self, request, subscription, form, settings: SubscriptionSettings, message: str):
        try:
            subscription_update_settings(
                account=request.account,
                subscription_id=subscription.id,
                settings=settings,
                actor=dashboard_actor(request),
            )
        except ApplicationError as error:
            if form is None:
                messages.error(request, error.message)
                return redirect("admin:subscriptions_subscription_change", subscription.id)
            field = {"pause_collection[resumes_at]": "resumes_at"}.get(error.param, error.param)
            form.add_error(field if field in form.fields else None, error.message)
            return None
        return self._done(request, subscription, message)

    def add_item_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        subscription = self._subscription(request, object_id)
        form = AddItemForm(request.POST, subscription=subscription)
        if not self.can_write(request):
            form.add_error(None, REFUSED)
        elif form.is_valid():
            data = form.cleaned_data
            now = clock.now(test_clock_id=subscription.customer.test_clock_id)
            end = item_trial_end(data, now)
            if end is not None and end <= now:
                form.add_error("trial_end", "The trial must end in the future.")
            else:
                try:
                    item = subscription_item_add(
                        account=request.account,
                        subscription_id=subscription.id,
                        request=ItemRequest(
                            price=form.prices[data["price"]],
                            quantity=data["quantity"],
                            trial_end=end,
                        ),
                        proration_behavior=data["proration_behavior"],
                        actor=dashboard_actor(request),
                    )
                except ApplicationError as error:
                    service_error_to_form(form, error)
                else:
                    return self._done(request, subscription, f"Item {item.id} was added.")
        return self._page(request, subscription, add_item_form=form)

    def pause_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        subscription = self._subscription(request, object_id)
        form = PauseForm(request.POST)
        if not self.can_write(request):
            form.add_error(None, REFUSED)
        elif form.is_valid():
            done = self._settings(
                request, subscription, form, form.settings(), "Collection is paused."
            )
            if done is not None:
                return done
        return self._page(request, subscription, pause_form=form)

    def unpause_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        subscription = self._subscription(request, object_id)
        if not self.can_write(request):
            messages.error(request, REFUSED)
            return redirect("admin:subscriptions_subscription_change", subscription.id)
        return self._settings(
            request,
            subscription,
            None,
            SubscriptionSettings(pause_collection=None),
            "Collection resumed.",
        )

    def resume_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        subscription = self._subscription(request, object_id)
        form = ResumeForm(request.POST)
        if not self.can_write(request):
            form.add_error(None, REFUSED)
        elif form.is_valid():
            try:
                subscription_resume(
                    account=request.account,
                    subscription_id=subscription.id,
                    billing_cycle_anchor=form.cleaned_data["billing_cycle_anchor"],
                    proration_behavior=form.cleaned_data["proration_behavior"],
                    actor=dashboard_actor(request),
                )
            except ApplicationError as error:
                service_error_to_form(form, error)
            else:
                return self._done(request, subscription, "The subscription was resumed.")
        return self._page(request, subscription, resume_form=form)

    def cancel_at_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        subscription = self._subscription(request, object_id)
        form = CancelAtForm(request.POST)
        if not self.can_write(request):
            form.add_error(None, REFUSED)
        elif form.is_valid():
            when = form.cleaned_data["cancel_at"]
            done = self._settings(
                request,
                subscription,
                form,
                form.settings(),
                f"The subscription will be canceled on {when:%Y-%m-%d %H:%M} UTC.",
            )
            if done is not None:
                return done
        return self._page(request, subscription, cancel_at_form=form)

    def cancel_at_clear_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        subscription = self._subscription(request, object_id)
        if not self.can_write(request):
            messages.error(request, REFUSED)
            return redirect("admin:subscriptions_subscription_change", subscription.id)
        return self._settings(
            request,
            subscription,
            None,
            SubscriptionSettings(cancel_at=None),
            "The scheduled cancellation is off.",
        )

    def tax_rates_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        subscription = self._subscription(request, object_id)
        form = TaxRatesForm(request.POST, subscription=subscription)
        if not self.can_write(request):
            form.add_error(None, REFUSED)
        elif form.is_valid():
            done = self._settings(
                request, subscription, form, form.settings(), "The default tax rates were saved."
            )
            if done is not None:
                return done
        return self._page(request, subscription, tax_rates_form=form)
