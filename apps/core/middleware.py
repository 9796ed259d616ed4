from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.core.ids import new_id
from apps.core.public_url import request_origin_bound


class RequestIdMiddleware:
    """Gives every request a ``req_…`` id and answers it in the ``Request-Id`` header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = new_id("req")
        response = self.get_response(request)
        response["Request-Id"] = request.request_id
        return response


class PublicOriginMiddleware:
    """Links built while answering a request (hosted invoice URLs in API objects, dashboard
    links, emails sent inline) start with the request's own origin when ``PUBLIC_URL`` is not
    set (``apps.core.public_url``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_origin_bound(request):
            return self.get_response(request)
