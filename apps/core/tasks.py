from celery import shared_task

from apps.core.idempotency import idempotency_keys_prune


@shared_task(name="core.idempotency_keys_prune")
def idempotency_keys_prune_task() -> int:
    """Forget stored idempotent responses older than IDEMPOTENCY_KEY_TTL (24 h); run by beat."""
    return idempotency_keys_prune()
