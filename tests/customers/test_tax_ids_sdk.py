"""Customer tax ids through the official stripe SDK: values checked per type (tax_id_invalid
naming value), ``customer`` an expandable reference, and invoices that carry them
(``customer_tax_ids``: the customer's while a draft, fixed when finalized) on the hosted page and
the document rows the PDF is written from."""

from urllib.parse import urlparse

import pytest
import stripe
from django.test import Client

from apps.core.models import Event
from apps.customers.models import TaxId
from apps.invoices.invoice_document import invoice_document
from apps.invoices.models import Invoice


def _customer():
    return stripe.Customer.create(name="Ada", email="ada@example.com", source="tok_visa")


@pytest.mark.parametrize(
    ("type", "value", "message"),
    [
        ("au_abn", "12345678912", "Invalid value for au_abn. Expected a value like 51824753556."),
        ("es_cif", "A12345678", "Invalid value for es_cif. Expected a value like B12345674."),
        ("eu_vat", "DE12345", "Invalid value for eu_vat. Expected a value like DE123456789."),
        ("gb_vat", "123456789", "Invalid value for gb_vat. Expected a value like GB123456789."),
    ],
)
def test_a_value_its_type_does_not_take_is_refused_naming_value(stripe_sdk, type, value, message):
    customer = _customer()
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe.Customer.create_tax_id(customer.id, type=type, value=value)
    error = refused.value.error
    assert (error.type, error.code, error.param, error.message) == (
        "invalid_request_error",
        "tax_id_invalid",
        "value",
        message,
    )
    assert not TaxId.objects.exists()
    assert not Event.objects.filter(type="customer.tax_id.created").exists()


def test_valid_values_are_kept_with_their_country(stripe_sdk):
    customer = _customer()
    abn = stripe.Customer.create_tax_id(customer.id, type="au_abn", value="51824753556")
    cif = stripe.Customer.create_tax_id(customer.id, type="es_cif", value="b12345674")
    greek = stripe.Customer.create_tax_id(customer.id, type="eu_vat", value="EL123456789")
    assert [(t.type, t.value, t.country) for t in (abn, cif, greek)] == [
        ("au_abn", "51824753556", "AU"),
        ("es_cif", "B12345674", "ES"),
        ("eu_vat", "EL123456789", "GR"),
    ]


def test_a_tax_id_s_customer_expands(stripe_sdk):
    customer = _customer()
    vat = stripe.Customer.create_tax_id(customer.id, type="gb_vat", value="GB123456789")
    assert vat.customer == customer.id
    expanded = stripe.Customer.retrieve_tax_id(customer.id, vat.id, expand=["customer"])
    assert (expanded.customer.id, expanded.customer.email) == (customer.id, "ada@example.com")
    listed = stripe.Customer.list_tax_ids(customer.id, expand=["data.customer"])
    assert [t.customer.id for t in listed.data] == [customer.id]


def test_invoices_carry_the_customer_s_tax_ids_fixed_at_finalization(stripe_sdk):
    customer = _customer()
    vat = stripe.Customer.create_tax_id(customer.id, type="gb_vat", value="GB123456789")
    stripe.InvoiceItem.create(customer=customer.id, amount=1000, currency="usd")
    draft = stripe.Invoice.create(customer=customer.id, pending_invoice_items_behavior="include")
    # A draft follows the customer.
    assert [t.to_dict() for t in draft.customer_tax_ids] == [
        {"type": "gb_vat", "value": "GB123456789"}
    ]
    abn = stripe.Customer.create_tax_id(customer.id, type="au_abn", value="51824753556")
    assert [t.type for t in stripe.Invoice.retrieve(draft.id).customer_tax_ids] == [
        "gb_vat",
        "au_abn",
    ]
    finalized = stripe.Invoice.finalize_invoice(draft.id)
    stripe.Customer.delete_tax_id(customer.id, abn.id)
    stripe.Customer.delete_tax_id(customer.id, vat.id)
    # Once finalized it keeps what the customer had then.
    kept = [(t.type, t.value) for t in stripe.Invoice.retrieve(finalized.id).customer_tax_ids]
    assert kept == [("gb_vat", "GB123456789"), ("au_abn", "51824753556")]

    page = Client().get(urlparse(finalized.hosted_invoice_url).path).content.decode()
    assert "GB VAT GB123456789" in page
    assert "AU ABN 51824753556" in page
    document = invoice_document(Invoice.objects.get(id=finalized.id))
    assert document.tax_ids == ["GB VAT GB123456789", "AU ABN 51824753556"]


def test_a_new_customer_s_bad_tax_id_names_its_entry_and_nothing_is_made(stripe_sdk):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe.Customer.create(
            email="ada@example.com",
            tax_id_data=[
                {"type": "gb_vat", "value": "GB123456789"},
                {"type": "au_abn", "value": "51824753557"},
            ],
        )
    assert (refused.value.code, refused.value.param) == ("tax_id_invalid", "tax_id_data[1][value]")
    assert stripe.Customer.list().data == []
    assert not TaxId.objects.exists()
