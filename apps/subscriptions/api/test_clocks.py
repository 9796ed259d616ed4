"""``/v1/test_helpers/test_clocks``: create, retrieve, list, advance, delete."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from apps.accounts.models import TestClock
from apps.core.api.pagination import paginate
from apps.core.api.params import get_str, get_timestamp, reject_unknown
from apps.core.api.schema import list_object, object_schema
from apps.core.api.views import ApiView
from apps.core.errors import ResourceMissingError
from apps.subscriptions.services.test_clocks import (
    test_clock_advance,
    test_clock_create,
    test_clock_delete,
    test_clock_render,
)

TestClockSchema = object_schema(
    "TestClock",
    "test_helpers.test_clock",
    frozen_time=serializers.IntegerField(),
    status=serializers.CharField(),
)
FROZEN = inline_serializer(
    name="TestClockParams",
    fields={
        "frozen_time": serializers.IntegerField(),
        "name": serializers.CharField(required=False),
    },
)
DELETED = inline_serializer(
    name="DeletedTestClock",
    fields={
        "id": serializers.CharField(),
        "object": serializers.CharField(),
        "deleted": serializers.BooleanField(),
    },
)


class _ClockApi(ApiView):
    resource = "test_clocks"

    def _clock(self, clock_id: str) -> TestClock:
        row = TestClock.objects.filter(account=self.account, id=clock_id).first()
        if row is None:
            raise ResourceMissingError("test_clock", clock_id)
        return row


class TestClockListApi(_ClockApi):
    __test__ = False

    @extend_schema(
        operation_id="GetTestHelpersTestClocks",
        summary="List test clocks",
        responses={200: list_object("TestClockList", TestClockSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, {"limit", "starting_after", "ending_before"})
        rows = TestClock.objects.filter(account=self.account)
        return self.respond(
            paginate(
                rows, self.params, url="/v1/test_helpers/test_clocks", render=test_clock_render
            )
        )

    @extend_schema(
        operation_id="PostTestHelpersTestClocks",
        summary="Create a test clock",
        request=FROZEN,
        responses={200: TestClockSchema},
    )
    def post(self, request):
        reject_unknown(self.params, {"frozen_time", "name"})
        row = test_clock_create(
            account=self.account,
            frozen_time=get_timestamp(self.params, "frozen_time", required=True),
            name=get_str(self.params, "name", max_length=300) or "",
            actor=self.actor,
        )
        return self.respond(test_clock_render(row))


class TestClockDetailApi(_ClockApi):
    __test__ = False

    @extend_schema(
        operation_id="GetTestHelpersTestClocksTestClock",
        summary="Retrieve a test clock",
        responses={200: TestClockSchema},
    )
    def get(self, request, test_clock: str):
        reject_unknown(self.params, set())
        return self.respond(test_clock_render(self._clock(test_clock)))

    @extend_schema(
        operation_id="DeleteTestHelpersTestClocksTestClock",
        summary="Delete a test clock",
        responses={200: DELETED},
    )
    def delete(self, request, test_clock: str):
        reject_unknown(self.params, set())
        test_clock_delete(
            account=self.account, clock_id=self._clock(test_clock).id, actor=self.actor
        )
        return self.respond(
            {"id": test_clock, "object": "test_helpers.test_clock", "deleted": True}
        )


class TestClockAdvanceApi(_ClockApi):
    __test__ = False

    @extend_schema(
        operation_id="PostTestHelpersTestClocksTestClockAdvance",
        summary="Advance a test clock (runs what would have happened, in order)",
        request=FROZEN,
        responses={200: TestClockSchema},
    )
    def post(self, request, test_clock: str):
        reject_unknown(self.params, {"frozen_time"})
        row = test_clock_advance(
            account=self.account,
            clock_id=self._clock(test_clock).id,
            frozen_time=get_timestamp(self.params, "frozen_time", required=True),
            actor=self.actor,
        )
        return self.respond(test_clock_render(row))
