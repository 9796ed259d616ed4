"""Payment methods and legacy sources: tokenization, attach, detach, update.

One ``PaymentMethod`` row backs every way to pay (card, SEPA debit, US bank account, wallet),
whether the API created it as a PaymentMethod (``pm_…``) or as a legacy source (``card_…``,
``ba_…``, ``src_…``); ``source_object`` only decides how it is rendered. Full card and account
numbers never reach the database: a row keeps brand, last4, expiry, a per-account fingerprint
and, in test mode, the behaviour of the test number (``test_scenario``).

A token created through ``/v1/tokens`` is not a row of its own: ``tok_<x>`` names the card row
``card_<x>`` that was made for it, and ``details["token_used"]`` marks it spent.
"""

from apps.customers.services.payment_methods.methods import (
    customer_card_add,
    payment_method_attach,
    payment_method_create,
    payment_method_detach,
    payment_method_from_card,
    payment_method_resolve,
    payment_method_update,
)
from apps.customers.services.payment_methods.rows import (
    is_test_payment_method,
    payment_method_scenario,
)
from apps.customers.services.payment_methods.sources import (
    bank_account_verify,
    customer_source_add,
    source_attach,
    source_create,
    source_prepare,
    token_create,
    token_get,
    token_id,
)

__all__ = [
    "bank_account_verify",
    "customer_card_add",
    "customer_source_add",
    "is_test_payment_method",
    "payment_method_attach",
    "payment_method_create",
    "payment_method_detach",
    "payment_method_from_card",
    "payment_method_resolve",
    "payment_method_scenario",
    "payment_method_update",
    "source_attach",
    "source_create",
    "source_prepare",
    "token_create",
    "token_get",
    "token_id",
]
