"""Which implementation each billing stage runs for an account (apps.invoices.engine.stages).

The invoices app does not know where choices are kept: the app that stores them registers a
resolver, ``fn(account) -> Choices``, in its ``AppConfig.ready()``. With none registered every
stage runs its default. The account's retry plan, which ``payments.collection`` is given, comes
the same way from the collections app. Pipeline entry points take ``choices=None`` to mean
``stage_choices(account)``, so a preview can run with a choice not yet saved. The records of a
subscription's changes that left no pending item (a waived proration), which an invoice taking
its pending items takes too, come from the subscriptions app.
"""

from collections.abc import Callable

from apps.invoices.engine.stages import DEFAULTS, Choices

_resolver: list[Callable[[object], Choices]] = []
_retry_plan: list[Callable[[object], dict]] = []
_waived: list[Callable[[object], dict]] = []


def choices_resolver_register(fn: Callable[[object], Choices]) -> None:
    """Make ``fn`` the source of every account's choices (registering again replaces it)."""
    _resolver[:] = [fn]


def stage_choices(account) -> Choices:
    """The account's choices; DEFAULTS when no resolver is registered."""
    return _resolver[0](account) if _resolver else DEFAULTS


def retry_plan_resolver_register(fn: Callable[[object], dict]) -> None:
    """Make ``fn(account)`` the account's retry plan that ``payments.collection`` is given
    (``{"mode", "attempts", "window_days", "delays_days"}``); apps.collections registers it."""
    _retry_plan[:] = [fn]


def retry_plan(account) -> dict:
    """The account's retry plan, from the app that keeps the collection settings."""
    return _retry_plan[0](account)


def waived_stages_resolver_register(fn: Callable[[object], dict]) -> None:
    """Make ``fn(subscription)`` the source of the stage records of the subscription's changes
    that left no pending item, which it empties as the invoice being made takes them (inside
    that transaction); apps.subscriptions registers it."""
    _waived[:] = [fn]


def waived_stages_take(subscription) -> dict:
    """``Invoice.stages`` records an invoice taking ``subscription``'s pending items takes
    with them ({} when no app keeps them)."""
    return _waived[0](subscription) if _waived else {}
