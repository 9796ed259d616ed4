"""Ledgerline's URLs plus ``/bench/bare-events``: a plain Django view returning the JSON body
of ``GET /v1/events?limit=10``, rendered once by the driver and read from ``BENCH_BARE_BODY``.

It passes through the same middleware as the API, so the difference between the two is what the
API layer adds: authentication, tenancy, parameter parsing, pagination, rendering, request log.
"""

import os
from functools import cache

from django.http import HttpResponse
from django.urls import include, path


@cache
def _body() -> bytes:
    with open(os.environ["BENCH_BARE_BODY"], "rb") as handle:
        return handle.read()


def bare_events(request):
    return HttpResponse(_body(), content_type="application/json")


urlpatterns = [
    path("bench/bare-events", bare_events),
    path("", include("config.urls")),
]
