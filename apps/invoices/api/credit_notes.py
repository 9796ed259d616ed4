"""``/v1/credit_notes``: create, list, retrieve."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from apps.core.api.pagination import equal_filters, paginate
from apps.core.api.params import (
    get_str,
    reject_unknown,
)
from apps.core.api.schema import list_object, object_schema
from apps.core.errors import ResourceMissingError
from apps.invoices.api.views import PARAMS, InvoiceResourceApi
from apps.invoices.credit_notes import credit_note_create, credit_note_render
from apps.invoices.models import CreditNote

CreditNoteSchema = object_schema(
    "CreditNote", "credit_note", amount=serializers.IntegerField(), invoice=serializers.CharField()
)


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
            params=self.params,
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
