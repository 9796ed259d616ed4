"""``/v1/credit_notes``: create, list, retrieve."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from apps.core.api.pagination import equal_filters, paginate
from apps.core.api.params import (
    get_int,
    get_str,
    reject_unknown,
)
from apps.core.api.schema import list_object, object_schema
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.invoices.api.views import PARAMS, InvoiceResourceApi
from apps.invoices.credit_notes import (
    REASONS,
    SETTLEMENTS,
    CreditLine,
    CreditNoteDraft,
    credit_note_create,
    credit_note_render,
)
from apps.invoices.models import CreditNote

CreditNoteSchema = object_schema(
    "CreditNote", "credit_note", amount=serializers.IntegerField(), invoice=serializers.CharField()
)


def _line_parse(line: Any, index: int) -> CreditLine:
    if not isinstance(line, dict):
        raise InvalidRequestError("Invalid hash", param=f"lines[{index}]")
    try:
        amount = int(line.get("amount"))
    except (TypeError, ValueError) as exc:
        raise InvalidRequestError(
            "Each line needs an amount.", param=f"lines[{index}][amount]"
        ) from exc
    invoice_line = line.get("invoice_line")
    return CreditLine(
        amount=amount,
        invoice_line=str(invoice_line) if invoice_line else invoice_line,
        description=str(line.get("description") or "")[:500],
    )


def credit_lines_parse(raw: Any) -> list[CreditLine]:
    """``lines[N][amount|invoice_line|description]``."""
    if isinstance(raw, dict):
        raw = [raw[k] for k in sorted(raw, key=int)]
    if not isinstance(raw, list):
        raise InvalidRequestError("Invalid array: lines", param="lines")
    return [_line_parse(line, index) for index, line in enumerate(raw)]


def credit_note_draft_parse(params: dict[str, Any]) -> CreditNoteDraft:
    """``POST /v1/credit_notes``: lines or an amount, the reason and memo, and on a paid invoice
    the refund, balance-credit and out-of-band parts."""
    reason = get_str(params, "reason", choices=list(REASONS)) or ""
    memo = get_str(params, "memo", max_length=500) or ""
    parts = {name: get_int(params, name, default=0, minimum=0) or 0 for name in SETTLEMENTS}
    if params.get("lines"):
        return CreditNoteDraft(
            lines=credit_lines_parse(params["lines"]), reason=reason, memo=memo, **parts
        )
    return CreditNoteDraft(amount=get_int(params, "amount"), reason=reason, memo=memo, **parts)


class CreditNoteListApi(InvoiceResourceApi):
    @extend_schema(
        operation_id="GetCreditNotes",
        summary="List credit notes",
        responses={200: list_object("CreditNoteList", CreditNoteSchema)},
    )
    def get(self, request):
        reject_unknown(
            self.params, {"limit", "starting_after", "ending_before", "invoice", "customer"}
        )
        rows = equal_filters(
            CreditNote.objects.filter(account=self.account),
            self.params,
            {"invoice": "invoice_id", "customer": "customer_id"},
        )
        return self.respond(
            paginate(rows, self.params, url="/v1/credit_notes", render=credit_note_render)
        )

    @extend_schema(
        operation_id="PostCreditNotes",
        summary="Issue a credit note (lines or amount; refund, balance credit or out of band)",
        request=PARAMS,
        responses={200: CreditNoteSchema},
    )
    def post(self, request):
        reject_unknown(
            self.params,
            {
                "invoice",
                "lines",
                "amount",
                "reason",
                "memo",
                "refund_amount",
                "credit_amount",
                "out_of_band_amount",
            },
        )
        note = credit_note_create(
            account=self.account,
            invoice_id=get_str(self.params, "invoice", required=True, max_length=64),
            draft=credit_note_draft_parse(self.params),
            actor=self.actor,
        )
        return self.respond(credit_note_render(note))


class CreditNoteDetailApi(InvoiceResourceApi):
    @extend_schema(
        operation_id="GetCreditNotesId",
        summary="Retrieve a credit note",
        responses={200: CreditNoteSchema},
    )
    def get(self, request, id: str):
        reject_unknown(self.params, set())
        note = CreditNote.objects.filter(account=self.account, id=id).first()
        if note is None:
            raise ResourceMissingError("credit_note", id)
        return self.respond(credit_note_render(note))
