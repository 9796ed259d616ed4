"""Ledgerline's URLs plus two plain Django views returning the JSON body of
``GET /v1/events?limit=10``:

- ``/bench/bare-events``: reads the newest ten events of ``BENCH_ACCOUNT_ID`` with the ORM and
  renders them, with no authentication, parameters, pagination logic, idempotency or request
  log. The difference to the API is what the API layer adds; this is the claim's baseline.
- ``/bench/static-events``: the body rendered once by the driver (``BENCH_BARE_BODY``), no
  database at all: the floor of a Django request on this machine.
- ``/bench/bare-post``: a form POST answered with a small fixed object (the write ceiling).

Both pass through the same middleware as the API.
"""

import os
from functools import cache

from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from apps.core.api.renderers import StripeJSONRenderer
from apps.core.events import event_render
from apps.core.models import Event


@cache
def _body() -> bytes:
    with open(os.environ["BENCH_BARE_BODY"], "rb") as handle:
        return handle.read()


def static_events(request):
    return HttpResponse(_body(), content_type="application/json")


def bare_events(request):
    rows = Event.objects.filter(account_id=os.environ["BENCH_ACCOUNT_ID"]).order_by("-id")[:11]
    data = [event_render(event) for event in rows]
    body = {"object": "list", "data": data[:10], "has_more": len(data) > 10, "url": "/v1/events"}
    return HttpResponse(StripeJSONRenderer().render(body), content_type="application/json")


@csrf_exempt
def bare_post(request):
    """A form POST read and answered with a small fixed object: the ceiling for API writes."""
    return JsonResponse({"object": "bare", "received": len(request.POST)})


urlpatterns = [
    path("bench/bare-post", bare_post),
    path("bench/bare-events", bare_events),
    path("bench/static-events", static_events),
    path("", include("config.urls")),
]
