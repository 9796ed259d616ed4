"""Where customers reach this installation: the origin of hosted invoice pages, PDFs and the
links in emails.

``PUBLIC_URL`` wins when it is set (a deployment behind a proxy names its public address).
Without it, links made while answering a request use that request's scheme and host, so they
open wherever the server runs; work done outside a request (a worker's emails and webhooks)
uses ``PUBLIC_URL_FALLBACK`` (``runstack`` sets ``PUBLIC_URL`` for its worker and beat to the
address it serves, so this is only reached by a worker started by hand).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest

# The request being answered in this thread (set by PublicOriginMiddleware), read lazily so a
# request that never builds a link never looks at its host.
_current_request: ContextVar[HttpRequest | None] = ContextVar("public_url_request", default=None)


@contextmanager
def request_origin_bound(request: HttpRequest) -> Iterator[None]:
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def public_url() -> str:
    """The origin links start with, without a trailing slash (``https://billing.example.com``)."""
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL
    request = _current_request.get()
    if request is not None:
        # Scheme honours SECURE_PROXY_SSL_HEADER; the host was checked against ALLOWED_HOSTS.
        return request.build_absolute_uri("/").rstrip("/")
    return settings.PUBLIC_URL_FALLBACK
