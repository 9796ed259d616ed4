"""Every event type Ledgerline emits: the one list that webhook endpoints subscribe from.

``event_record`` and ``events_record`` refuse a type missing here, so a new event cannot be
emitted (nor its test pass) until it is listed, and no endpoint can subscribe to a type that is
never sent (``"*"`` aside).
"""

EVENT_TYPES = frozenset(
    {
        "charge.captured",
        "charge.failed",
        "charge.refunded",
        "charge.succeeded",
        "charge.updated",
        "coupon.created",
        "coupon.deleted",
        "coupon.updated",
        "credit_note.created",
        "customer.created",
        "customer.deleted",
        "customer.discount.created",
        "customer.discount.deleted",
        "customer.source.created",
        "customer.source.deleted",
        "customer.source.expiring",
        "customer.source.updated",
        "customer.subscription.created",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "customer.subscription.updated",
        "customer.tax_id.created",
        "customer.tax_id.deleted",
        "customer.updated",
        "invoice.created",
        "invoice.deleted",
        "invoice.finalized",
        "invoice.marked_uncollectible",
        "invoice.paid",
        "invoice.payment_failed",
        "invoice.payment_succeeded",
        "invoice.sent",
        "invoice.upcoming",
        "invoice.updated",
        "invoice.voided",
        "invoice.will_be_due",
        "invoiceitem.created",
        "invoiceitem.deleted",
        "invoiceitem.updated",
        "payment_intent.amount_capturable_updated",
        "payment_intent.canceled",
        "payment_intent.created",
        "payment_intent.payment_failed",
        "payment_intent.requires_action",
        "payment_intent.succeeded",
        "payment_intent.updated",
        "payment_method.attached",
        "payment_method.automatically_updated",
        "payment_method.created",
        "payment_method.detached",
        "payment_method.updated",
        "price.created",
        "price.deleted",
        "price.updated",
        "product.created",
        "product.deleted",
        "product.updated",
        "promotion_code.created",
        "promotion_code.updated",
        "refund.created",
        "refund.failed",
        "refund.updated",
        "test_helpers.test_clock.advancing",
        "test_helpers.test_clock.created",
        "test_helpers.test_clock.deleted",
        "test_helpers.test_clock.ready",
    }
)


def event_type_check(type: str) -> None:
    if type not in EVENT_TYPES:
        raise ValueError(f"{type!r} is not in apps.core.event_types.EVENT_TYPES")
