"""Endpoints that exist only in tests, mounted by ``tests.api.urls`` in front of the real URLconf.

They exercise the ApiView base (parameters, errors, idempotency, audit) where no production
endpoint yet does the same thing.
"""

import time

from django.db import transaction
from django.urls import include, path
from rest_framework import exceptions as drf
from rest_framework.response import Response

from apps.accounts.audit import audit_record
from apps.core.api.views import ApiView
from apps.core.errors import ApplicationError, CardError, ResourceMissingError
from apps.core.events import event_record, event_render
from apps.core.ids import new_id

# Seconds the write endpoint sleeps inside its transaction, so concurrent duplicates overlap.
WRITE_PAUSE = {"seconds": 0.0}


class EchoApi(ApiView):
    """Answers the parameters it parsed (read with GET/DELETE, write with POST), with no
    ``expand`` applied so any ``expand`` list comes back as parsed."""

    resource = "webhook_endpoints"

    def get(self, request):
        return Response({"object": "echo", "params": self.params})

    def post(self, request):
        return Response({"object": "echo", "params": self.params})

    def delete(self, request):
        return Response({"object": "echo", "params": self.params})


class WriteApi(ApiView):
    """A real write: an event and an audit row in one transaction, like every service."""

    resource = "webhook_endpoints"

    def post(self, request):
        with transaction.atomic():
            object_id = new_id("tst")
            data = {"id": object_id, "object": "test_object", "name": self.params.get("name")}
            event = event_record(
                account=self.account, type="test_object.created", data_object=data, actor=self.actor
            )
            audit_record(
                account=self.account,
                actor=self.actor,
                action="test_object.created",
                object_type="test_object",
                object_id=object_id,
                changes={"name": [None, data["name"]]},
            )
            if WRITE_PAUSE["seconds"]:
                time.sleep(WRITE_PAUSE["seconds"])
            if self.params.get("fail") == "after_write":
                raise RuntimeError("failed after writing")
        return self.respond(event_render(event))


def _raise(kind: str):
    if kind == "card":
        raise CardError(
            "Your card was declined.",
            code="card_declined",
            extra={"decline_code": "generic_decline"},
        )
    if kind == "conflict":
        raise ApplicationError("Conflict.", code="lock_timeout", http_status=409)
    if kind == "throttled":
        raise drf.Throttled()
    if kind == "missing":
        raise ResourceMissingError("thing", "thing_1")
    if kind == "denied":
        raise drf.PermissionDenied()
    if kind == "server":
        raise drf.APIException("Service unavailable.")
    raise RuntimeError("boom: a bug in a handler")


class RaiseApi(ApiView):
    """Raises the error named in the path, to see how each is answered."""

    resource = "events"

    def get(self, request, kind: str):
        _raise(kind)

    def post(self, request, kind: str):
        _raise(kind)


test_patterns = [
    path("echo", EchoApi.as_view(), name="test-echo"),
    path("writes", WriteApi.as_view(), name="test-write"),
    path("raise/<str:kind>", RaiseApi.as_view(), name="test-raise"),
]

urlpatterns_prefix = [path("v1/test/", include(test_patterns))]
