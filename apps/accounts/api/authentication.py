"""API keys by ``Authorization: Bearer <key>`` or HTTP Basic with the key as user name; a
publishable key also as the ``key`` parameter, as Stripe.js sends it."""

import base64

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated

from apps.accounts.enums import ApiKeyKind
from apps.accounts.selectors import api_key_authenticate

NO_KEY_MESSAGE = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
)


def _masked(token: str) -> str:
    return f"{token[:8]}{'*' * 12}{token[-4:]}" if len(token) > 12 else "****"


def token_from_header(header: str) -> str | None:
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer":
        return value or None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0] or None
    return None


def _key_parameter(request) -> str | None:
    """The ``key`` parameter of the query or the body (Stripe.js sends its publishable key so)."""
    value = request.query_params.get("key")
    if not value and request.method not in ("GET", "HEAD", "DELETE"):
        data = request.data
        value = data.get("key") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return self._by_parameter(request)
        token = token_from_header(header)
        if not token:
            raise AuthenticationFailed(
                "Invalid API Key provided: the Authorization header must be 'Bearer <key>' or "
                "HTTP Basic with the key as user name."
            )
        api_key = api_key_authenticate(token=token)
        if api_key is None:
            raise AuthenticationFailed(f"Invalid API Key provided: {_masked(token)}")
        return (None, api_key)

    @staticmethod
    def _by_parameter(request):
        token = _key_parameter(request)
        if token is None:
            raise NotAuthenticated(NO_KEY_MESSAGE)
        api_key = api_key_authenticate(token=token)
        if api_key is None:
            raise AuthenticationFailed(f"Invalid API Key provided: {_masked(token)}")
        if api_key.kind != ApiKeyKind.PUBLISHABLE:
            # A secret key in a URL or a form ends up in logs: only the header carries one.
            raise AuthenticationFailed(
                "Only a publishable key may be sent as the key parameter; send secret and "
                "restricted keys in the Authorization header."
            )
        return (None, api_key)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="Ledgerline"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """The OpenAPI document's security schemes (registered with drf-spectacular on import,
    which the REST framework settings do whenever the API is loaded)."""

    target_class = ApiKeyAuthentication
    name = ["BearerAuth", "BasicAuth"]
    priority = 1

    def get_security_requirement(self, auto_schema) -> list[dict]:
        # Either scheme on its own is enough (OR), not both together.
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema) -> list[dict]:
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "A secret (sk_…) or restricted (rk_…) key as the bearer token.",
            },
            {
                "type": "http",
                "scheme": "basic",
                "description": "The key as user name and an empty password.",
            },
        ]
