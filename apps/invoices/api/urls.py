from django.urls import path

from apps.invoices.api import credit_notes, invoice_items, views

urlpatterns = [
    path("invoices", views.InvoiceListApi.as_view(), name="invoice-list"),
    path("invoices/<str:invoice>", views.InvoiceDetailApi.as_view(), name="invoice-detail"),
    path("invoices/<str:invoice>/lines", views.InvoiceLinesApi.as_view(), name="invoice-lines"),
    path(
        "invoices/<str:invoice>/finalize",
        views.InvoiceFinalizeApi.as_view(),
        name="invoice-finalize",
    ),
    path("invoices/<str:invoice>/pay", views.InvoicePayApi.as_view(), name="invoice-pay"),
    path("invoices/<str:invoice>/send", views.InvoiceSendApi.as_view(), name="invoice-send"),
    path("invoices/<str:invoice>/void", views.InvoiceVoidApi.as_view(), name="invoice-void"),
    path(
        "invoices/<str:invoice>/mark_uncollectible",
        views.InvoiceMarkUncollectibleApi.as_view(),
        name="invoice-mark-uncollectible",
    ),
    path("credit_notes", credit_notes.CreditNoteListApi.as_view(), name="credit-note-list"),
    path(
        "credit_notes/<str:id>",
        credit_notes.CreditNoteDetailApi.as_view(),
        name="credit-note-detail",
    ),
    path("invoiceitems", invoice_items.InvoiceItemListApi.as_view(), name="invoiceitem-list"),
    path(
        "invoiceitems/<str:invoiceitem>",
        invoice_items.InvoiceItemDetailApi.as_view(),
        name="invoiceitem-detail",
    ),
]
