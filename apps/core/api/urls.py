from django.urls import path

from apps.core.api.events import EventDetailApi, EventListApi

urlpatterns = [
    path("events", EventListApi.as_view(), name="event-list"),
    path("events/<str:event_id>", EventDetailApi.as_view(), name="event-detail"),
]
