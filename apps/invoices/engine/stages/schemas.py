"""The JSON Schemas of the stages' inputs and outputs (docs/extensions.md carries them verbatim).

Times are epoch seconds; amounts are integers of minor units in ``currency``. Each input also
carries ``default``: what the default implementation returns for it.
"""

EPOCH = {"type": "integer", "minimum": 0}
AMOUNT = {"type": "integer"}
COUNT = {"type": "integer", "minimum": 0}
TEXT = {"type": "string"}
CURRENCY = {"type": "string", "pattern": "^[a-z]{3}$"}
PERIOD = {
    "type": "object",
    "required": ["start", "end"],
    "properties": {"start": EPOCH, "end": EPOCH},
    "additionalProperties": False,
}


def _object(properties: dict, optional: tuple[str, ...] = ()) -> dict:
    return {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
        "additionalProperties": False,
    }


def _input(properties: dict, output: dict) -> dict:
    return _object({**properties, "default": output})


# billing.prorations: the items a change touches, each before and after it (null: the item is
# added or removed), inside one period; the output is the proration lines.
PRORATION_TERMS = {
    "oneOf": [
        {"type": "null"},
        _object(
            {
                "price": TEXT,
                "unit_amount": AMOUNT,
                "quantity": COUNT,
                # What a whole period costs at this quantity, tiers applied.
                "period_amount": AMOUNT,
                # The share of period_amount a proration bills (a percent-off discount in force).
                "proration_rate": _object(
                    {"numerator": COUNT, "denominator": {"type": "integer", "minimum": 1}}
                ),
                "usage_type": {"enum": ["licensed", "metered"]},
                "trial_end": {"oneOf": [{"type": "null"}, EPOCH]},
            }
        ),
    ]
}
PRORATION_LINE = _object(
    {
        "item": TEXT,
        "kind": {"enum": ["proration_credit", "proration_debit"]},
        "price": TEXT,
        "amount": AMOUNT,
        "quantity": COUNT,
        "period": PERIOD,
    }
)
# What an item was charged for the rest of the period, each charge on its terms: its line on
# the period's invoice (after discounts) and the debits of earlier changes, each from its start
# to the period's end. Optional: none known, nothing caps the lines.
PRORATION_PAID = {
    "type": "array",
    "items": _object({"price": TEXT, "quantity": COUNT, "amount": AMOUNT, "period": PERIOD}),
}
PRORATIONS_OUTPUT = _object({"lines": {"type": "array", "items": PRORATION_LINE}})
PRORATIONS_INPUT = _input(
    {
        "currency": CURRENCY,
        "at": EPOCH,
        "period": PERIOD,
        "items": {
            "type": "array",
            "items": _object(
                {
                    "item": TEXT,
                    "before": PRORATION_TERMS,
                    "after": PRORATION_TERMS,
                    "paid": PRORATION_PAID,
                },
                optional=("paid",),
            ),
        },
    },
    PRORATIONS_OUTPUT,
)

# billing.recurring_billing_item_handling: the recurring lines a renewal is about to invoice;
# the output says for each (by its id) whether it is created.
ITEM_HANDLING_OUTPUT = _object(
    {
        "items": {
            "type": "array",
            "items": _object(
                {"id": TEXT, "strategy": {"enum": ["create", "skip"]}, "reason": TEXT}
            ),
        }
    }
)
ITEM_HANDLING_INPUT = _input(
    {
        "currency": CURRENCY,
        "period": PERIOD,
        "items": {
            "type": "array",
            "items": _object(
                {
                    "id": TEXT,
                    "item": TEXT,
                    "price": TEXT,
                    "kind": {"enum": ["subscription", "trial_remainder", "usage"]},
                    "amount": AMOUNT,
                    "quantity": COUNT,
                    "period": PERIOD,
                }
            ),
        },
    },
    ITEM_HANDLING_OUTPUT,
)

# billing.compute_bill: the invoice's lines (each with what its discounts take and the ids of the
# tax rates that apply to it), the discounts, the tax rates the lines name and the customer's
# balance; the output is the totals, with each line's taxes and each rate's total.
DISCOUNT_AMOUNT = _object({"discount": {"oneOf": [{"type": "null"}, TEXT]}, "amount": COUNT})
TAX_AMOUNT = _object(
    {
        "tax_rate": TEXT,
        "amount": AMOUNT,
        "inclusive": {"type": "boolean"},
        "taxable_amount": AMOUNT,
    }
)
COMPUTE_BILL_OUTPUT = _object(
    {
        "subtotal": AMOUNT,
        "subtotal_excluding_tax": AMOUNT,
        "total_discount_amounts": {"type": "array", "items": DISCOUNT_AMOUNT},
        "total_excluding_tax": AMOUNT,
        "tax": AMOUNT,
        "total_tax_amounts": {"type": "array", "items": TAX_AMOUNT},
        "lines": {
            "type": "array",
            "items": _object({"id": TEXT, "tax_amounts": {"type": "array", "items": TAX_AMOUNT}}),
        },
        "total": AMOUNT,
    }
)
COMPUTE_BILL_INPUT = _input(
    {
        "currency": CURRENCY,
        "lines": {
            "type": "array",
            "items": _object(
                {
                    "id": TEXT,
                    "amount": AMOUNT,
                    "proration": {"type": "boolean"},
                    "discount_amounts": {"type": "array", "items": DISCOUNT_AMOUNT},
                    "tax_rates": {"type": "array", "items": TEXT},
                }
            ),
        },
        "discounts": {
            "type": "array",
            "items": _object(
                {
                    "id": TEXT,
                    "coupon": TEXT,
                    "percent_off": {"oneOf": [{"type": "null"}, {"type": "string"}]},
                    "amount_off": {"oneOf": [{"type": "null"}, COUNT]},
                }
            ),
        },
        "tax_rates": {
            "type": "array",
            "items": _object({"id": TEXT, "percentage": TEXT, "inclusive": {"type": "boolean"}}),
        },
        "customer_balance": AMOUNT,
    },
    COMPUTE_BILL_OUTPUT,
)

# billing.customer_balance_application: an invoice's total and the customer's balance (negative:
# credit the customer holds; positive: what they owe); the output is what moves onto the balance
# (balance_change), so amount_due = total − balance_change and
# ending_balance = customer_balance + balance_change.
BALANCE_OUTPUT = _object({"balance_change": AMOUNT, "amount_due": COUNT, "ending_balance": AMOUNT})
BALANCE_INPUT = _input(
    {"currency": CURRENCY, "total": AMOUNT, "customer_balance": AMOUNT}, BALANCE_OUTPUT
)

# payments.collection: a finalized invoice, how its subscription (or the invoice itself) says to
# collect it and the account's retry plan; the output is how it is collected and the retry plan
# of a failed charge.
RETRY_PLAN = _object(
    {
        "mode": {"enum": ["smart", "custom"]},
        "attempts": COUNT,
        "window_days": COUNT,
        "delays_days": {"type": "array", "items": COUNT},
    }
)
METHOD = {"enum": ["charge_automatically", "send_invoice"]}
DAYS = {"oneOf": [{"type": "null"}, COUNT]}
COLLECTION_OUTPUT = _object(
    {"collection_method": METHOD, "days_until_due": DAYS, "retry_plan": RETRY_PLAN}
)
COLLECTION_INPUT = _input(
    {
        "currency": CURRENCY,
        "total": AMOUNT,
        "amount_due": COUNT,
        "collection_method": METHOD,
        "days_until_due": DAYS,
        "account": _object({"retry_plan": RETRY_PLAN}),
    },
    COLLECTION_OUTPUT,
)
