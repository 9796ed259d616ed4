"""One exception handler: every failure becomes a Stripe error object."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from apps.accounts.enums import Access, ApiKeyKind
from apps.core.api.permissions import READ_METHODS
from apps.core.errors import ApplicationError

logger = logging.getLogger(__name__)


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


def _permission_denied(context) -> Response:
    """Stripe's 403 wording: publishable keys are told to use a secret key; restricted keys
    which permission the endpoint needs."""
    request = context.get("request")
    api_key = getattr(request, "auth", None)
    if api_key is None or api_key.kind == ApiKeyKind.SECRET:
        return error_response(
            status=403,
            type="invalid_request_error",
            message="The provided key does not have the required permissions for this endpoint.",
        )
    if api_key.kind == ApiKeyKind.PUBLISHABLE:
        return error_response(
            status=403,
            type="invalid_request_error",
            code="secret_key_required",
            message=(
                "This API call cannot be made with a publishable API key. Please use a secret "
                "API key. You can find a list of your API keys in the dashboard under "
                "Developers → API keys."
            ),
        )
    message = (
        f"The provided key '{api_key.redacted}' does not have the required permissions for "
        f"this endpoint on account '{api_key.account_id}'."
    )
    resource = getattr(context.get("view"), "resource", "")
    if resource:
        access = Access.READ if request.method in READ_METHODS else Access.WRITE
        message += (
            f" Having the '{resource}: {access}' permission would allow this request to continue."
        )
    return error_response(status=403, type="invalid_request_error", message=message)


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
