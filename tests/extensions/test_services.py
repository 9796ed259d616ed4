"""Billing customizations: revisions, the team-activity entry, validation that writes nothing,
reset, per-price overrides and the resolver the invoices app asks."""

import pytest
from django.db import IntegrityError, transaction

from apps.accounts.enums import Role
from apps.accounts.models import AuditLogEntry
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import ApplicationError, PermissionDeniedError, ResourceMissingError
from apps.extensions.models import BillingCustomization
from apps.extensions.selectors import (
    billing_choices,
    billing_customization_history,
    billing_customizations_current,
)
from apps.extensions.services import billing_customization_reset, billing_customization_save
from apps.invoices.engine.periods import utc
from apps.invoices.engine.stages import DEFAULTS, Choice, Choices
from apps.invoices.stage_choices import stage_choices
from tests.factories import PriceFactory

PRORATIONS = "billing.prorations"
ADA = Actor(kind="user", label="ada@example.com", user_id=None, role=Role.ADMINISTRATOR)


def _save(account, minimum=500, **kwargs):
    return billing_customization_save(
        account=account,
        stage=kwargs.pop("stage", PRORATIONS),
        implementation=kwargs.pop("implementation", "minimum_threshold"),
        config=kwargs.pop("config", {"minimum": minimum}),
        actor=kwargs.pop("actor", ADA),
        **kwargs,
    )


def _written(account) -> tuple[int, int]:
    return (
        BillingCustomization.objects.filter(account=account).count(),
        AuditLogEntry.objects.filter(account=account, object_type="billing_customization").count(),
    )


def test_saving_writes_revision_one_with_its_audit_entry(acme, at):
    at(utc(2025, 1, 10, 9))
    row = _save(acme.account)
    assert (row.stage, row.price, row.implementation, row.implementation_version) == (
        PRORATIONS,
        None,
        "minimum_threshold",
        1,
    )
    assert (row.config, row.revision, row.created_by, row.superseded_at) == (
        {"minimum": 500},
        1,
        "ada@example.com",
        None,
    )
    assert row.created_at == utc(2025, 1, 10, 9)
    entry = AuditLogEntry.objects.get(account=acme.account, object_type="billing_customization")
    assert (entry.action, entry.object_id, entry.actor_label) == (
        "billing_customization.saved",
        row.id,
        "ada@example.com",
    )
    assert entry.changes == {
        "stage": [None, PRORATIONS],
        "implementation": [None, "minimum_threshold"],
        "implementation_version": [None, 1],
        "config": [None, {"minimum": 500}],
        "revision": [None, 1],
    }


def test_saving_again_supersedes_the_revision_and_never_edits_it(acme, at):
    at(utc(2025, 1, 10))
    first = _save(acme.account, minimum=500)
    at(utc(2025, 1, 11))
    second = _save(acme.account, minimum=700)
    first.refresh_from_db()
    assert (first.config, first.revision, first.superseded_at) == (
        {"minimum": 500},
        1,
        utc(2025, 1, 11),
    )
    assert (second.config, second.revision, second.superseded_at) == ({"minimum": 700}, 2, None)
    assert billing_customizations_current(acme.account) == [second]
    assert list(billing_customization_history(account=acme.account, stage=PRORATIONS)) == [
        second,
        first,
    ]
    entry = AuditLogEntry.objects.filter(object_id=second.id).get()
    assert entry.changes == {"config": [{"minimum": 500}, {"minimum": 700}], "revision": [1, 2]}


def test_saving_the_choice_in_force_again_writes_nothing(acme):
    row = _save(acme.account)
    before = _written(acme.account)
    assert _save(acme.account) == row
    assert _written(acme.account) == before == (1, 1)


def test_settings_are_typed_and_defaults_filled(acme):
    row = billing_customization_save(
        account=acme.account,
        stage="payments.collection",
        implementation="send_invoice_above",
        config={"amount": "100000"},
        actor=ADA,
    )
    assert row.config == {"amount": 100000, "days_until_due": 30}


@pytest.mark.parametrize(
    ("kwargs", "param", "message"),
    [
        (
            {"stage": "billing.taxes"},
            "stage",
            "Unknown billing stage 'billing.taxes'; one of billing.prorations, "
            "billing.recurring_billing_item_handling, billing.compute_bill, "
            "billing.customer_balance_application, payments.collection.",
        ),
        (
            {"implementation": "by_minute"},
            "implementation",
            "Prorations has no implementation 'by_minute'.",
        ),
        ({"config": {"minimum": -1}}, "config[minimum]", "Must not be negative."),
        ({"config": {"minimum": "five"}}, "config[minimum]", "Must be a whole number."),
        ({"config": {"maximum": 5}}, "config[maximum]", "Unknown setting."),
    ],
)
def test_a_refused_choice_names_its_parameter_and_writes_nothing(acme, kwargs, param, message):
    with pytest.raises(ApplicationError) as refused:
        _save(acme.account, **kwargs)
    assert (refused.value.param, refused.value.message) == (param, message)
    assert _written(acme.account) == (0, 0)
    assert stage_choices(acme.account) == DEFAULTS


def test_a_price_override_only_on_a_per_price_stage(acme):
    price = PriceFactory(account=acme.account)
    with pytest.raises(ApplicationError) as refused:
        billing_customization_save(
            account=acme.account,
            stage="billing.customer_balance_application",
            implementation="keep_reserve",
            config={"reserve": 100},
            price=price,
            actor=ADA,
        )
    assert (refused.value.param, refused.value.message) == (
        "price",
        "Customer balance application is chosen for the whole account, not for one price.",
    )
    assert _written(acme.account) == (0, 0)


def test_another_accounts_price_is_answered_as_missing(acme, globex):
    theirs = PriceFactory(account=globex.account)
    with pytest.raises(ResourceMissingError) as refused:
        _save(acme.account, price=theirs)
    assert (refused.value.param, refused.value.message) == (
        "price",
        f"No such price: '{theirs.id}'",
    )
    assert _written(acme.account) == (0, 0)
    assert _written(globex.account) == (0, 0)


def test_a_member_without_the_settings_role_is_refused(acme):
    support = Actor(kind="user", label="sam@example.com", role=Role.SUPPORT_SPECIALIST)
    with pytest.raises(PermissionDeniedError):
        _save(acme.account, actor=support)
    with pytest.raises(PermissionDeniedError):
        billing_customization_reset(account=acme.account, stage=PRORATIONS, actor=support)
    assert _written(acme.account) == (0, 0)


def test_the_resolver_gives_the_account_and_price_choices(acme, globex):
    basic, pro = PriceFactory(account=acme.account), PriceFactory(account=acme.account)
    _save(acme.account, minimum=500, actor=SYSTEM)
    _save(acme.account, implementation="none", config={}, price=pro)
    minimum = Choice(PRORATIONS, "minimum_threshold", 1, {"minimum": 500})
    none = Choice(PRORATIONS, "none", 1, {})
    # The app registers its resolver at start-up: every pipeline entry point asks it.
    choices = stage_choices(acme.account)
    assert choices == billing_choices(acme.account)
    assert choices == Choices(account={PRORATIONS: minimum}, prices={(PRORATIONS, pro.id): none})
    assert choices.of(PRORATIONS, pro.id) == none
    assert choices.of(PRORATIONS, basic.id) == minimum
    assert choices.of("billing.compute_bill").key == "standard"
    assert stage_choices(globex.account) == DEFAULTS


def test_revisions_are_counted_per_stage_and_price(acme):
    price = PriceFactory(account=acme.account)
    account_rows = [_save(acme.account, minimum=m) for m in (100, 200)]
    price_rows = [_save(acme.account, minimum=m, price=price) for m in (300, 400, 500)]
    assert [row.revision for row in account_rows] == [1, 2]
    assert [row.revision for row in price_rows] == [1, 2, 3]
    assert [
        (row.price_id, row.revision) for row in billing_customizations_current(acme.account)
    ] == [
        (None, 2),
        (price.id, 3),
    ]


def test_reset_goes_back_to_the_default(acme, at):
    at(utc(2025, 1, 10))
    row = _save(acme.account)
    at(utc(2025, 1, 12))
    undone = billing_customization_reset(account=acme.account, stage=PRORATIONS, actor=ADA)
    assert undone == row
    row.refresh_from_db()
    assert row.superseded_at == utc(2025, 1, 12)
    assert billing_customizations_current(acme.account) == []
    assert stage_choices(acme.account) == Choices({}, {})
    entry = AuditLogEntry.objects.get(action="billing_customization.reset")
    assert entry.object_id == row.id
    assert entry.changes == {
        "implementation": ["minimum_threshold", None],
        "implementation_version": [1, None],
        "config": [{"minimum": 500}, None],
        "revision": [1, None],
    }
    # The next choice continues the numbering.
    assert _save(acme.account).revision == 2


def test_reset_without_a_choice_writes_nothing(acme):
    assert billing_customization_reset(account=acme.account, stage=PRORATIONS, actor=ADA) is None
    assert _written(acme.account) == (0, 0)


def test_a_price_override_resets_to_the_accounts_choice(acme):
    price = PriceFactory(account=acme.account)
    _save(acme.account, minimum=500)
    _save(acme.account, implementation="none", config={}, price=price)
    billing_customization_reset(account=acme.account, stage=PRORATIONS, price=price, actor=ADA)
    assert stage_choices(acme.account).of(PRORATIONS, price.id).key == "minimum_threshold"


def test_the_database_keeps_one_current_revision_per_stage_and_price(acme):
    row = _save(acme.account)
    duplicate = {
        "account": acme.account,
        "stage": PRORATIONS,
        "implementation": "none",
        "implementation_version": 1,
        "created_by": "x",
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        BillingCustomization.objects.create(**duplicate, revision=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        BillingCustomization.objects.create(**duplicate, revision=1, superseded_at=row.created_at)
    assert billing_customizations_current(acme.account) == [row]
