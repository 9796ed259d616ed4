from drf_spectacular.utils import extend_schema

from apps.core.api.pagination import created_filter, paginate
from apps.core.api.params import get_list, get_str, reject_unknown
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


class EventListApi(ApiView):
    resource = "events"

    @extend_schema(operation_id="GetEvents", summary="List events", responses={200: dict})
    def get(self, request):
        reject_unknown(self.params, LIST_PARAMS)
        single = get_str(self.params, "type", max_length=100)
        types = [single] if single else [str(t) for t in get_list(self.params, "types")]
        events = created_filter(event_list(account=self.account, types=types), self.params)
        return self.respond(paginate(events, self.params, url="/v1/events", render=event_render))


class EventDetailApi(ApiView):
    resource = "events"

    @extend_schema(operation_id="GetEventsId", summary="Retrieve an event", responses={200: dict})
    def get(self, request, event_id: str):
        reject_unknown(self.params, set())
        event = event_get(account=self.account, event_id=event_id)
        if event is None:
            raise ResourceMissingError("event", event_id)
        return self.respond(event_render(event))
