from django.db import models


class PaymentMethodType(models.TextChoices):
    """Every way a customer can pay, behind one model (``PaymentMethod``)."""

    CARD = "card", "Card"
    SEPA_DEBIT = "sepa_debit", "SEPA Direct Debit"
    US_BANK_ACCOUNT = "us_bank_account", "US bank account"
    # The wallet: the payer authorises with their wallet account, identified by email.
    PAYPAL = "paypal", "PayPal"


class SourceObject(models.TextChoices):
    """How the API shows a payment method: the ``object`` it was created as.

    ``/v1/payment_methods`` makes ``payment_method`` (``pm_…``); ``/v1/customers/:id/sources``
    with a token makes a legacy ``card`` (``card_…``), ``bank_account`` (``ba_…``) or ``source``
    (``src_…``). The row is the same either way; only the rendering differs.
    """

    PAYMENT_METHOD = "payment_method", "PaymentMethod"
    CARD = "card", "Card"
    BANK_ACCOUNT = "bank_account", "Bank account"
    SOURCE = "source", "Source"


class BalanceTransactionType(models.TextChoices):
    ADJUSTMENT = "adjustment", "Adjustment"
    APPLIED_TO_INVOICE = "applied_to_invoice", "Applied to invoice"
    CREDIT_NOTE = "credit_note", "Credit note"
    INITIAL = "initial", "Initial"
    INVOICE_OVERPAID = "invoice_overpaid", "Invoice overpaid"
    INVOICE_TOO_LARGE = "invoice_too_large", "Invoice too large"
    INVOICE_TOO_SMALL = "invoice_too_small", "Invoice too small"
    UNAPPLIED_FROM_INVOICE = "unapplied_from_invoice", "Unapplied from invoice"
    MIGRATION = "migration", "Migration"


class TaxExempt(models.TextChoices):
    NONE = "none", "None"
    EXEMPT = "exempt", "Exempt"
    REVERSE = "reverse", "Reverse charge"
