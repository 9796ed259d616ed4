"""The base of every ``/v1`` endpoint: Stripe parameters, idempotency, request log, expand."""

import time
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import clock
from apps.core.actor import Actor
from apps.core.api.exceptions import IdempotentReplay
from apps.core.api.expand import apply_expand
from apps.core.api.params import get_list
from apps.core.api.parsers import params_check, parse_query_string
from apps.core.errors import InvalidRequestError
from apps.core.idempotency import (
    StoredResponse,
    idempotency_begin,
    idempotency_finish,
    idempotency_release,
    request_fingerprint,
)
from apps.core.models import ApiRequestLog
from apps.core.request_log import request_log_append

_REDACTED_PARAMS = frozenset({"number", "cvc", "password", "secret", "account_number"})


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _redact(params: Any) -> Any:
    if isinstance(params, dict):
        return {k: "[redacted]" if k in _REDACTED_PARAMS else _redact(v) for k, v in params.items()}
    if isinstance(params, list):
        return [_redact(v) for v in params]
    return params


def _body_size_check(request) -> None:
    """Refuse a body over ``API_MAX_BODY_BYTES`` by its declared length, before a byte of it is
    read (a WSGI body is exactly ``Content-Length`` long), whatever its content type."""
    limit = settings.API_MAX_BODY_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise InvalidRequestError(
            f"The request body is too large: it can be at most {limit} bytes.", http_status=413
        )


class ApiView(APIView):
    """Subclasses set ``resource`` (for restricted keys) and implement get/post/delete.

    Handlers read ``self.params`` (nested Stripe parameters), act through ``self.account`` and
    ``self.actor``, and return ``self.respond(data)`` so ``expand`` is honoured.
    """

    resource = ""
    allow_publishable = False

    def initial(self, request, *args, **kwargs) -> None:
        self._started = time.monotonic()
        self._idempotency_row = None
        self._replayed = False
        self.account = None
        super().initial(request, *args, **kwargs)
        api_key = request.auth
        self.account = api_key.account
        idempotency_key = request.headers.get("Idempotency-Key") or None
        # Ids in the path and the headers kept or echoed are checked as parameters are: a NUL
        # byte never reaches a query or a response header.
        params_check(
            {
                **kwargs,
                "Idempotency-Key": idempotency_key or "",
                "Stripe-Version": request.headers.get("Stripe-Version") or "",
            }
        )
        _body_size_check(request)
        self.params = self._read_params(request)
        self.actor = Actor(
            kind="api_key",
            label=api_key.redacted,
            api_key_id=api_key.id,
            ip=client_ip(request),
            request_id=request._request.request_id,
            idempotency_key=idempotency_key,
        )
        if request.method == "POST" and idempotency_key:
            claimed = idempotency_begin(
                account=self.account,
                key=idempotency_key,
                fingerprint=request_fingerprint(
                    method=request.method, path=request.path, params=self.params
                ),
                method=request.method,
                path=request.path,
                request_id=self.actor.request_id,
            )
            if isinstance(claimed, StoredResponse):
                self._replayed = True
                raise IdempotentReplay(self._replay_response(claimed))
            self._idempotency_row = claimed

    def perform_content_negotiation(self, request, force=False):
        # The API answers in one format, Stripe's JSON, whatever the Accept header says.
        renderer = self.get_renderers()[0]
        return renderer, renderer.media_type

    def _read_params(self, request) -> dict[str, Any]:
        if request.method in ("GET", "DELETE", "HEAD"):
            return parse_query_string(request.META.get("QUERY_STRING", ""))
        return request.data

    @staticmethod
    def _replay_response(stored: StoredResponse) -> HttpResponse:
        response = HttpResponse(stored.body, status=stored.status, content_type="application/json")
        response["Idempotent-Replayed"] = "true"
        response["Original-Request"] = stored.request_id
        return response

    def respond(self, data: dict[str, Any], *, status: int = 200) -> Response:
        expand = get_list(self.params, "expand")
        if expand:
            data = apply_expand(data, expand, self.account)
        return Response(data, status=status)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.account is None:
            return response
        if isinstance(response, Response) and not response.is_rendered:
            response.render()
        body = response.content.decode("utf-8", errors="replace")
        if self._idempotency_row is not None:
            if response.status_code == 409:
                idempotency_release(row=self._idempotency_row)
            else:
                idempotency_finish(
                    row=self._idempotency_row, status=response.status_code, body=body
                )
        response["Stripe-Version"] = (
            request.headers.get("Stripe-Version") or self.account.api_version
        )
        self._log(request, response, body)
        return response

    def _log(self, request, response, body: str) -> None:
        params = getattr(self, "params", None)
        request_log_append(
            ApiRequestLog(
                id=request._request.request_id,
                account=self.account,
                created_at=clock.now(),
                method=request.method,
                # Cut to the columns' lengths: an over-long header or URL is answered with an
                # error, and logging that error must not fail on PostgreSQL's varchar limits.
                path=request.path[:255],
                status=response.status_code,
                duration_ms=int((time.monotonic() - self._started) * 1000),
                api_key_id=request.auth.id if request.auth is not None else None,
                ip=client_ip(request),
                idempotency_key=(request.headers.get("Idempotency-Key") or "")[:255] or None,
                stripe_version=(request.headers.get("Stripe-Version") or "")[:40],
                request_params=_redact(params) if params else None,
                response_body=body[: ApiRequestLog.RESPONSE_EXCERPT],
            )
        )
