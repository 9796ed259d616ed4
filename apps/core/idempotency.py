"""Idempotent POSTs: the first request with a key runs, later ones get its stored response.

The key row is inserted (and committed) before the handler runs, so the unique constraint on
(account, key) decides which of two concurrent duplicates executes; the other waits for the
stored response and answers 409 if it does not come in time. No second write can happen.
"""

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from apps.core import clock
from apps.core.errors import ApplicationError, IdempotencyError, InvalidRequestError
from apps.core.models import IdempotencyKey

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str
    request_id: str


def request_fingerprint(*, method: str, path: str, params: dict[str, Any]) -> str:
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def idempotency_begin(
    *, account: Any, key: str, fingerprint: str, method: str, path: str, request_id: str
) -> IdempotencyKey | StoredResponse:
    """Claim ``key`` for this request, or return the response stored under it."""
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidRequestError(
            f"Idempotency keys can be at most {MAX_KEY_LENGTH} characters long.",
            param="Idempotency-Key",
        )
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    while True:
        now = clock.now()
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    account=account,
                    key=key,
                    request_fingerprint=fingerprint,
                    method=method,
                    # Informational; the fingerprint covers the full path.
                    path=path[:255],
                    created_at=now,
                    locked_at=now,
                    request_id=request_id,
                )
        except IntegrityError:
            pass
        row = IdempotencyKey.objects.filter(account=account, key=key).first()
        if row is None:
            continue
        if row.created_at < now - settings.IDEMPOTENCY_KEY_TTL:
            IdempotencyKey.objects.filter(pk=row.pk, created_at=row.created_at).delete()
            continue
        if row.request_fingerprint != fingerprint:
            raise IdempotencyError(
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request."
            )
        if row.response_status is not None:
            return StoredResponse(
                status=row.response_status, body=row.response_body or "", request_id=row.request_id
            )
        stale_before = now - settings.IDEMPOTENCY_LOCK_TIMEOUT
        if row.locked_at is not None and row.locked_at < stale_before:
            # The first request's process died mid-way: this one takes over the key.
            taken = IdempotencyKey.objects.filter(pk=row.pk, locked_at=row.locked_at).update(
                locked_at=now, request_id=request_id
            )
            if taken:
                row.locked_at, row.request_id = now, request_id
                return row
        if time.monotonic() >= deadline:
            raise ApplicationError(
                "There is currently another in-progress request using this Stripe-compatible "
                "idempotent key (that probably means you submitted twice, and the other request "
                "is still going through). Please retry this request later.",
                code="idempotency_key_in_use",
                http_status=409,
            )
        time.sleep(0.05)


def idempotency_finish(*, row: IdempotencyKey, status: int, body: str) -> None:
    IdempotencyKey.objects.filter(pk=row.pk).update(
        response_status=status, response_body=body, locked_at=None
    )


def idempotency_release(*, row: IdempotencyKey) -> None:
    """Forget a claim whose request produced nothing worth replaying (a 409)."""
    IdempotencyKey.objects.filter(pk=row.pk, response_status__isnull=True).delete()


def idempotency_keys_prune(*, older_than: timedelta | None = None) -> int:
    cutoff = clock.now() - (older_than or settings.IDEMPOTENCY_KEY_TTL)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
