"""Plan writes. A plan is a recurring price under one id (``POST /v1/plans`` creates the price,
``/v1/prices/:id`` shows the same object), so each write records the price's event and the
plan's, as Stripe sends both."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import ProtectedError

from apps.accounts.audit import change_record, previous_of
from apps.accounts.models import Account
from apps.catalog.models import Price, Product
from apps.catalog.render import plan_render, price_render, product_render
from apps.catalog.services.prices import NewPrice, field_cleared, price_create
from apps.core import clock
from apps.core.actor import Actor
from apps.core.api.params import metadata_merge
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.locks import rows_lock
from apps.core.unset import UNSET, Unset


def plan_create(*, account: Account, plan: NewPrice, actor: Actor) -> Price:
    if not plan.recurring:
        raise InvalidRequestError(
            "Missing required param: interval.", param="interval", code="parameter_missing"
        )
    with transaction.atomic():
        price = price_create(account=account, price=plan, actor=actor)
        change_record(
            account=account,
            actor=actor,
            type="plan.created",
            object_type="plan",
            data_object=plan_render(price),
        )
    return price


@dataclass(frozen=True)
class PlanChanges:
    """What a plan update sets; a field left None keeps its value (``nickname``: "" for none).
    ``product``: another product's id; ``trial_period_days``: None clears it, UNSET keeps it."""

    active: bool | None = None
    nickname: str | None = None
    metadata: dict[str, str] | None = None
    product: str | None = None
    trial_period_days: int | None | Unset = UNSET


def _locked_plan(account: Account, plan_id: str, product_id: str | None) -> Price:
    """The plan, locked (after the product it moves to, in the global lock order)."""
    products, plans = rows_lock(
        Product.objects.filter(account=account, id=product_id or ""),
        Price.objects.filter(
            account=account, id=plan_id, type="recurring", deleted_at__isnull=True
        ),
    )
    if not plans:
        raise ResourceMissingError("plan", plan_id)
    if product_id is not None and not products:
        raise ResourceMissingError("product", product_id, param="product")
    plan = plans[0]
    plan.account = account
    return plan


def plan_update(*, account: Account, plan_id: str, changes: PlanChanges, actor: Actor) -> Price:
    with transaction.atomic():
        plan = _locked_plan(account, plan_id, changes.product)
        before_price, before_plan = price_render(plan), plan_render(plan)
        if changes.active is not None:
            plan.active = changes.active
        if changes.nickname is not None:
            plan.nickname = changes.nickname
        if changes.product is not None:
            plan.product_id = changes.product
        if changes.trial_period_days is not UNSET:
            plan.recurring = {**plan.recurring, "trial_period_days": changes.trial_period_days}
        plan.metadata = metadata_merge(plan.metadata, changes.metadata)
        plan.save()
        for type, object_type, before, after in (
            ("price.updated", "price", before_price, price_render(plan)),
            ("plan.updated", "plan", before_plan, plan_render(plan)),
        ):
            previous = previous_of(before, after)
            if previous:
                change_record(
                    account=account,
                    actor=actor,
                    type=type,
                    object_type=object_type,
                    data_object=after,
                    previous=previous,
                )
    return plan


def plan_delete(*, account: Account, plan_id: str, actor: Actor) -> str:
    """The plan is gone from the API and from new subscriptions. A plan subscriptions still bill
    stays as their items' and invoices' plan, inactive and marked deleted, as Stripe's existing
    subscribers are unaffected; one nothing bills is removed."""
    with transaction.atomic():
        products, plans = rows_lock(
            Product.objects.filter(account=account, default_price_id=plan_id),
            Price.objects.filter(
                account=account, id=plan_id, type="recurring", deleted_at__isnull=True
            ),
            delete=True,
        )
        if not plans:
            raise ResourceMissingError("plan", plan_id)
        plan = plans[0]
        plan.account = account
        price_data, plan_data = price_render(plan), plan_render(plan)
        field_cleared(account, products, "default_price", render=product_render, actor=actor)
        try:
            with transaction.atomic():
                plan.delete()
        except ProtectedError:
            plan.active = False
            plan.deleted_at = clock.now()
            plan.save(update_fields=["active", "deleted_at", "updated_at"])
        for type, object_type, data in (
            ("price.deleted", "price", price_data),
            ("plan.deleted", "plan", plan_data),
        ):
            change_record(
                account=account,
                actor=actor,
                type=type,
                object_type=object_type,
                data_object={**data, "deleted": True},
            )
    return plan_id
