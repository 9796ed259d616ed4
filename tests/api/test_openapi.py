"""The OpenAPI document says exactly what the URLconf serves."""

import pytest
from django.test import Client

from apps.core.api.views import ApiView
from apps.core.models import ApiRequestLog
from tests.api.routes import v1_routes

BOTH_AUTH = [{"BearerAuth": []}, {"BasicAuth": []}]


@pytest.fixture(scope="module")
def document(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = Client().get("/v1/openapi.json")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_served_without_a_key_and_writes_nothing(db):
    response = Client().get("/v1/openapi.json")
    assert response.status_code == 200
    assert response["Request-Id"].startswith("req_")
    assert ApiRequestLog.objects.count() == 0


def test_paths_and_methods_equal_the_urlconf(document):
    served = {route.openapi_path: set(route.methods) for route in v1_routes()}
    documented = {path: set(item) for path, item in document["paths"].items()}
    assert documented == served


def test_operation_ids_are_unique(document):
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))
    assert all(ids)


def test_every_operation_takes_a_key_by_bearer_or_basic(document):
    for path, method, operation in _operations(document):
        assert operation["security"] == BOTH_AUTH, (path, method)
    assert document["components"]["securitySchemes"] == {
        "BearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "A secret (sk_…) or restricted (rk_…) key as the bearer token.",
        },
        "BasicAuth": {
            "type": "http",
            "scheme": "basic",
            "description": "The key as user name and an empty password.",
        },
    }


def test_headers_stripe_conventions_add(document):
    for path, method, operation in _operations(document):
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        expected = {"Stripe-Version", "Idempotency-Key"} if method == "post" else {"Stripe-Version"}
        assert headers == expected, (path, method)


def test_base_view_docstring_does_not_leak_into_descriptions(document):
    base_doc = ApiView.__doc__.split("\n")[0]
    for path, method, operation in _operations(document):
        assert base_doc not in operation.get("description", ""), (path, method)


def test_every_operation_documents_its_success_body_as_a_component(document):
    schemas = document["components"]["schemas"]
    for path, method, operation in _operations(document):
        ok = [status for status in operation["responses"] if status.startswith("2")]
        assert ok, (path, method)
        for status in ok:
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            name = schema["$ref"].removeprefix("#/components/schemas/")
            assert name in schemas, (path, method, name)


def test_event_and_event_list_components(document):
    schemas = document["components"]["schemas"]
    assert set(schemas["Event"]["properties"]) == {
        "id",
        "object",
        "api_version",
        "created",
        "data",
        "livemode",
        "pending_webhooks",
        "request",
        "type",
    }
    event_list = schemas["EventList"]["properties"]
    assert set(event_list) == {"object", "data", "has_more", "url"}
    assert event_list["data"] == {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}
    assert document["paths"]["/v1/events"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"] == {"$ref": "#/components/schemas/EventList"}


def test_every_operation_documents_the_stripe_error_object(document):
    error = {"$ref": "#/components/schemas/Error"}
    for path, method, operation in _operations(document):
        for status in ("400", "401", "402", "403", "404", "409", "413", "429"):
            content = operation["responses"][status]["content"]
            assert content == {"application/json": {"schema": error}}, (path, method, status)
    assert document["components"]["schemas"]["Error"]["required"] == ["error"]


def test_every_path_parameter_has_an_id_shaped_example(document):
    examples = {}
    for path, _, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                examples[path, parameter["name"]] = parameter["example"]
    assert examples["/v1/customers/{customer}", "customer"] == "cus_0mx9h9o0200003zg4zb6byhy"
    assert examples["/v1/products/{id}", "id"] == "prod_0mx9h9o0200003zg4zb6byhy"
    assert examples["/v1/customers/{customer}/tax_ids/{id}", "id"] == (
        "txi_0mx9h9o0200003zg4zb6byhy"
    )
    assert all(examples.values())


def _links(document: dict, path: str) -> dict:
    return document["paths"][path]["post"]["responses"]["200"]["links"]


def test_creating_links_to_the_operations_on_the_created_object(document):
    links = _links(document, "/v1/customers")
    assert links["GetCustomersCustomer"] == {
        "operationId": "GetCustomersCustomer",
        "parameters": {"customer": "$response.body#/id"},
    }
    assert {"DeleteCustomersCustomer", "PostCustomersCustomerNotes"} <= set(links)
    # An operation that needs a second object is not reachable from the customer alone.
    assert "GetCustomersCustomerNotesNote" not in links


def test_nested_creates_link_with_the_parent_from_the_request(document):
    links = _links(document, "/v1/customers/{customer}/notes")
    assert set(links) == {
        "GetCustomersCustomerNotesNote",
        "PostCustomersCustomerNotesNote",
        "DeleteCustomersCustomerNotesNote",
    }
    assert links["GetCustomersCustomerNotesNote"]["parameters"] == {
        "customer": "$request.path.customer",
        "note": "$response.body#/id",
    }


def test_a_parameter_of_one_kind_links_across_paths(document):
    links = _links(document, "/v1/payment_intents")
    assert links["PostTestHelpersPaymentIntentsIntentAuthenticate"]["parameters"] == {
        "intent": "$response.body#/id"
    }


def test_every_link_names_an_operation_and_its_path_parameters(document):
    by_id = {op["operationId"]: (path, op) for path, _, op in _operations(document)}
    count = 0
    for _, _, operation in _operations(document):
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                _, target = by_id[link["operationId"]]
                names = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
                assert set(link["parameters"]) == names, link
                count += 1
    assert count > 60
