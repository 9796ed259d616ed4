"""Invoice state changes and customer balances under twenty simultaneous requests to a server
of two processes: each state change happens once, with one event, and totals add up."""

from collections import Counter

import requests

from apps.accounts.models import AuditLogEntry
from apps.customers.models import CustomerBalanceTransaction
from apps.invoices.models import CreditNote, Invoice, InvoiceNumberSequence
from apps.payments.models import Charge
from tests.conftest import make_account
from tests.races.conftest import RACERS, post_all, race
from tests.races.test_invoice_pay import _open_invoice
from tests.races.test_payments import _codes, _events, _post


def test_twenty_finalizes_of_one_draft_number_it_once(two_processes):
    acme = make_account("Acme")
    customer = _post(two_processes, acme.secret_key, "/v1/customers", email="a@example.com")
    _post(
        two_processes,
        acme.secret_key,
        "/v1/invoiceitems",
        customer=customer["id"],
        amount=2500,
        currency="usd",
    )
    draft = _post(
        two_processes,
        acme.secret_key,
        "/v1/invoices",
        customer=customer["id"],
        pending_invoice_items_behavior="include",
        collection_method="send_invoice",
        days_until_due=30,
    )

    responses = post_all(two_processes, acme.secret_key, f"/v1/invoices/{draft['id']}/finalize")

    assert _codes(responses) == {(200, None): 1, (400, "invoice_not_editable"): RACERS - 1}
    invoice = Invoice.objects.get(id=draft["id"])
    assert (invoice.status, invoice.amount_due, invoice.number.endswith("-0001")) == (
        "open",
        2500,
        True,
    )
    assert InvoiceNumberSequence.objects.get(account=acme.account).next_number == 2
    assert _events(acme.account, "invoice.finalized") == {"invoice.finalized": 1}


def test_pay_void_and_mark_uncollectible_at_once_leave_one_consistent_outcome(two_processes):
    acme = make_account("Acme")
    invoice_id = _open_invoice(two_processes, acme.secret_key)
    path = f"/v1/invoices/{invoice_id}"
    actions = ["/pay", "/void", "/mark_uncollectible", "/finalize"] * (RACERS // 4)

    responses = race(
        lambda i: requests.post(
            f"{two_processes}{path}{actions[i]}",
            headers={"Authorization": f"Bearer {acme.secret_key}"},
            timeout=60,
        )
    )

    assert {r.status_code for r in responses} <= {200, 400, 409}
    won = Counter(actions[i] for i, r in enumerate(responses) if r.status_code == 200)
    invoice = Invoice.objects.get(id=invoice_id)
    charges = list(Charge.objects.filter(account=acme.account, status="succeeded"))
    events = _events(acme.account, "invoice.")
    assert won["/finalize"] == 0
    if invoice.status == "paid":
        # Paid first: nothing else could change it.
        assert won == {"/pay": 1}
        assert (len(charges), invoice.amount_paid) == (1, 2500)
        assert (events["invoice.paid"], events["invoice.voided"]) == (1, 0)
    else:
        # Voided or marked uncollectible first (an uncollectible invoice may then be voided):
        # never charged.
        assert invoice.status in ("void", "uncollectible")
        assert (won["/pay"], charges, invoice.amount_paid) == (0, [], 0)
        assert won["/void"] == events["invoice.voided"] == int(invoice.status == "void")
        assert won["/mark_uncollectible"] == events["invoice.marked_uncollectible"] <= 1
        assert events["invoice.paid"] == 0


def test_twenty_credit_notes_never_credit_more_than_the_invoice(two_processes):
    acme = make_account("Acme")
    invoice_id = _open_invoice(two_processes, acme.secret_key)

    responses = post_all(
        two_processes, acme.secret_key, "/v1/credit_notes", {"invoice": invoice_id, "amount": 300}
    )

    codes = _codes(responses)
    assert codes[(200, None)] == 8  # 8 × 300 = 2400 of 2500
    assert codes[(200, None)] + codes[(400, None)] == RACERS, codes
    notes = CreditNote.objects.filter(invoice_id=invoice_id)
    assert sorted(note.amount for note in notes) == [300] * 8
    assert len({note.number for note in notes}) == 8
    invoice = Invoice.objects.get(id=invoice_id)
    assert (invoice.status, invoice.amount_due) == ("open", 100)
    assert _events(acme.account, "credit_note.created") == {"credit_note.created": 8}


def test_twenty_balance_transactions_each_move_the_balance_once(two_processes):
    acme = make_account("Acme")
    customer = _post(two_processes, acme.secret_key, "/v1/customers", email="a@example.com")

    responses = post_all(
        two_processes,
        acme.secret_key,
        f"/v1/customers/{customer['id']}/balance_transactions",
        {"amount": -100, "currency": "usd"},
    )

    assert _codes(responses) == {(200, None): RACERS}
    rows = CustomerBalanceTransaction.objects.filter(customer_id=customer["id"]).order_by("id")
    assert sorted(row.ending_balance for row in rows) == list(range(-100 * RACERS, 0, 100))
    assert sorted(r.json()["ending_balance"] for r in responses) == list(
        range(-100 * RACERS, 0, 100)
    )
    assert (
        _post(two_processes, acme.secret_key, f"/v1/customers/{customer['id']}", metadata={})[
            "balance"
        ]
        == -100 * RACERS
    )
    assert (
        AuditLogEntry.objects.filter(
            account=acme.account, action="customer_balance_transaction.created"
        ).count()
        == RACERS
    )
