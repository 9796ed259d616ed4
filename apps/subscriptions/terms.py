"""What the planner needs of a subscription item (apps.invoices.engine.planner.ItemTerms), and
which items bill: the one rule the changes, renewals, trials and previews share."""

from datetime import datetime

from apps.catalog.selectors import price_amount
from apps.invoices.discounts import coupon_terms
from apps.invoices.engine.discounts import proration_rate
from apps.invoices.engine.planner import ItemTerms
from apps.invoices.models import Discount
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
