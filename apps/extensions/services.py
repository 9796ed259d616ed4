"""Writes of an account's billing customizations: choose an implementation of a billing stage
(for the account, or for one price where the stage allows it), or go back to the default.

Checked first, then written with the team-activity entry in one transaction. A revision is never
edited: saving supersedes the current one and writes the next. A choice applies to invoices
created after it is saved; invoices already made keep what computed them (``Invoice.stages``).
"""

from typing import Any

from django.db import transaction
from django.db.models import Max

from apps.accounts import roles
from apps.accounts.audit import audit_record, changes_between
from apps.accounts.models import Account
from apps.catalog.models import Price
from apps.core import clock
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.locks import row_lock
from apps.extensions.models import BillingCustomization
from apps.invoices.engine.stages import (
    STAGES,
    ConfigError,
    Implementation,
    Stage,
    config_clean,
    implementation_get,
)

OBJECT_TYPE = "billing_customization"


def _stage(stage: str) -> Stage:
    if stage not in STAGES:
        raise InvalidRequestError(
            f"Unknown billing stage {stage!r}; one of {', '.join(STAGES)}.", param="stage"
        )
    return STAGES[stage]


def _price_check(account: Account, stage: Stage, price: Price | None) -> None:
    if price is None:
        return
    if not stage.per_price:
        raise InvalidRequestError(
            f"{stage.title} is chosen for the whole account, not for one price.", param="price"
        )
    if price.account_id != account.id:
        # Another account's price is answered as a missing one: ids do not leak.
        raise ResourceMissingError("price", price.id, param="price")


def implementation_check(stage: str, key: str) -> Implementation:
    """The implementation ``key`` of ``stage``, or the error naming what is wrong."""
    _stage(stage)
    try:
        return implementation_get(stage, key)
    except KeyError:
        raise InvalidRequestError(
            f"{STAGES[stage].title} has no implementation {key!r}.", param="implementation"
        ) from None


def config_check(implementation: Implementation, config: dict[str, Any]) -> dict[str, Any]:
    """``config`` typed by the implementation's fields; a bad value is named by its field
    (``config[<name>]``, as the dashboard's form names it)."""
    try:
        return config_clean(implementation, config)
    except ConfigError as error:
        raise InvalidRequestError(error.message, param=f"config[{error.field}]") from None


def _current(account: Account, stage: str, price: Price | None) -> BillingCustomization | None:
    return BillingCustomization.objects.filter(
        account=account, stage=stage, price=price, superseded_at__isnull=True
    ).first()


def _described(row: BillingCustomization | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {
        "stage": row.stage,
        "price": row.price_id,
        "implementation": row.implementation,
        "implementation_version": row.implementation_version,
        "config": row.config,
        "revision": row.revision,
    }


def billing_customization_save(
    *,
    account: Account,
    stage: str,
    implementation: str,
    config: dict[str, Any],
    price: Price | None = None,
    actor: Actor,
) -> BillingCustomization:
    """Run ``implementation`` (its current version, with ``config``) for ``stage`` on the
    account's invoices from now on, or only on the lines of ``price`` (a per-price stage).
    Saving the choice in force again writes nothing and answers it."""
    roles.actor_require(actor, roles.SETTINGS)
    chosen = implementation_check(stage, implementation)
    _price_check(account, STAGES[stage], price)
    cleaned = config_check(chosen, config)
    with transaction.atomic():
        # One writer of the account's choices at a time: revisions are numbered in order.
        row_lock(Account.objects.filter(pk=account.pk))
        current = _current(account, stage, price)
        if current is not None and (
            current.implementation,
            current.implementation_version,
            current.config,
        ) == (chosen.key, chosen.version, cleaned):
            return current
        now = clock.now()
        if current is not None:
            current.superseded_at = now
            current.save(update_fields=["superseded_at"])
        last = BillingCustomization.objects.filter(
            account=account, stage=stage, price=price
        ).aggregate(last=Max("revision"))["last"]
        row = BillingCustomization.objects.create(
            account=account,
            stage=stage,
            price=price,
            implementation=chosen.key,
            implementation_version=chosen.version,
            config=cleaned,
            revision=(last or 0) + 1,
            created_at=now,
            created_by=actor.label,
        )
        audit_record(
            account=account,
            actor=actor,
            action="billing_customization.saved",
            object_type=OBJECT_TYPE,
            object_id=row.id,
            changes=changes_between(_described(current), _described(row)),
        )
    return row


def billing_customization_reset(
    *, account: Account, stage: str, price: Price | None = None, actor: Actor
) -> BillingCustomization | None:
    """Go back to the default implementation of ``stage`` (for ``price``: back to the account's
    choice). Answers the revision it superseded, None when there was no choice to undo."""
    roles.actor_require(actor, roles.SETTINGS)
    _price_check(account, _stage(stage), price)
    with transaction.atomic():
        row_lock(Account.objects.filter(pk=account.pk))
        current = _current(account, stage, price)
        if current is None:
            return None
        current.superseded_at = clock.now()
        current.save(update_fields=["superseded_at"])
        audit_record(
            account=account,
            actor=actor,
            action="billing_customization.reset",
            object_type=OBJECT_TYPE,
            object_id=current.id,
            changes=changes_between(
                _described(current), {"stage": stage, "price": current.price_id}
            ),
        )
    return current
