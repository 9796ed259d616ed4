"""Stripe wire shapes of charges, refunds, payment and setup intents, balance transactions and
balance."""

from typing import Any

from apps.core import clock
from apps.customers.payment_method_render import payment_method_details, payment_method_render
from apps.payments.models import BalanceTransaction, Charge, PaymentIntent, Refund, SetupIntent

# Stripe's keys of features Ledgerline charges and payment intents do not use (Connect fees
# and transfers, shipping, Radar reviews, statement descriptor suffixes...), with the value
# Stripe gives one that does not use them.
_CONNECT_UNUSED = {
    "application": None,
    "application_fee_amount": None,
    "on_behalf_of": None,
    "review": None,
    "shipping": None,
    "statement_descriptor_suffix": None,
    "transfer_data": None,
    "transfer_group": None,
}
_CHARGE_UNUSED = {
    **_CONNECT_UNUSED,
    "application_fee": None,
    "failure_balance_transaction": None,
    "source_transfer": None,
}
_INTENT_UNUSED = {
    **_CONNECT_UNUSED,
    "amount_details": {"tip": {}},
    "automatic_payment_methods": None,
    "customer_account": None,
    "excluded_payment_method_types": None,
    "managed_payments": None,
    "payment_method_configuration_details": None,
    "payment_method_options": {},
    "source": None,
}


# The network's codes an outcome carries when a card network sends them; the test processor
# sends none.
_OUTCOME_CODES = {"advice_code": None, "network_advice_code": None, "network_decline_code": None}


def _destination(refund: Refund) -> dict[str, Any]:
    """Where the money goes back: the method the charge was paid with. A card refund is a
    ``refund`` once the charge has settled (the test processor settles at once)."""
    kind = refund.charge.payment_method.type
    return {"type": kind, kind: {"type": "refund"} if kind == "card" else {}}


def refund_render(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "object": "refund",
        "amount": refund.amount,
        "balance_transaction": refund.balance_transaction_id,
        "charge": refund.charge_id,
        "created": clock.to_epoch(refund.created_at),
        "currency": refund.currency,
        "failure_reason": refund.failure_reason or None,
        "metadata": refund.metadata,
        "customer": refund.charge.customer_id,
        "customer_account": None,
        # Where the money goes back: the card (or other method) the charge was paid with.
        "destination_details": _destination(refund),
        "payment_intent": refund.charge.payment_intent_id,
        "payment_method": refund.charge.payment_method_id,
        "reason": refund.reason or None,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": refund.status,
        "transfer_reversal": None,
    }


def charge_render(charge: Charge, *, refunds: list[Refund] | None = None) -> dict[str, Any]:
    pm = charge.payment_method
    if refunds is None:
        refunds = list(charge.refunds.order_by("-id")[:10])
    return {
        **_CHARGE_UNUSED,
        "id": charge.id,
        "object": "charge",
        "amount": charge.amount,
        "amount_captured": charge.amount_captured,
        "amount_refunded": charge.amount_refunded,
        "balance_transaction": charge.balance_transaction_id,
        "billing_details": payment_method_render(pm, as_payment_method=True)["billing_details"],
        "calculated_statement_descriptor": charge.statement_descriptor or None,
        "captured": charge.captured,
        "created": clock.to_epoch(charge.created_at),
        "currency": charge.currency,
        "customer": charge.customer_id,
        "description": charge.description or None,
        "disputed": False,
        "failure_code": charge.failure_code or None,
        "failure_message": charge.failure_message or None,
        "fraud_details": charge.fraud_details,
        "livemode": pm.livemode,
        "metadata": charge.metadata,
        "outcome": {**_OUTCOME_CODES, **charge.outcome} if charge.outcome else None,
        "paid": charge.status == "succeeded",
        "payment_intent": charge.payment_intent_id,
        "payment_method": pm.id,
        "payment_method_details": payment_method_details(pm),
        "receipt_email": charge.receipt_email or None,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": charge.refunded,
        "refunds": {
            "object": "list",
            "data": [refund_render(r) for r in refunds],
            "has_more": len(refunds) >= 10,
            "url": f"/v1/charges/{charge.id}/refunds",
        },
        "source": payment_method_render(pm) if charge.via_source else None,
        "statement_descriptor": charge.statement_descriptor or None,
        "status": charge.status,
    }


def payment_intent_render(intent: PaymentIntent) -> dict[str, Any]:
    next_action = None
    if intent.status == "requires_action":
        next_action = {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {
                "type": "three_d_secure_redirect",
                "test_helper": f"/v1/test_helpers/payment_intents/{intent.id}/authenticate",
            },
        }
    return {
        **_INTENT_UNUSED,
        "id": intent.id,
        "object": "payment_intent",
        "amount": intent.amount,
        "amount_capturable": intent.amount_capturable,
        "amount_received": intent.amount_received,
        "canceled_at": clock.to_epoch(intent.canceled_at),
        "cancellation_reason": intent.cancellation_reason or None,
        "capture_method": intent.capture_method,
        "client_secret": intent.client_secret,
        "confirmation_method": "automatic",
        "created": clock.to_epoch(intent.created_at),
        "currency": intent.currency,
        "customer": intent.customer_id,
        "description": intent.description or None,
        "last_payment_error": intent.last_payment_error,
        "latest_charge": intent.latest_charge_id,
        "livemode": intent.account.livemode,
        "metadata": intent.metadata,
        "next_action": next_action,
        "payment_method": intent.payment_method_id,
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "setup_future_usage": intent.setup_future_usage or None,
        "statement_descriptor": None,
        "status": intent.status,
    }


def balance_transaction_render(row: BalanceTransaction) -> dict[str, Any]:
    return {
        "id": row.id,
        "object": "balance_transaction",
        "amount": row.amount,
        "available_on": clock.to_epoch(row.available_on),
        "balance_type": "payments",
        "created": clock.to_epoch(row.created_at),
        "currency": row.currency,
        "description": row.description or None,
        # Set only when the amount was converted between currencies; Ledgerline does not convert
        # between a charge's currency and the balance's.
        "exchange_rate": None,
        "fee": row.fee,
        "fee_details": row.fee_details,
        "net": row.net,
        "reporting_category": row.reporting_category,
        "source": row.source_id,
        "status": "available" if row.available_on <= clock.now() else "pending",
        "type": row.type,
    }


def setup_intent_render(setup: SetupIntent) -> dict[str, Any]:
    card_options = {"mandate_options": None, "network": None, "request_three_d_secure": "automatic"}
    return {
        "id": setup.id,
        "object": "setup_intent",
        "application": None,
        "automatic_payment_methods": None,
        "cancellation_reason": setup.cancellation_reason or None,
        "client_secret": setup.client_secret,
        "created": clock.to_epoch(setup.created_at),
        "customer": setup.customer_id,
        "description": setup.description or None,
        "excluded_payment_method_types": None,
        "flow_directions": None,
        "last_setup_error": setup.last_setup_error,
        "latest_attempt": None,
        "livemode": setup.account.livemode,
        "mandate": None,
        "metadata": setup.metadata,
        "next_action": (
            {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {
                    "type": "three_d_secure_redirect",
                    "test_helper": f"/v1/test_helpers/setup_intents/{setup.id}/authenticate",
                },
            }
            if setup.status == "requires_action"
            else None
        ),
        "on_behalf_of": None,
        "payment_method": setup.payment_method_id,
        "payment_method_configuration_details": None,
        "payment_method_options": (
            {"card": card_options} if "card" in setup.payment_method_types else {}
        ),
        "payment_method_types": setup.payment_method_types,
        "single_use_mandate": None,
        "status": setup.status,
        "usage": setup.usage,
    }
