"""The refusals of one-off invoice create and update, each with its exact message, param and
code, and nothing written."""

import pytest
import stripe

from apps.core.models import Event
from apps.invoices.models import Invoice


def _refusal(call, *args, **params):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        call(*args, **params)
    error = refused.value
    return error.user_message, error.param, error.code


def test_create_refusals_write_nothing(stripe_sdk):
    customer = stripe.Customer.create(email="ada@example.com", source="tok_visa")
    invoices, events = Invoice.objects.count(), Event.objects.count()
    create = stripe.Invoice.create
    assert _refusal(create) == (
        "Missing required param: customer.",
        "customer",
        "parameter_missing",
    )
    assert _refusal(create, customer="cus_missing") == (
        "No such customer: 'cus_missing'",
        "customer",
        "resource_missing",
    )
    assert _refusal(create, customer=customer.id, days_until_due=5) == (
        "days_until_due can only be set when collection_method is send_invoice.",
        "days_until_due",
        None,
    )
    assert _refusal(
        create,
        customer=customer.id,
        collection_method="send_invoice",
        days_until_due=5,
        due_date=4102444800,
    ) == (
        "You may only specify one of these parameters: days_until_due, due_date.",
        "due_date",
        None,
    )
    assert _refusal(
        create, customer=customer.id, collection_method="send_invoice", due_date=946684800
    ) == ("due_date must be in the future.", "due_date", None)
    assert _refusal(
        create, customer=customer.id, auto_advance=False, automatically_finalizes_at=4102444800
    ) == (
        "automatically_finalizes_at needs auto_advance; it is false.",
        "automatically_finalizes_at",
        None,
    )
    assert _refusal(create, customer=customer.id, automatically_finalizes_at=946684800) == (
        "automatically_finalizes_at must be in the future, at most 5 years away.",
        "automatically_finalizes_at",
        None,
    )
    assert _refusal(create, customer=customer.id, discounts=[{"coupon": "A"}, {"coupon": "B"}]) == (
        "One discount per invoice.",
        "discounts",
        None,
    )
    assert _refusal(
        create, customer=customer.id, discounts=[{"coupon": "A", "promotion_code": "B"}]
    ) == (
        "Each discount takes one of coupon, promotion_code or discount.",
        "discounts[0]",
        None,
    )
    assert _refusal(create, customer=customer.id, discounts=[{"discount": "di_missing"}]) == (
        "No such discount: 'di_missing'",
        "discounts[0][discount]",
        "resource_missing",
    )
    assert _refusal(create, customer=customer.id, currency="zzzz") == (
        "Invalid string: currency must be at most 3 characters.",
        "currency",
        None,
    )
    assert (Invoice.objects.count(), Event.objects.count()) == (invoices, events)


def test_update_refusals_by_status(stripe_sdk):
    customer = stripe.Customer.create(email="ada@example.com", source="tok_visa")
    draft = stripe.Invoice.create(customer=customer.id)
    assert _refusal(stripe.Invoice.modify, draft.id, collection_method="send_invoice") == (
        "Invoices with collection_method send_invoice need days_until_due or due_date.",
        "days_until_due",
        "parameter_missing",
    )
    stripe.InvoiceItem.create(customer=customer.id, invoice=draft.id, amount=1200)
    stripe.Invoice.finalize_invoice(draft.id)
    voided = stripe.Invoice.void_invoice(draft.id)
    assert voided.status == "void"
    before = Invoice.objects.get(id=draft.id)
    assert _refusal(stripe.Invoice.modify, draft.id, auto_advance=True) == (
        "auto_advance can't be changed on a void invoice.",
        "auto_advance",
        "invoice_not_editable",
    )
    assert _refusal(stripe.Invoice.modify, draft.id, footer="x", due_date=4102444800) == (
        f"You can't change due_date of invoice {draft.id}: it is void. A finalized invoice "
        "takes only description, footer, metadata and, while open, auto_advance.",
        "due_date",
        "invoice_not_editable",
    )
    after = Invoice.objects.get(id=draft.id)
    assert (after.footer, after.auto_advance, after.updated_at) == (
        before.footer,
        before.auto_advance,
        before.updated_at,
    )
