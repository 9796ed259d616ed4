"""Dashboard → Invoices: a new one-off invoice for a customer, a draft's items, finalize, send."""

import re
from datetime import timedelta

from django.core import mail
from django.test import Client

from apps.accounts.enums import Role
from apps.accounts.models import AuditLogEntry
from apps.catalog.discount_params import new_coupon_parse
from apps.catalog.models import Coupon
from apps.catalog.services import coupon_create
from apps.core.actor import SYSTEM
from apps.core.models import Event
from apps.invoices.admin_drafts import draft_context
from apps.invoices.invoice_document import invoice_document, invoice_pdf
from apps.invoices.invoice_items import invoice_item_create
from apps.invoices.models import Invoice, InvoiceItem
from apps.invoices.one_off import InvoiceDraft, invoice_create
from tests.customers.conftest import staff_client  # noqa: F401
from tests.dashboard.conftest import staff_login
from tests.factories import CustomerFactory, PriceFactory
from tests.invoices.pdf_text import pdf_text


class GraceFactory(CustomerFactory):
    """The one-off invoices' customer, with a default card."""

    email = "grace@example.com"
    name = "Grace"
    source = "tok_visa"


BASE = "/dashboard/invoices/invoice"


class OnboardingPriceFactory(PriceFactory):
    """A one-time $4.50 price."""

    class Params:
        name = "Onboarding"

    unit_amount = 450
    recurring = None


def _rows(*rows, total=5):
    """The item rows of the new-invoice form as a browser posts them (blank rows included)."""
    data = {
        "items-TOTAL_FORMS": str(total),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "50",
    }
    for index in range(total):
        row = rows[index] if index < len(rows) else {}
        for field in ("description", "unit_amount", "price"):
            data[f"items-{index}-{field}"] = row.get(field, "")
        data[f"items-{index}-quantity"] = row.get("quantity", "1")
    return data


def _form(customer, **overrides):
    return {
        "customer": customer.id,
        "currency": "usd",
        "collection_method": "charge_automatically",
        "days_until_due": "",
        "coupon": "",
        "description": "",
        "footer": "",
        "include_pending": "on",
        "auto_advance": "on",
        **overrides,
    }


def _trail(account):
    return (
        Event.objects.filter(account=account).count(),
        AuditLogEntry.objects.filter(account=account).count(),
    )


def test_new_invoice_for_a_customer_with_items_prices_and_a_coupon(staff_client, acme):  # noqa: F811
    customer = GraceFactory(account=acme.account)
    onboarding = OnboardingPriceFactory(account=acme.account)
    coupon_create(
        account=acme.account,
        coupon=new_coupon_parse({"id": "TENOFF", "percent_off": "10"}),
        actor=SYSTEM,
    )
    assert "New invoice" in staff_client.get(f"{BASE}/").content.decode()
    customer_page = staff_client.get(f"/dashboard/customers/customer/{customer.id}/change/")
    assert f"{BASE}/new/?customer={customer.id}" in customer_page.content.decode()
    page = staff_client.get(f"{BASE}/new/", {"customer": customer.id}).content.decode()
    assert f'value="{customer.id}"' in page
    assert onboarding.id in page  # one-time prices to pick from
    response = staff_client.post(
        f"{BASE}/new/?customer={customer.id}",
        {
            **_form(
                customer,
                collection_method="send_invoice",
                days_until_due="14",
                coupon="TENOFF",
                description="April consulting",
                footer="IBAN DE89 3704 0044 0532 0130 00",
            ),
            **_rows(
                {"description": "Consulting hours", "unit_amount": "120.00", "quantity": "2"},
                {"price": onboarding.id, "quantity": "3"},
            ),
        },
    )
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}/{invoice.id}/change/"
    assert sorted(invoice.lines.values_list("amount", "discount_amount", "description")) == [
        (1350, 135, "Onboarding"),
        (24000, 2400, "Consulting hours"),
    ]
    assert (invoice.subtotal, invoice.total_discount, invoice.total) == (25350, 2535, 22815)
    assert (invoice.status, invoice.billing_reason, invoice.collection_method) == (
        "draft",
        "manual",
        "send_invoice",
    )
    assert invoice.due_date == invoice.created_at + timedelta(days=14)
    assert invoice.automatically_finalizes_at == invoice.created_at + timedelta(hours=1)
    assert (invoice.description, invoice.footer) == (
        "April consulting",
        "IBAN DE89 3704 0044 0532 0130 00",
    )
    assert Coupon.objects.get(coupon_id="TENOFF").times_redeemed == 1
    shown = staff_client.get(response["Location"]).content.decode()
    assert "April consulting" in shown
    assert "$228.15" in shown
    assert "data-add-item-form" in shown


def test_new_invoice_refusals_are_inline_and_write_nothing(staff_client, acme):  # noqa: F811
    customer = GraceFactory(account=acme.account)
    in_euros = OnboardingPriceFactory(account=acme.account, currency="eur")
    coupon_create(
        account=acme.account,
        coupon=new_coupon_parse({"id": "TENOFF", "percent_off": "10"}),
        actor=SYSTEM,
    )
    before = _trail(acme.account)

    def post(form, rows):
        response = staff_client.post(f"{BASE}/new/", {**form, **rows})
        assert response.status_code == 200
        return response.content.decode()

    # The service refuses an emailed invoice without payment terms: on the field.
    page = post(
        _form(customer, collection_method="send_invoice", coupon="TENOFF"),
        _rows({"description": "Work", "unit_amount": "10"}),
    )
    # In the form's words, not the API's parameter names.
    assert "need “Days until due” or due_date" in page
    assert "need days_until_due" not in page
    # A row with both an amount and a price, and one with too many decimals: on their rows.
    page = post(
        _form(customer),
        _rows(
            {"unit_amount": "10", "price": in_euros.id},
            {"unit_amount": "12.345"},
        ),
    )
    assert 'data-item-errors="0"' in page
    assert "Give a unit amount or pick a price" in page
    # A euro price on a dollar invoice (no rate to convert it): the service's refusal, on the
    # row, after the coupon was checked and before anything was written.
    page = post(
        _form(customer, coupon="TENOFF"),
        _rows({"description": "Fine", "unit_amount": "1"}, {"price": in_euros.id}),
    )
    assert 'data-item-errors="1"' in page
    page = post({**_form(customer), "customer": "cus_nope"}, _rows())
    assert "No such customer" in page
    assert not Invoice.objects.exists()
    assert not InvoiceItem.objects.exists()
    assert Coupon.objects.get(coupon_id="TENOFF").times_redeemed == 0
    assert _trail(acme.account) == before


def test_draft_items_added_changed_removed_then_finalized_and_sent(staff_client, acme):  # noqa: F811
    customer = GraceFactory(account=acme.account)
    invoice = invoice_create(
        account=acme.account,
        draft=InvoiceDraft(
            customer_id=customer.id,
            collection_method="send_invoice",
            days_until_due=30,
            footer="Thanks",
        ),
        actor=SYSTEM,
    )
    item = invoice_item_create(
        account=acme.account, actor=SYSTEM, invoice_id=invoice.id, amount=1000, description="Setup"
    )
    page = f"{BASE}/{invoice.id}/change/"
    add = staff_client.post(
        f"{BASE}/{invoice.id}/items/add/",
        {"add-description": "Training", "add-unit_amount": "50.00", "add-quantity": "3"},
    )
    assert add.status_code == 302
    invoice.refresh_from_db()
    assert invoice.total == 16000
    changed = staff_client.post(
        f"{BASE}/{invoice.id}/items/{item.id}/edit/",
        {
            f"{item.id}-description": "Setup (reduced)",
            f"{item.id}-unit_amount": "7.50",
            f"{item.id}-quantity": "2",
        },
    )
    assert changed.status_code == 302
    item.refresh_from_db()
    assert (item.amount, item.quantity, item.description) == (1500, 2, "Setup (reduced)")
    invoice.refresh_from_db()
    assert invoice.total == 16500
    # A bad amount is shown on that item's form; nothing changes.
    trail = _trail(acme.account)
    refused = staff_client.post(
        f"{BASE}/{invoice.id}/items/{item.id}/edit/",
        {
            f"{item.id}-description": "x",
            f"{item.id}-unit_amount": "abc",
            f"{item.id}-quantity": "2",
        },
    )
    assert refused.status_code == 200
    errors = re.search(r"data-item-errors>(.*?)</", refused.content.decode(), re.S)
    assert "Enter the amount in USD as a number, e.g. 25.00." in errors.group(1)
    item.refresh_from_db()
    assert (item.amount, item.description) == (1500, "Setup (reduced)")
    assert _trail(acme.account) == trail
    training = InvoiceItem.objects.get(invoice=invoice, description="Training")
    staff_client.post(f"{BASE}/{invoice.id}/items/{training.id}/delete/")
    assert not InvoiceItem.objects.filter(id=training.id).exists()
    invoice.refresh_from_db()
    assert invoice.total == 1500
    assert "data-send-invoice" not in staff_client.get(page).content.decode()  # a draft

    staff_client.post(f"{BASE}/{invoice.id}/action/finalize/")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number is not None) == ("open", True)
    shown = staff_client.get(page).content.decode()
    assert "data-add-item-form" not in shown  # a finalized invoice's items are fixed
    assert "data-send-invoice" in shown
    staff_client.post(f"{BASE}/{invoice.id}/action/send/")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["grace@example.com"]
    assert "$15.00" in mail.outbox[0].body
    assert f"/i/{invoice.hosted_token}/" in mail.outbox[0].body
    invoice.refresh_from_db()
    assert invoice.sent_at is not None
    assert "last sent" in staff_client.get(page).content.decode()
    # The PDF carries the footer, as the hosted page does.
    pdf = Client().get(f"/i/{invoice.hosted_token}/pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert "Thanks" in pdf_text(pdf.content)


def test_view_only_members_cannot_create_edit_or_send(acme):
    viewer = staff_login(Client(), account=acme.account, role=Role.VIEW_ONLY)
    customer = GraceFactory(account=acme.account)
    draft = invoice_create(
        account=acme.account, draft=InvoiceDraft(customer_id=customer.id), actor=SYSTEM
    )
    item = invoice_item_create(
        account=acme.account, actor=SYSTEM, invoice_id=draft.id, amount=1000, description="Setup"
    )
    emailed = invoice_create(
        account=acme.account,
        draft=InvoiceDraft(
            customer_id=customer.id, collection_method="send_invoice", days_until_due=7
        ),
        actor=SYSTEM,
    )
    invoice_item_create(account=acme.account, actor=SYSTEM, invoice_id=emailed.id, amount=500)
    from apps.invoices.services import invoice_finalize

    invoice_finalize(account=acme.account, invoice_id=emailed.id)
    trail = _trail(acme.account)
    assert viewer.get(f"{BASE}/new/").status_code == 403
    assert viewer.post(f"{BASE}/new/", {**_form(customer), **_rows()}).status_code == 403
    page = viewer.get(f"{BASE}/{draft.id}/change/").content.decode()
    assert "data-add-item-form" not in page
    assert "New invoice" not in viewer.get(f"{BASE}/").content.decode()
    viewer.post(
        f"{BASE}/{draft.id}/items/add/",
        {"add-description": "More", "add-unit_amount": "5", "add-quantity": "1"},
    )
    viewer.post(
        f"{BASE}/{draft.id}/items/{item.id}/edit/",
        {f"{item.id}-description": "x", f"{item.id}-unit_amount": "1", f"{item.id}-quantity": "1"},
    )
    viewer.post(f"{BASE}/{draft.id}/items/{item.id}/delete/")
    viewer.post(f"{BASE}/{emailed.id}/action/send/")
    assert mail.outbox == []
    assert list(InvoiceItem.objects.filter(invoice=draft).values_list("amount", "description")) == [
        (1000, "Setup")
    ]
    assert Invoice.objects.count() == 2
    assert Invoice.objects.get(id=emailed.id).sent_at is None
    assert _trail(acme.account) == trail


def test_memo_and_footer_wrap_on_the_pdf(acme):
    customer = GraceFactory(account=acme.account)
    invoice = invoice_create(
        account=acme.account,
        draft=InvoiceDraft(
            customer_id=customer.id,
            description="Work done in April:\n" + "design review " * 12,
            footer="Pay within 30 days.",
        ),
        actor=SYSTEM,
    )
    document = invoice_document(invoice)
    assert document.memo == ["Work done in April:", ("design review " * 12).strip()]
    assert document.footer == ["Pay within 30 days."]
    lines = pdf_text(invoice_pdf(invoice)).splitlines()
    # Its own line break kept; the long line wrapped to the page's width, no word cut.
    memo = lines[lines.index("Work done in April:") + 1 :][:2]
    assert all(line.strip().startswith("design review") for line in memo)
    assert " ".join(line.strip() for line in memo) == ("design review " * 12).strip()
    assert lines[-1] == "Pay within 30 days."


def test_a_draft_items_unit_amount_is_rounded_by_the_one_rounding_rule(acme):
    """An item's amount over its quantity is rounded as every amount is (money.round_minor,
    halves away from zero), not floored: 10.01 over 2 units shows 5.01 a unit, 10.00 over 3
    shows 3.33."""
    customer = GraceFactory(account=acme.account)
    invoice = invoice_create(
        account=acme.account,
        draft=InvoiceDraft(
            customer_id=customer.id, collection_method="send_invoice", days_until_due=30
        ),
        actor=SYSTEM,
    )
    halves = InvoiceItem.objects.create(
        account=acme.account,
        customer=customer,
        invoice=invoice,
        amount=1001,
        currency="usd",
        quantity=2,
        description="Halves",
        period_start=invoice.created_at,
        period_end=invoice.created_at,
    )
    thirds = InvoiceItem.objects.create(
        account=acme.account,
        customer=customer,
        invoice=invoice,
        amount=1000,
        currency="usd",
        quantity=3,
        description="Thirds",
        period_start=invoice.created_at,
        period_end=invoice.created_at,
    )
    shown = {
        item.id: form.initial["unit_amount"]
        for item, form, _ in draft_context(invoice, prices=[])["draft_items"]
    }
    assert shown == {halves.id: "5.01", thirds.id: "3.33"}
