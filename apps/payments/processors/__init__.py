"""Payment processors: the gateway a charge is authorized, captured and refunded through.

A processor implements ``Processor`` (``base.py``). The built-in ``TestProcessor`` acts out the
behaviour of Stripe's test cards; a real gateway is a class with the same four methods, named in
``settings.PAYMENT_PROCESSORS`` by account mode (``{"test": "...TestProcessor", "live": "..."}``).

Adding a gateway:
1. Write a class with ``authorize``, ``setup``, ``capture`` and ``refund`` that talk to the
   gateway and pass the idempotency key through (``charge:<id>``, ``setup:<id>:…``,
   ``capture:<id>``, ``refund:<id>``), so a call repeated after a crash is not a second payment.
2. Map the gateway's answers to ``Result`` (status, codes, the gateway's reference).
3. Name it in ``PAYMENT_PROCESSORS["live"]``.

Services never call a processor inside a database transaction: they write the pending row, call
the processor, then record the result in a second transaction.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from apps.core.errors import ApplicationError
from apps.payments.processors.base import Processor, Result

DEFAULT_PROCESSORS = {"test": "apps.payments.processors.test.TestProcessor"}
_instances: dict[str, Processor] = {}


def processor_for(account) -> Processor:
    mode = "live" if account.livemode else "test"
    path = {**DEFAULT_PROCESSORS, **getattr(settings, "PAYMENT_PROCESSORS", {})}.get(mode)
    if path is None:
        raise ApplicationError(
            "No payment processor is configured for live mode (PAYMENT_PROCESSORS['live']).",
            code="processor_unavailable",
            http_status=503,
        )
    if path not in _instances:
        _instances[path] = import_string(path)()
    return _instances[path]


__all__ = ["Processor", "Result", "processor_for"]
