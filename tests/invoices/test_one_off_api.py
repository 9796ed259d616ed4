"""One-off invoices through the official stripe SDK: create, items on drafts, discounts, update
rules, finalize and send."""

from urllib.parse import urlparse

import pytest
import stripe
from django.core import mail
from django.test import Client

from apps.accounts.models import AuditLogEntry
from apps.catalog.models import Coupon, PromotionCode
from apps.core.actor import SYSTEM
from apps.core.models import Event
from apps.customers.models import Customer
from apps.invoices.discounts import discount_apply
from apps.invoices.models import Invoice, InvoiceItem


def _customer(**extra):
    return stripe.Customer.create(email="ada@example.com", name="Ada", source="tok_visa", **extra)


def _monthly(amount=2500):
    return stripe.Price.create(
        product_data={"name": "Basic"},
        currency="usd",
        unit_amount=amount,
        recurring={"interval": "month"},
    )


def _line_amounts(invoice_id):
    lines = stripe.Invoice.list_lines(invoice_id).data
    return sorted((line.amount, sum(d.amount for d in line.discount_amounts)) for line in lines)


def test_create_with_pending_items_included_or_excluded(stripe_sdk):
    customer = _customer()
    subscription = stripe.Subscription.create(
        customer=customer.id, items=[{"price": _monthly().id}]
    )
    setup = stripe.InvoiceItem.create(
        customer=customer.id, amount=1500, currency="usd", description="Setup"
    )
    in_euros = stripe.InvoiceItem.create(customer=customer.id, amount=900, currency="eur")
    for_subscription = stripe.InvoiceItem.create(
        customer=customer.id, amount=700, currency="usd", subscription=subscription.id
    )

    # Excluded by default: an empty draft, nothing taken from the pending items.
    empty = stripe.Invoice.create(customer=customer.id)
    assert (empty.status, empty.total, empty.billing_reason) == ("draft", 0, "manual")
    assert empty.number is None
    assert empty.hosted_invoice_url is None
    assert stripe.Invoice.list_lines(empty.id).data == []

    # Included: the customer's pending usd items that belong to no subscription.
    included = stripe.Invoice.create(customer=customer.id, pending_invoice_items_behavior="include")
    assert (included.subtotal, included.total, included.amount_due) == (1500, 1500, 1500)
    assert [line.description for line in stripe.Invoice.list_lines(included.id).data] == ["Setup"]
    assert stripe.InvoiceItem.retrieve(setup.id).invoice == included.id
    assert stripe.InvoiceItem.retrieve(in_euros.id).invoice is None
    assert stripe.InvoiceItem.retrieve(for_subscription.id).invoice is None

    # With a subscription: only that subscription's pending items; its cycle is untouched.
    period_end = Invoice.objects.filter(subscription_id=subscription.id).count()
    of_subscription = stripe.Invoice.create(
        customer=customer.id,
        subscription=subscription.id,
        pending_invoice_items_behavior="include",
    )
    assert (of_subscription.total, of_subscription.subscription) == (700, subscription.id)
    assert stripe.InvoiceItem.retrieve(for_subscription.id).invoice == of_subscription.id
    assert Invoice.objects.filter(subscription_id=subscription.id).count() == period_end + 1
    assert stripe.Subscription.retrieve(subscription.id).latest_invoice != of_subscription.id

    # Deleting the draft sends its items back to waiting.
    stripe.Invoice.delete(included.id)
    assert stripe.InvoiceItem.retrieve(setup.id).invoice is None


def test_auto_advance_is_off_unless_asked_and_finalizes_an_hour_later(stripe_sdk):
    customer = _customer()
    manual = stripe.Invoice.create(customer=customer.id)
    assert (manual.auto_advance, manual.automatically_finalizes_at) == (False, None)
    auto = stripe.Invoice.create(customer=customer.id, auto_advance=True)
    assert auto.auto_advance is True
    assert auto.automatically_finalizes_at == auto.created + 3600
    paused = stripe.Invoice.modify(auto.id, auto_advance=False)
    assert (paused.auto_advance, paused.automatically_finalizes_at) == (False, None)
    assert Invoice.objects.get(id=auto.id).automatically_finalizes_at is None
    resumed = stripe.Invoice.modify(auto.id, automatically_finalizes_at=auto.created + 7200)
    assert (resumed.auto_advance, resumed.automatically_finalizes_at) == (True, auto.created + 7200)
    finalized = stripe.Invoice.finalize_invoice(auto.id)
    assert finalized.automatically_finalizes_at is None


def test_percent_coupon_on_a_one_off_invoice_exact_cents(stripe_sdk):
    customer = _customer()
    stripe.Coupon.create(id="FIFTEEN", percent_off=15, duration="once")
    draft = stripe.Invoice.create(customer=customer.id, discounts=[{"coupon": "FIFTEEN"}])
    for amount in (1999, 1001, 333, -500):
        stripe.InvoiceItem.create(customer=customer.id, invoice=draft.id, amount=amount)
    invoice = stripe.Invoice.retrieve(draft.id)
    # 15% per line, halves away from zero: 299.85 → 300, 150.15 → 150, 49.95 → 50; the credit
    # line is not discounted.
    assert _line_amounts(draft.id) == [(-500, 0), (333, 50), (1001, 150), (1999, 300)]
    assert (invoice.subtotal, invoice.total, invoice.amount_due) == (2833, 2333, 2333)
    assert invoice.total_discount_amounts[0].amount == 500
    assert invoice.discounts == [invoice.total_discount_amounts[0].discount]
    assert Coupon.objects.get(coupon_id="FIFTEEN").times_redeemed == 1
    # Three more of the 333 line (a unit amount): 1332 → 199.8 → 200.
    line_item = InvoiceItem.objects.get(invoice_id=draft.id, amount=333)
    stripe.InvoiceItem.modify(line_item.id, unit_amount_decimal="333", quantity=4)
    invoice = stripe.Invoice.retrieve(draft.id)
    assert _line_amounts(draft.id) == [(-500, 0), (1001, 150), (1332, 200), (1999, 300)]
    assert (invoice.subtotal, invoice.total) == (3832, 3182)
    # The once coupon stays on this invoice (it is the invoice's own), and goes when removed.
    removed = stripe.Invoice.modify(draft.id, discounts="")
    assert (removed.total, removed.total_discount_amounts, removed.discounts) == (3832, [], [])


def test_amount_off_promotion_code_is_spent_across_lines_in_order(stripe_sdk):
    customer = _customer()
    coupon = stripe.Coupon.create(amount_off=2500, currency="usd", duration="once")
    stripe.PromotionCode.create(promotion={"type": "coupon", "coupon": coupon.id}, code="SPRING")
    first = stripe.InvoiceItem.create(customer=customer.id, amount=1999, currency="usd")
    stripe.InvoiceItem.create(customer=customer.id, amount=1001, currency="usd")
    invoice = stripe.Invoice.create(
        customer=customer.id,
        pending_invoice_items_behavior="include",
        discounts=[{"promotion_code": "SPRING"}],
    )
    assert _line_amounts(invoice.id) == [(1001, 501), (1999, 1999)]
    assert (invoice.subtotal, invoice.total) == (3000, 500)
    assert PromotionCode.objects.get(code="SPRING").times_redeemed == 1
    # Lowering the first line moves the rest of the coupon onto the second.
    stripe.InvoiceItem.modify(first.id, amount=1000, description="Setup, discounted")
    assert _line_amounts(invoice.id) == [(1000, 1000), (1001, 1001)]
    assert stripe.Invoice.retrieve(invoice.id).total == 0


def test_a_customer_discount_is_inherited_unless_discounts_is_empty(stripe_sdk, acme):
    stripe.Coupon.create(id="TEN", percent_off=10, duration="forever")
    customer = _customer()
    discount_apply(
        account=acme.account,
        customer=Customer.objects.get(id=customer.id),
        coupon_id="TEN",
        actor=SYSTEM,
    )
    stripe.InvoiceItem.create(customer=customer.id, amount=1000, currency="usd")
    inherited = stripe.Invoice.create(
        customer=customer.id, pending_invoice_items_behavior="include"
    )
    assert (inherited.total, inherited.total_discount_amounts[0].amount) == (900, 100)
    stripe.InvoiceItem.create(customer=customer.id, amount=1000, currency="usd")
    plain = stripe.Invoice.create(
        customer=customer.id, pending_invoice_items_behavior="include", discounts=""
    )
    assert (plain.total, plain.discounts) == (1000, [])


def test_one_off_items_from_prices_and_quantities(stripe_sdk):
    customer = _customer()
    setup = stripe.Price.create(
        product_data={"name": "Onboarding"}, currency="usd", unit_amount=450
    )
    draft = stripe.Invoice.create(customer=customer.id)
    item = stripe.InvoiceItem.create(
        customer=customer.id, invoice=draft.id, pricing={"price": setup.id}, quantity=3
    )
    assert (item.amount, item.quantity, item.description) == (1350, 3, "Onboarding")
    assert item.pricing.price_details.price == setup.id
    assert stripe.InvoiceItem.modify(item.id, quantity=5).amount == 2250
    assert stripe.Invoice.retrieve(draft.id).total == 2250
    with pytest.raises(stripe.InvalidRequestError) as recurring:
        stripe.InvoiceItem.create(customer=customer.id, invoice=draft.id, price=_monthly().id)
    assert recurring.value.param == "price"
    with pytest.raises(stripe.InvalidRequestError) as ambiguous:
        stripe.InvoiceItem.create(customer=customer.id, invoice=draft.id, amount=100, quantity=2)
    assert ambiguous.value.param == "quantity"
    stripe.InvoiceItem.delete(item.id)
    assert stripe.Invoice.retrieve(draft.id).total == 0


def test_update_rules_draft_then_finalized(stripe_sdk):
    customer = _customer()
    draft = stripe.Invoice.create(customer=customer.id, description="March work")
    item = stripe.InvoiceItem.create(customer=customer.id, invoice=draft.id, amount=4200)
    updated = stripe.Invoice.modify(
        draft.id,
        collection_method="send_invoice",
        days_until_due=30,
        footer="Bank: 12-34-56",
        metadata={"order": "A1"},
    )
    assert updated.collection_method == "send_invoice"
    assert updated.due_date == draft.created + 30 * 86400
    assert (updated.description, updated.footer) == ("March work", "Bank: 12-34-56")
    changed = Event.objects.filter(type="invoice.updated", object_id=draft.id).latest("id")
    assert changed.previous_attributes["collection_method"] == "charge_automatically"

    finalized = stripe.Invoice.finalize_invoice(draft.id)
    assert (finalized.status, finalized.amount_due) == ("open", 4200)
    kept = stripe.Invoice.modify(
        draft.id, description="March work (revised)", metadata={"order": "A2"}, auto_advance=True
    )
    assert (kept.description, kept.metadata["order"], kept.auto_advance) == (
        "March work (revised)",
        "A2",
        True,
    )
    before = Invoice.objects.get(id=draft.id)
    for change, param in (
        ({"days_until_due": 10}, "days_until_due"),
        ({"collection_method": "charge_automatically"}, "collection_method"),
        ({"discounts": ""}, "discounts"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            stripe.Invoice.modify(draft.id, **change)
        assert (refused.value.param, refused.value.code) == (param, "invoice_not_editable")
    with pytest.raises(stripe.InvalidRequestError) as item_refused:
        stripe.InvoiceItem.modify(item.id, amount=1)
    assert item_refused.value.code == "invoice_not_editable"
    after = Invoice.objects.get(id=draft.id)
    assert (after.due_date, after.total, after.updated_at) == (
        before.due_date,
        before.total,
        before.updated_at,
    )
    assert InvoiceItem.objects.get(id=item.id).amount == 4200


def test_finalize_assigns_the_next_gapless_number(stripe_sdk):
    customer = _customer()
    first = stripe.Invoice.create(customer=customer.id)
    second = stripe.Invoice.create(customer=customer.id)
    dropped = stripe.Invoice.create(customer=customer.id)
    stripe.InvoiceItem.create(customer=customer.id, invoice=second.id, amount=800)
    stripe.Invoice.delete(dropped.id)  # a deleted draft never took a number
    numbered = stripe.Invoice.finalize_invoice(second.id)
    then = stripe.Invoice.finalize_invoice(first.id)
    prefix, number = numbered.number.rsplit("-", 1)
    assert then.number == f"{prefix}-{int(number) + 1:04d}"
    assert (then.status, numbered.status) == ("paid", "open")  # nothing due on an empty one


def test_send_emails_the_customer_the_hosted_page(stripe_sdk):
    customer = _customer()
    invoice = stripe.Invoice.create(
        customer=customer.id,
        collection_method="send_invoice",
        days_until_due=14,
        description="Consulting, March",
        footer="Thank you",
    )
    stripe.InvoiceItem.create(customer=customer.id, invoice=invoice.id, amount=4200)
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Invoice.send_invoice(invoice.id)  # a draft is not sent
    assert mail.outbox == []
    opened = stripe.Invoice.finalize_invoice(invoice.id)
    sent = stripe.Invoice.send_invoice(invoice.id)
    assert sent.status == "open"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    assert message.subject.startswith(f"Invoice {opened.number} from Acme")
    assert "Amount due: $42.00" in message.body
    assert f"Due date: {Invoice.objects.get(id=invoice.id).due_date:%Y-%m-%d}" in message.body
    assert opened.hosted_invoice_url in message.body
    assert "Consulting, March" in message.body
    assert opened.hosted_invoice_url in message.alternatives[0][0]
    row = Invoice.objects.get(id=invoice.id)
    assert row.sent_at is not None
    assert Event.objects.get(type="invoice.sent").object_id == invoice.id
    assert AuditLogEntry.objects.filter(action="invoice.sent", object_id=invoice.id).count() == 1
    # The hosted page the link leads to shows the memo and the footer.
    page = Client().get(urlparse(opened.hosted_invoice_url).path).content.decode()
    assert "Consulting, March" in page
    assert "Thank you" in page


def test_send_refuses_charge_automatically_and_customers_without_email(stripe_sdk):
    customer = _customer()
    charged = stripe.Invoice.create(customer=customer.id)
    stripe.InvoiceItem.create(customer=customer.id, invoice=charged.id, amount=100)
    assert stripe.Invoice.finalize_invoice(charged.id).status == "open"
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe.Invoice.send_invoice(charged.id)
    assert "collection method is 'send_invoice'" in refused.value.user_message
    anonymous = stripe.Customer.create(name="No mail")
    invoice = stripe.Invoice.create(
        customer=anonymous.id, collection_method="send_invoice", days_until_due=7
    )
    stripe.InvoiceItem.create(customer=anonymous.id, invoice=invoice.id, amount=100)
    stripe.Invoice.finalize_invoice(invoice.id)
    with pytest.raises(stripe.InvalidRequestError) as no_email:
        stripe.Invoice.send_invoice(invoice.id)
    assert no_email.value.code == "customer_email_missing"
    assert mail.outbox == []
    assert not Event.objects.filter(type="invoice.sent").exists()
    assert Invoice.objects.get(id=invoice.id).sent_at is None


def test_bad_input_gets_stripe_errors(api):
    customer = api.post("/v1/customers", {"email": "b@example.com"}).json()
    cases = [
        ({"customer": "cus_nope"}, 404, "customer"),
        ({"customer": customer["id"], "collection_method": "send_invoice"}, 400, "days_until_due"),
        ({"customer": customer["id"], "days_until_due": 5}, 400, "days_until_due"),
        (
            {
                "customer": customer["id"],
                "collection_method": "send_invoice",
                "days_until_due": 5,
                "due_date": 4102444800,
            },
            400,
            "due_date",
        ),
        (
            {"customer": customer["id"], "collection_method": "send_invoice", "due_date": 1000},
            400,
            "due_date",
        ),
        ({"customer": customer["id"], "subscription": "sub_nope"}, 404, "subscription"),
        (
            {"customer": customer["id"], "discounts": [{"coupon": "NOPE"}]},
            404,
            "discounts[0][coupon]",
        ),
        (
            {"customer": customer["id"], "default_payment_method": "pm_x"},
            400,
            "default_payment_method",
        ),
        (
            {"customer": customer["id"], "pending_invoice_items_behavior": "sometimes"},
            400,
            "pending_invoice_items_behavior",
        ),
        ({"customer": customer["id"], "number": "X-1"}, 400, "number"),
    ]
    for params, status, param in cases:
        response = api.post("/v1/invoices", params)
        assert response.status_code == status, (params, response.content)
        error = response.json()["error"]
        assert (error["type"], error["param"]) == ("invalid_request_error", param), params
    assert not Invoice.objects.exists()
    draft = api.post("/v1/invoices", {"customer": customer["id"]}).json()
    on_draft = api.post(
        "/v1/invoiceitems", {"invoice": draft["id"], "amount": 100, "currency": "eur"}
    )
    assert on_draft.json()["error"]["param"] == "currency"
    missing = api.post("/v1/invoiceitems", {"invoice": "in_nope", "amount": 100})
    assert (missing.status_code, missing.json()["error"]["param"]) == (404, "invoice")
    assert not InvoiceItem.objects.exists()
