"""One exception handler: every failure becomes a Stripe error object."""

import logging
from collections.abc import Callable

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from apps.core.errors import ApplicationError

logger = logging.getLogger(__name__)

NO_PERMISSION_MESSAGE = "The provided key does not have the required permissions for this endpoint."


def error_body(
    *, type: str, message: str, code: str | None = None, param: str | None = None, **extra
) -> dict:
    error = {"type": type, "message": message}
    if code:
        error["code"] = code
        error["doc_url"] = f"https://docs.stripe.com/error-codes/{code.replace('_', '-')}"
    if param:
        error["param"] = param
    error.update({k: v for k, v in extra.items() if v is not None})
    return {"error": error}


def error_response(*, status: int, **kwargs) -> Response:
    return Response(error_body(**kwargs), status=status)


class IdempotentReplay(Exception):
    """Raised before the handler runs when a stored response answers the request."""

    def __init__(self, response) -> None:
        self.response = response


# How a refused permission is answered: the accounts app, which owns API keys and Stripe's
# wording about them, registers its answer at start-up (AccountsConfig.ready).
_permission_denied_responders: list[Callable[[dict], Response]] = []


def register_permission_denied(responder: Callable[[dict], Response]) -> None:
    """``responder(context)`` answers the API's permission refusals (403s); the last one
    registered is used."""
    if responder not in _permission_denied_responders:
        _permission_denied_responders.append(responder)


def _permission_denied(context) -> Response:
    if _permission_denied_responders:
        return _permission_denied_responders[-1](context)
    return error_response(status=403, type="invalid_request_error", message=NO_PERMISSION_MESSAGE)


def stripe_exception_handler(exc, context):
    if isinstance(exc, IdempotentReplay):
        return exc.response
    if isinstance(exc, ApplicationError):
        return error_response(
            status=exc.http_status,
            type=exc.type,
            message=exc.message,
            code=exc.code,
            param=exc.param,
            **exc.extra,
        )
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        response = error_response(status=401, type="invalid_request_error", message=str(exc.detail))
        if getattr(exc, "auth_header", None):
            response["WWW-Authenticate"] = exc.auth_header
        return response
    if isinstance(exc, drf.PermissionDenied | DjangoPermissionDenied):
        return _permission_denied(context)
    if isinstance(exc, Http404 | drf.NotFound):
        return error_response(
            status=404,
            type="invalid_request_error",
            code="resource_missing",
            message=str(exc) or "No such object.",
        )
    if isinstance(exc, drf.MethodNotAllowed):
        request = context["request"]
        return error_response(
            status=404,
            type="invalid_request_error",
            message=f"Unrecognized request URL ({request.method}: {request.path}).",
        )
    if isinstance(exc, drf.UnsupportedMediaType):
        return error_response(
            status=400,
            type="invalid_request_error",
            message=f"Unsupported content type: {exc.detail}",
        )
    if isinstance(exc, drf.ParseError):
        return error_response(
            status=400, type="invalid_request_error", message=f"Invalid request body: {exc.detail}"
        )
    if isinstance(exc, drf.Throttled):
        return error_response(
            status=429,
            type="invalid_request_error",
            code="rate_limit",
            message="Too many requests hit the API too quickly.",
        )
    if isinstance(exc, drf.APIException):
        return error_response(
            status=exc.status_code,
            type="api_error" if exc.status_code >= 500 else "invalid_request_error",
            message=str(exc.detail),
        )
    logger.error("api.unhandled_error", exc_info=exc)
    return error_response(
        status=500, type="api_error", message="An unexpected error occurred on Ledgerline's side."
    )
