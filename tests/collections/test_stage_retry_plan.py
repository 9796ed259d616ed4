"""The retry plan ``payments.collection`` decides at finalizing is the one dunning follows for
that invoice: an implementation giving another plan than the account's moves the invoice's
next payment attempts; the default keeps the account's (and stores nothing)."""

from datetime import timedelta

import pytest

from apps.collections.retries import invoices_retry
from apps.invoices.engine.stages import Choice, Choices, Implementation
from apps.invoices.engine.stages.registry import _IMPLEMENTATIONS
from apps.invoices.stage_choices import _resolver, choices_resolver_register
from tests.collections.dunning import RENEWED_AT, failing_renewal

STAGE = "payments.collection"
PLAN = {"mode": "custom", "attempts": 0, "window_days": 0, "delays_days": [3, 5]}


def _three_then_five_days(request: dict, config: dict) -> dict:
    return {**request["default"], "retry_plan": PLAN}


@pytest.fixture
def own_retry_plan():
    """A test-only implementation of payments.collection retrying 3 then 5 days after each
    failure, chosen by every account for the test's duration."""
    implementation = Implementation(
        stage=STAGE,
        key="three_then_five_days",
        version=1,
        title="Retry after 3 then 5 days",
        description="A test's retry plan.",
        config=(),
        run=_three_then_five_days,
    )
    _IMPLEMENTATIONS[STAGE][implementation.key] = implementation
    saved = list(_resolver)
    chosen = Choices({STAGE: Choice(STAGE, implementation.key, 1, {})}, {})
    choices_resolver_register(lambda account: chosen)
    yield
    _resolver[:] = saved
    del _IMPLEMENTATIONS[STAGE][implementation.key]


def test_the_plan_decided_at_finalizing_schedules_the_retries(acme, at, own_retry_plan):
    invoice = failing_renewal(acme.account, at)

    assert invoice.stages[STAGE] == {
        "implementation": "three_then_five_days",
        "version": 1,
        "fallback": False,
    }
    assert invoice.retry_plan == PLAN
    assert (invoice.attempt_count, invoice.next_payment_attempt) == (
        1,
        RENEWED_AT + timedelta(days=3),
    )
    at(invoice.next_payment_attempt)
    assert invoices_retry(invoice_ids=[invoice.id]) == 1
    invoice.refresh_from_db()
    assert (invoice.attempt_count, invoice.next_payment_attempt) == (
        2,
        RENEWED_AT + timedelta(days=8),
    )
    at(invoice.next_payment_attempt)
    assert invoices_retry(invoice_ids=[invoice.id]) == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempt_count, invoice.next_payment_attempt) == (
        "open",
        3,
        None,
    )


def test_the_default_keeps_the_account_s_plan(acme, at):
    invoice = failing_renewal(acme.account, at, retry_mode="custom", retry_delays=[2])

    assert invoice.retry_plan is None
    assert invoice.next_payment_attempt == RENEWED_AT + timedelta(days=2)
