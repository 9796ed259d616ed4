"""What an API key may reach, and Stripe's wording when it may not."""

from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from apps.accounts.enums import Access, ApiKeyKind
from apps.core.api.exceptions import NO_PERMISSION_MESSAGE, error_response

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class KeyHasAccess(BasePermission):
    """Secret keys reach everything; restricted keys per resource; publishable keys only the
    endpoints that allow them (tokens and the like)."""

    def has_permission(self, request, view) -> bool:
        api_key = request.auth
        if api_key is None:
            return False
        if api_key.kind == ApiKeyKind.SECRET:
            return True
        if api_key.kind == ApiKeyKind.PUBLISHABLE:
            return getattr(view, "allow_publishable", False)
        granted = api_key.permissions.get(getattr(view, "resource", ""), Access.NONE)
        needed = Access.READ if request.method in READ_METHODS else Access.WRITE
        return granted == Access.WRITE or granted == needed

    @property
    def message(self) -> str:  # DRF reads this attribute for the error text
        return NO_PERMISSION_MESSAGE


def key_permission_denied(context) -> Response:
    """Stripe's 403 wording: publishable keys are told to use a secret key; restricted keys
    which permission the endpoint needs (the API's exception handler answers with this)."""
    request = context.get("request")
    api_key = getattr(request, "auth", None)
    if api_key is None or api_key.kind == ApiKeyKind.SECRET:
        return error_response(
            status=403, type="invalid_request_error", message=NO_PERMISSION_MESSAGE
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
