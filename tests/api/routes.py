"""The /v1 routes as the URLconf defines them, for tests that must cover every endpoint."""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.views import SpectacularAPIView
from rest_framework.views import APIView

HANDLER_METHODS = ("get", "post", "delete", "put", "patch")


@dataclass(frozen=True)
class Route:
    name: str
    route: str  # "/v1/events/<str:event_id>"
    view_class: type[APIView]
    params: tuple[str, ...]

    @property
    def methods(self) -> frozenset[str]:
        return frozenset(m for m in HANDLER_METHODS if hasattr(self.view_class, m))

    @property
    def openapi_path(self) -> str:
        path = self.route
        for param in self.params:
            start = path.index("<")
            end = path.index(">", start)
            path = f"{path[:start]}{{{param}}}{path[end + 1 :]}"
        return path


def _flatten(patterns, prefix: str):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _flatten(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def v1_routes(urlconf: str = "config.urls") -> list[Route]:
    """Every DRF endpoint mounted under ``/v1/`` (the OpenAPI document itself excepted)."""
    resolver = get_resolver(urlconf)
    v1 = [
        e for e in resolver.url_patterns if isinstance(e, URLResolver) and str(e.pattern) == "v1/"
    ]
    assert len(v1) == 1, "config.urls must mount the API under one 'v1/' include"
    routes = []
    for route, pattern in _flatten(v1[0].url_patterns, "/v1/"):
        view_class = getattr(pattern.callback, "cls", None)
        assert isinstance(view_class, type), f"{route} is not a class-based view"
        assert issubclass(view_class, APIView), f"{route} is not a DRF view"
        if issubclass(view_class, SpectacularAPIView):
            continue
        assert pattern.name, f"{route} has no URL name"
        routes.append(
            Route(
                name=pattern.name,
                route=route,
                view_class=view_class,
                params=tuple(pattern.pattern.regex.groupindex),
            )
        )
    return routes
