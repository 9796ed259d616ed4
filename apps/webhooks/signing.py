"""Stripe's webhook signature scheme (pure: no Django, no I/O).

``Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``, so a
receiver verifies Ledgerline's deliveries with ``stripe.Webhook.construct_event``.
"""

import hashlib
import hmac

from apps.core.ids import new_secret

SECRET_PREFIX = "whsec_"


def secret_generate() -> str:
    return SECRET_PREFIX + new_secret(32)


def signature_compute(*, payload: str | bytes, secret: str, timestamp: int) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>.<payload>"`` keyed with the whole ``whsec_…`` secret."""
    body = payload if isinstance(payload, bytes) else payload.encode("utf-8")
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(*, payload: str | bytes, secret: str, timestamp: int) -> str:
    signature = signature_compute(payload=payload, secret=secret, timestamp=timestamp)
    return f"t={timestamp},v1={signature}"


def signature_verify(
    *, payload: str | bytes, header: str, secret: str, now: int, tolerance: int | None = 300
) -> bool:
    """What a receiver checks: one ``v1`` matches and ``t`` is not older than ``tolerance``."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    expected = signature_compute(payload=payload, secret=secret, timestamp=timestamp)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        return False
    return tolerance is None or timestamp >= now - tolerance
