"""Stripe names a nested parameter by its full path (``tiers[1][up_to]``); the generic readers
in apps.core.api.params know only the leaf name, so nested reads run inside ``within``."""

from collections.abc import Iterator
from contextlib import contextmanager

from apps.core.errors import InvalidRequestError


def nested(prefix: str, param: str) -> str:
    """``param`` (``up_to``, ``tiers[0][up_to]``) under ``prefix`` (``currency_options[eur]``)."""
    if not prefix:
        return param
    head, bracket, rest = param.partition("[")
    return f"{prefix}[{head}]{bracket}{rest}"


@contextmanager
def within(prefix: str) -> Iterator[None]:
    """Errors raised inside name their parameter under ``prefix``."""
    try:
        yield
    except InvalidRequestError as exc:
        if prefix and exc.param and not exc.param.startswith(prefix):
            exc.param = nested(prefix, exc.param)
        raise
