"""Plain Django views of the core: health and the JSON answer for unknown API URLs."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from apps.core.api.exceptions import error_body
from config import celery as celery_config


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, connection.vendor
    except Exception as exc:  # noqa: BLE001 - any failure means "down", reported as text
        return False, f"{type(exc).__name__}: {exc}"


def _broker_ok() -> tuple[bool, str]:
    try:
        with celery_config.app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
        return True, str(transport)
    except Exception as exc:  # noqa: BLE001
        return False, f"{type(exc).__name__}: {exc}"


def healthz(request):
    db_ok, db_detail = _database_ok()
    broker_ok, broker_detail = _broker_ok()
    healthy = db_ok and broker_ok
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": {"ok": db_ok, "detail": db_detail},
            "broker": {
                "ok": broker_ok,
                "detail": broker_detail,
                "eager": settings.CELERY_TASK_ALWAYS_EAGER,
            },
        },
        status=200 if healthy else 503,
    )


@csrf_exempt
def api_unrecognized(request, rest: str = ""):
    return JsonResponse(
        error_body(
            type="invalid_request_error",
            message=f"Unrecognized request URL ({request.method}: {request.path}).",
        ),
        status=404,
    )
