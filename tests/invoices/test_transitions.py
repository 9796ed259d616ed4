"""Status moves of invoices and credit notes: every move the table allows is made with its
events, every other one is refused and changes nothing, and no other code assigns these
statuses."""

import re
from pathlib import Path

import pytest

from apps.accounts.models import AuditLogEntry
from apps.core.actor import SYSTEM
from apps.core.errors import InvalidRequestError
from apps.core.models import Event
from apps.invoices.enums import CreditNoteStatus
from apps.invoices.enums import InvoiceStatus as S
from apps.invoices.models import Invoice
from apps.invoices.transitions import (
    CREDIT_NOTE_MOVES,
    INVOICE_EVENTS,
    INVOICE_MOVES,
    invoice_move,
    invoice_status_set,
    invoices_move,
)
from tests.factories import SubscriptionFactory

APPS = Path(__file__).resolve().parents[2] / "apps"
MOVES = [(before, after) for before, targets in INVOICE_MOVES.items() for after in sorted(targets)]
REFUSED = [
    (before, after)
    for before in S.values
    for after in S.values
    if after not in INVOICE_MOVES[before]
]


def _invoice(account, status: str) -> Invoice:
    subscription = SubscriptionFactory(account=account)
    invoice = Invoice.objects.get(subscription=subscription)
    Invoice.objects.filter(pk=invoice.pk).update(status=status)
    return Invoice.objects.select_related("account", "customer").get(pk=invoice.pk)


def _new(invoice: Invoice, seen: set[str]) -> list[tuple[str, str, dict | None]]:
    return list(
        Event.objects.filter(object_id=invoice.id)
        .exclude(id__in=seen)
        .order_by("id")
        .values_list("type", "data_object__status", "previous_attributes")
    )


def _audited(invoice: Invoice, seen: set[str]) -> list[str]:
    return list(
        AuditLogEntry.objects.filter(object_id=invoice.id)
        .exclude(id__in=seen)
        .order_by("id")
        .values_list("action", flat=True)
    )


def _marks() -> tuple[set[str], set[str]]:
    return set(Event.objects.values_list("id", flat=True)), set(
        AuditLogEntry.objects.values_list("id", flat=True)
    )


def test_the_tables_name_every_status_and_end_in_final_ones():
    assert set(INVOICE_MOVES) == set(S.values)
    assert set(INVOICE_EVENTS) == set(MOVES)
    assert INVOICE_MOVES[S.PAID] == INVOICE_MOVES[S.VOID] == frozenset()
    assert set(CREDIT_NOTE_MOVES) == set(CreditNoteStatus.values)
    assert set(CREDIT_NOTE_MOVES.values()) == {frozenset()}


@pytest.mark.parametrize(("before", "after"), MOVES)
def test_an_allowed_move_is_made_with_its_events(acme, before, after):
    invoice = _invoice(acme.account, before)
    events, audit = _marks()
    invoice_move(invoice, after, actor=SYSTEM)
    assert Invoice.objects.get(pk=invoice.pk).status == after
    expected = list(INVOICE_EVENTS[(before, after)])
    assert _new(invoice, events) == [(type, after, None) for type in expected]
    assert _audited(invoice, audit) == expected


def test_a_move_saves_the_fields_it_is_given_and_no_other(acme):
    invoice = _invoice(acme.account, S.OPEN)
    invoice.description = "not saved"
    invoice.voided_at = invoice.created_at
    invoice_move(invoice, S.VOID, actor=SYSTEM, fields=("voided_at",))
    saved = Invoice.objects.get(pk=invoice.pk)
    assert (saved.status, saved.voided_at, saved.description) == (
        S.VOID,
        invoice.created_at,
        "",
    )


def test_a_batch_moves_every_invoice_with_its_events_in_order(acme):
    first, second = _invoice(acme.account, S.DRAFT), _invoice(acme.account, S.DRAFT)
    events, _ = _marks()
    invoices_move(account=acme.account, moves=[(first, S.OPEN), (second, S.PAID)], actor=SYSTEM)
    assert (first.status, second.status) == (S.OPEN, S.PAID)
    new = list(Event.objects.exclude(id__in=events).order_by("id").values_list("type", "object_id"))
    assert new == [
        ("invoice.finalized", first.id),
        ("invoice.finalized", second.id),
        ("invoice.paid", second.id),
    ]
    # The caller writes the rows.
    assert Invoice.objects.get(pk=first.pk).status == S.DRAFT


@pytest.mark.parametrize(("before", "after"), REFUSED)
def test_any_other_move_is_refused_and_changes_nothing(acme, before, after):
    invoice = _invoice(acme.account, before)
    events, audit = _marks()
    for move in (
        lambda: invoice_move(invoice, after, actor=SYSTEM),
        lambda: invoice_status_set(invoice, after),
    ):
        with pytest.raises(InvalidRequestError) as error:
            move()
        assert error.value.code == "invoice_unexpected_state"
        assert invoice.status == before
    assert Invoice.objects.get(pk=invoice.pk).status == before
    assert (_new(invoice, events), _audited(invoice, audit)) == ([], [])


def test_a_batch_with_one_refused_move_moves_nothing(acme):
    draft, paid = _invoice(acme.account, S.DRAFT), _invoice(acme.account, S.PAID)
    events, _ = _marks()
    with pytest.raises(InvalidRequestError):
        invoices_move(account=acme.account, moves=[(draft, S.OPEN), (paid, S.OPEN)], actor=SYSTEM)
    assert (draft.status, paid.status) == (S.DRAFT, S.PAID)
    assert not Event.objects.exclude(id__in=events).exists()


def test_a_move_without_events_of_its_own_records_none(acme):
    invoice = _invoice(acme.account, S.OPEN)
    events, audit = _marks()
    invoice_status_set(invoice, S.PAID)
    assert invoice.status == S.PAID
    assert Invoice.objects.get(pk=invoice.pk).status == S.OPEN  # the caller saves it
    assert (_new(invoice, events), _audited(invoice, audit)) == ([], [])


def test_only_the_transition_functions_assign_these_statuses():
    assigning = re.compile(
        r"\b(invoice|row|draft|note|credit_note)\.status\s*=(?!=)"
        r"|\bstatus\s*=\s*(InvoiceStatus|CreditNoteStatus)\.(?!DRAFT\b|ISSUED\b)"
    )
    updating = re.compile(
        r"\.update\([^)]*\bstatus\s*=\s*"
        r"(\"(open|paid|void|uncollectible)\"|InvoiceStatus\.|CreditNoteStatus\.)"
    )
    offenders = []
    for path in APPS.rglob("*.py"):
        if path.name == "transitions.py" or "migrations" in path.parts:
            continue
        text = path.read_text()
        where = f"{path.relative_to(APPS.parent)}"
        offenders += [
            f"{where}:{number}"
            for number, line in enumerate(text.splitlines(), 1)
            if assigning.search(line)
        ]
        offenders += [f"{where}: {match.group(0)!r}" for match in updating.finditer(text)]
    assert offenders == []
