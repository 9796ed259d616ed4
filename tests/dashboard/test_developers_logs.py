import json

from django.test import Client
from django.urls import reverse

from apps.accounts.dashboard.badges import badge_html
from apps.core.models import ApiRequestLog
from apps.dashboard.templatetags.dashboard_json import json_pretty
from tests.dashboard.conftest import staff_login

LIST_URL = reverse("admin:core_apirequestlog_changelist")


def _api_get(token: str, path: str) -> str:
    """Call the API with a key the way an integration does; returns the request id."""
    response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    return response["Request-Id"]


def _listed(client: Client, **params) -> list[str]:
    response = client.get(LIST_URL, params)
    assert response.status_code == 200
    return [row.pk for row in response.context["cl"].result_list]


def test_logs_list_shows_requests_made_with_a_key(staff_client, acme):
    # given
    ok_id = _api_get(acme.secret_key, "/v1/events?limit=2")
    missing_id = _api_get(acme.secret_key, "/v1/events/evt_missing")

    # when
    response = staff_client.get(LIST_URL)

    # then
    page = response.content.decode()
    assert [row.pk for row in response.context["cl"].result_list] == [missing_id, ok_id]
    assert "/v1/events/evt_missing" in page
    assert f"sk_test_…{acme.secret_key[-4:]}" in page
    assert acme.secret_key not in page
    assert _listed(staff_client, status_class="2xx") == [ok_id]
    assert _listed(staff_client, status_class="4xx") == [missing_id]
    assert _listed(staff_client, status_class="5xx") == []
    assert _listed(staff_client, method="GET") == [missing_id, ok_id]
    assert _listed(staff_client, method="POST") == []
    assert _listed(staff_client, q=ok_id) == [ok_id]
    assert _listed(staff_client, q="evt_missing") == [missing_id]


def test_logs_list_does_not_count_the_table(staff_client, acme):
    _api_get(acme.secret_key, "/v1/events")

    response = staff_client.get(LIST_URL)

    model_admin = response.context["cl"].model_admin
    assert model_admin.show_full_result_count is False
    assert response.context["cl"].paginator.__class__.__name__ == "InfinitePaginator"
    assert set(response.context["cl"].queryset.query.order_by) == {"-id"}


def test_log_detail_shows_params_and_response_as_json(staff_client, acme):
    # given
    request_id = _api_get(acme.secret_key, "/v1/events?limit=2&type=customer.created")
    log = ApiRequestLog.objects.get(pk=request_id)

    # when
    response = staff_client.get(reverse("admin:core_apirequestlog_change", args=[request_id]))

    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert log.request_params == {"limit": "2", "type": "customer.created"}
    pretty_params = json_pretty(log.request_params)
    assert json.loads(pretty_params) == {"limit": "2", "type": "customer.created"}
    assert pretty_params.startswith('{\n  "')
    assert pretty_params.replace('"', "&quot;") in page
    assert badge_html("2xx", "200") in page
    assert "bg-green-100" in badge_html("2xx", "200")
    pretty_body = json_pretty(log.response_body)
    assert pretty_body.startswith('{\n  "object": "list",\n')
    assert pretty_body.replace('"', "&quot;") in page


def test_logs_are_scoped_to_the_current_account(staff_client, acme, globex):
    # given
    own_id = _api_get(acme.secret_key, "/v1/events")
    foreign_id = _api_get(globex.secret_key, "/v1/events")
    globex_member = staff_login(Client(), account=globex.account)

    # when
    listed = _listed(staff_client)
    searched = _listed(staff_client, q=foreign_id)
    detail = staff_client.get(reverse("admin:core_apirequestlog_change", args=[foreign_id]))

    # then
    assert listed == [own_id]
    assert searched == []
    assert detail.status_code == 302
    assert detail["Location"] == reverse("admin:index")
    assert _listed(globex_member) == [foreign_id]
