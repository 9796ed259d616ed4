from django.db.models import Q, QuerySet

from apps.core.models import ApiRequestLog, Event


def event_get(*, account, event_id: str) -> Event | None:
    return Event.objects.filter(account=account, pk=event_id).first()


def event_list(
    *, account, types: list[str] | None = None, delivery_success: bool | None = None
) -> QuerySet[Event]:
    """Events of an account, optionally of some types (``customer.*`` matches a family) and by
    whether every webhook delivery has succeeded (``pending_webhooks`` is 0)."""
    events = Event.objects.filter(account=account)
    if delivery_success is not None:
        events = (
            events.filter(pending_webhooks=0)
            if delivery_success
            else events.filter(pending_webhooks__gt=0)
        )
    if types:
        exact = [t for t in types if not t.endswith("*")]
        families = [t[:-1] for t in types if t.endswith("*")]
        condition = Q(type__in=exact)
        for family in families:
            condition |= Q(type__startswith=family)
        events = events.filter(condition)
    return events


def event_list_for_object(*, account, object_id: str) -> QuerySet[Event]:
    return Event.objects.filter(account=account, object_id=object_id).order_by("-id")


def request_log_list(*, account) -> QuerySet[ApiRequestLog]:
    return ApiRequestLog.objects.filter(account=account)


def request_log_get(*, account, request_id: str) -> ApiRequestLog | None:
    return ApiRequestLog.objects.filter(account=account, pk=request_id).first()
