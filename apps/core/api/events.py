from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from apps.core.api.pagination import created_filter, paginate
from apps.core.api.params import get_bool, get_list, get_str, reject_unknown
from apps.core.api.schema import list_object
from apps.core.api.views import ApiView
from apps.core.errors import ResourceMissingError
from apps.core.events import event_render
from apps.core.selectors import event_get, event_list

LIST_PARAMS = {
    "type",
    "types",
    "created",
    "limit",
    "starting_after",
    "ending_before",
    "delivery_success",
}


class EventRequestSchema(serializers.Serializer):
    id = serializers.CharField(allow_null=True)
    idempotency_key = serializers.CharField(allow_null=True)


class EventDataSchema(serializers.Serializer):
    object = serializers.DictField(help_text="The object as it was after the change.")
    previous_attributes = serializers.DictField(
        required=False, help_text="Changed fields with their values before (*.updated)."
    )


class EventSchema(serializers.Serializer):
    """The wire shape ``event_render`` produces (documentation only)."""

    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["event"])
    api_version = serializers.CharField()
    created = serializers.IntegerField(help_text="Unix epoch seconds.")
    data = EventDataSchema()
    livemode = serializers.BooleanField()
    pending_webhooks = serializers.IntegerField()
    request = EventRequestSchema()
    type = serializers.CharField()

    class Meta:
        ref_name = "Event"


class EventListApi(ApiView):
    resource = "events"

    @extend_schema(
        operation_id="GetEvents",
        summary="List events",
        responses={200: list_object("EventList", EventSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, LIST_PARAMS)
        single = get_str(self.params, "type", max_length=100)
        types = [single] if single else [str(t) for t in get_list(self.params, "types")]
        events = event_list(
            account=self.account,
            types=types,
            delivery_success=get_bool(self.params, "delivery_success"),
        )
        events = created_filter(events, self.params)
        return self.respond(paginate(events, self.params, url="/v1/events", render=event_render))


class EventDetailApi(ApiView):
    resource = "events"

    @extend_schema(
        operation_id="GetEventsId", summary="Retrieve an event", responses={200: EventSchema}
    )
    def get(self, request, event_id: str):
        reject_unknown(self.params, set())
        event = event_get(account=self.account, event_id=event_id)
        if event is None:
            raise ResourceMissingError("event", event_id)
        return self.respond(event_render(event))
