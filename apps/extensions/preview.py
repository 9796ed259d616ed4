"""What a draft choice would do before it is saved: the next invoice of one of the account's
subscriptions (for ``billing.prorations``, with its first item moved to another price now),
computed by the API's preview code (``invoice_preview`` with ``choices=``) twice: under the
choices in force and under them with the draft in place. Nothing is written."""

from dataclasses import dataclass
from datetime import datetime

from apps.accounts.models import Account
from apps.catalog.models import Price
from apps.core import clock
from apps.invoices.engine.stages import Choice, Choices
from apps.invoices.stage_choices import stage_choices
from apps.subscriptions.changes import ItemChange
from apps.subscriptions.invoice_preview import invoice_preview
from apps.subscriptions.models import Subscription

PRORATIONS = "billing.prorations"


@dataclass(frozen=True)
class PreviewSide:
    lines: list[dict]  # the API's line objects of the previewed invoice
    total: int
    amount_due: int

    @property
    def proration(self) -> int:
        """The net of the proration lines (what the change itself bills)."""
        return sum(line["amount"] for line in self.lines if line["proration"])


@dataclass(frozen=True)
class ChoicePreview:
    subscription: Subscription
    at: datetime
    # The price the first item moves to (billing.prorations), else None.
    change_to: Price | None
    current: PreviewSide
    draft: PreviewSide


def draft_choices(current: Choices, draft: Choice, price: Price | None = None) -> Choices:
    """``current`` with ``draft`` in place: for the account, or for the lines of ``price``."""
    if price is None:
        return Choices(account={**current.account, draft.stage: draft}, prices=current.prices)
    return Choices(
        account=current.account, prices={**current.prices, (draft.stage, price.id): draft}
    )


def _side(preview: dict) -> PreviewSide:
    return PreviewSide(
        lines=preview["lines"]["data"], total=preview["total"], amount_due=preview["amount_due"]
    )


def choice_preview(
    *,
    account: Account,
    subscription: Subscription,
    draft: Choice,
    price: Price | None = None,
    change_to: Price | None = None,
) -> ChoicePreview:
    """The subscription's next invoice under the account's choices and under ``draft`` (for
    ``price`` only, when given); for billing.prorations, with the subscription's first item
    moved to ``change_to`` at the customer's now, prorated as ``create_prorations`` does."""
    at = clock.now(test_clock_id=subscription.customer.test_clock_id)
    changes = []
    if draft.stage == PRORATIONS and change_to is not None:
        first = subscription.items.filter(deleted_at__isnull=True).order_by("id").first()
        if first is not None:
            changes = [ItemChange(item_id=first.id, price=change_to)]
    current = stage_choices(account)
    sides = [
        _side(
            invoice_preview(
                subscription=subscription,
                changes=changes,
                proration_date=at if changes else None,
                proration_behavior="create_prorations",
                choices=choices,
            )
        )
        for choices in (current, draft_choices(current, draft, price))
    ]
    return ChoicePreview(
        subscription=subscription,
        at=at,
        change_to=change_to if changes else None,
        current=sides[0],
        draft=sides[1],
    )
