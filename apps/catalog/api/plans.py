"""``/v1/plans``: Stripe's older name for recurring prices, the same objects under the same ids."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from apps.catalog.api.common import DELETED, LIST_PARAMS, PARAMS, CatalogApi
from apps.catalog.models import Price
from apps.catalog.plan_params import (
    PLAN_CREATE_PARAMS,
    PLAN_UPDATE_PARAMS,
    new_plan_parse,
    plan_changes_parse,
)
from apps.catalog.render import plan_render
from apps.catalog.selectors import plan_list
from apps.catalog.services import plan_create, plan_delete, plan_update
from apps.core.api.pagination import created_filter, equal_filters, paginate
from apps.core.api.params import get_bool, reject_unknown
from apps.core.api.schema import list_object, object_schema
from apps.core.errors import ResourceMissingError

PlanSchema = object_schema(
    "Plan",
    "plan",
    amount=serializers.IntegerField(allow_null=True),
    currency=serializers.CharField(),
    interval=serializers.CharField(),
    interval_count=serializers.IntegerField(),
    product=serializers.CharField(),
)


class PlanListApi(CatalogApi):
    @extend_schema(
        operation_id="GetPlans",
        summary="List plans",
        responses={200: list_object("PlanList", PlanSchema)},
    )
    def get(self, request):
        reject_unknown(self.params, LIST_PARAMS | {"active", "product"})
        rows = equal_filters(
            created_filter(plan_list(account=self.account), self.params),
            self.params,
            {"product": "product_id"},
        )
        active = get_bool(self.params, "active")
        if active is not None:
            rows = rows.filter(active=active)
        return self.respond(paginate(rows, self.params, url="/v1/plans", render=plan_render))

    @extend_schema(
        operation_id="PostPlans",
        summary="Create a plan (a recurring price)",
        request=PARAMS,
        responses={200: PlanSchema},
    )
    def post(self, request):
        reject_unknown(self.params, PLAN_CREATE_PARAMS)
        row = plan_create(account=self.account, plan=new_plan_parse(self.params), actor=self.actor)
        return self.respond(plan_render(row))


class PlanDetailApi(CatalogApi):
    def _plan(self, plan_id: str) -> Price:
        plan = plan_list(account=self.account).filter(id=plan_id).first()
        if plan is None:
            raise ResourceMissingError("plan", plan_id)
        return plan

    @extend_schema(
        operation_id="GetPlansPlan", summary="Retrieve a plan", responses={200: PlanSchema}
    )
    def get(self, request, plan: str):
        reject_unknown(self.params, set())
        return self.respond(plan_render(self._plan(plan)))

    @extend_schema(
        operation_id="PostPlansPlan",
        summary="Update a plan (amounts never change)",
        request=PARAMS,
        responses={200: PlanSchema},
    )
    def post(self, request, plan: str):
        reject_unknown(self.params, PLAN_UPDATE_PARAMS)
        row = plan_update(
            account=self.account,
            plan_id=self._plan(plan).id,
            changes=plan_changes_parse(self.params),
            actor=self.actor,
        )
        return self.respond(plan_render(row))

    @extend_schema(
        operation_id="DeletePlansPlan",
        summary="Delete a plan: no new subscriptions to it, existing ones unaffected",
        responses={200: DELETED},
    )
    def delete(self, request, plan: str):
        reject_unknown(self.params, set())
        plan_id = plan_delete(account=self.account, plan_id=self._plan(plan).id, actor=self.actor)
        return self.respond({"id": plan_id, "object": "plan", "deleted": True})
