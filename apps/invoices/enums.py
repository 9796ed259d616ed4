from django.db import models


class InvoiceStatus(models.TextChoices):
    # Being written: lines, amounts and the customer may still change; no number yet.
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    UNCOLLECTIBLE = "uncollectible", "Uncollectible"
    # Kept with its number, never collected.
    VOID = "void", "Void"


class CreditNoteStatus(models.TextChoices):
    ISSUED = "issued", "Issued"
    VOID = "void", "Void"
