"""What the planner needs of a subscription item (apps.invoices.engine.planner.ItemTerms), and
which items bill: the one rule the changes, renewals, trials and previews share."""

from datetime import datetime

from apps.catalog.selectors import price_amount
from apps.invoices.discounts import coupon_terms
from apps.invoices.engine.discounts import proration_rate
from apps.invoices.engine.planner import ItemCharge, ItemTerms
from apps.invoices.models import Discount
from apps.invoices.selectors import item_charges
from apps.subscriptions.models import SubscriptionItem


def item_bills(item: SubscriptionItem) -> bool:
    """Whether an item not removed bills: a paused one does not
    (apps.subscriptions.services.trials). The one rule: ``active_items`` and the batch renewals
    (which load many subscriptions' items at once) both choose by it."""
    return item.paused_at is None


def item_terms(
    item: SubscriptionItem, *, currency: str, on: datetime, discount: Discount | None = None
) -> ItemTerms:
    """What the planner needs of an item: its whole-period amount at its quantity, and, with
    the ``discount`` in force at a change, the share its prorations bill."""
    price = item.price
    recurring = price.recurring or {}
    metered = recurring.get("usage_type") == "metered"
    amount = (
        0
        if metered
        else price_amount(
            price,
            quantity=item.quantity,
            currency=currency,
            on=on.date(),
            custom_amount=item.custom_unit_amount,
        )
    )
    return ItemTerms(
        item_id=item.id,
        price_id=price.id,
        quantity=item.quantity,
        period_amount=amount,
        usage_type="metered" if metered else "licensed",
        trial_end=item.trial_end,
        description=price.product.name if price.product_id else price.id,
        proration_rate=proration_rate(
            coupon_terms(discount) if discount is not None else None, price.product_id
        ),
        tax_rates=tuple(item.tax_rates),
    )


def items_paid(
    subscription, period: tuple[datetime, datetime], items: list[SubscriptionItem]
) -> dict[str, list[ItemCharge]]:
    """What each of ``items`` was charged for the rest of ``period``, by id, for
    ``billing.prorations`` to cap its lines (apps.invoices.selectors.item_charges): its own
    charges and those of the subscription's items not among them (removed in the period: an
    item removed and added back is charged as it was), less the charges of pay-what-you-want prices
    (their price and quantity do not say the amount chosen, so a charge of theirs caps
    nothing). One query."""
    chosen = {item.price_id for item in items if item.price.custom_unit_amount}
    charges = {
        item_id: [charge for charge in charged if charge.price_id not in chosen]
        for item_id, charged in item_charges(
            account=subscription.account, subscription_id=subscription.id, period=period
        ).items()
    }
    ids = {item.id for item in items}
    gone = [
        charge for item_id, charged in charges.items() if item_id not in ids for charge in charged
    ]
    return {item_id: charges.get(item_id, []) + gone for item_id in ids}
