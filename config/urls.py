from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularJSONAPIView

from apps.collections.views import update_payment_method_view
from apps.core.views import api_unrecognized, healthz
from apps.invoices.views import hosted_invoice_pdf_view, hosted_invoice_view

api_v1 = [
    path("", include("apps.core.api.urls")),
    path("", include("apps.customers.api.urls")),
    path("", include("apps.customers.api.urls_payment_methods")),
    path("", include("apps.catalog.api.urls")),
    path("", include("apps.payments.api.urls")),
    path("", include("apps.subscriptions.api.urls")),
    path("", include("apps.invoices.api.urls")),
    path("", include("apps.webhooks.api.urls")),
    path(
        "openapi.json",
        SpectacularJSONAPIView.as_view(authentication_classes=[], permission_classes=[]),
        name="openapi",
    ),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("v1/", include(api_v1)),
    re_path(r"^v1/(?P<rest>.*)$", api_unrecognized),
    path("dashboard/", include("apps.dashboard.urls")),
    path("i/<str:token>/", hosted_invoice_view, name="hosted-invoice"),
    path("i/<str:token>/pdf", hosted_invoice_pdf_view, name="hosted-invoice-pdf"),
    path(
        "payment_method/<str:token>/",
        update_payment_method_view,
        name="update-payment-method",
    ),
    path("", RedirectView.as_view(url="/dashboard/", permanent=False)),
]
