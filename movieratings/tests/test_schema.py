"""The OpenAPI schema the server generates: valid, and true to the contract."""

from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}
ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = APIClient().get(reverse("schema"), {"format": "json"})
    assert response.status_code == HTTPStatus.OK
    return response.json()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _properties(schema: dict[str, Any], component: str) -> set[str]:
    return set(schema["components"]["schemas"][component]["properties"])


def test_schema_endpoint_serves_openapi_3(api_client):
    response = api_client.get(reverse("schema"))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert response.content.startswith(b"openapi: 3.")


def test_schema_is_valid_openapi(schema):
    validate_schema(schema)


def test_every_api_operation_documents_401_and_429_in_error_shape(schema):
    api = [op for op in _operations(schema) if op[0].startswith("/api/v1/")]
    assert len(api) >= 14

    for path, method, operation in api:
        for code in ("401", "429"):
            response = operation["responses"].get(code)
            assert response, f"{method.upper()} {path} does not document {code}"
            content = response["content"]["application/json"]["schema"]
            assert content == {"$ref": ERROR_REF}


def test_every_error_response_uses_the_error_shape(schema):
    for path, method, operation in _operations(schema):
        for code, response in operation["responses"].items():
            if int(code) >= HTTPStatus.BAD_REQUEST:
                content = response["content"]["application/json"]["schema"]
                assert content == {"$ref": ERROR_REF}, f"{method} {path} {code}"


def test_error_component_has_exactly_detail_code_fields(schema):
    error = schema["components"]["schemas"]["Error"]

    assert set(error["properties"]) == {"detail", "code", "fields"}
    assert set(error["required"]) == {"detail", "code", "fields"}


def test_probes_document_only_what_they_can_answer(schema):
    for path in ("/healthz/", "/readyz/"):
        codes = set(schema["paths"][path]["get"]["responses"])
        assert "200" in codes
        assert not codes & {"401", "403", "429"}
    assert "503" in schema["paths"]["/readyz/"]["get"]["responses"]


def test_body_operations_document_400_413_415(schema):
    for path, method, operation in _operations(schema):
        if method in {"post", "put", "patch"} and path.startswith("/api/v1/"):
            assert {"400", "413", "415"} <= set(operation["responses"]), path


def test_every_operation_has_summary_and_tag(schema):
    for path, method, operation in _operations(schema):
        assert operation.get("summary"), f"{method.upper()} {path}"
        assert operation.get("tags"), f"{method.upper()} {path}"


def test_every_query_parameter_allows_an_empty_value(schema):
    for path, method, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                assert parameter.get("allowEmptyValue") is True, (
                    f"{method.upper()} {path} ?{parameter['name']}"
                )


# --- the auth and users part of the contract --------------------------------

CONTRACT = [
    ("/api/v1/auth/signup/", "post", "201"),
    ("/api/v1/auth/token/", "post", "200"),
    ("/api/v1/auth/token/refresh/", "post", "200"),
    ("/api/v1/auth/logout/", "post", "204"),
    ("/api/v1/users/", "get", "200"),
    ("/api/v1/users/", "post", "201"),
    ("/api/v1/users/{id}/", "get", "200"),
    ("/api/v1/users/{id}/", "patch", "200"),
    ("/api/v1/users/{id}/", "delete", "204"),
    ("/api/v1/users/me/", "get", "200"),
    ("/api/v1/users/me/", "patch", "200"),
    ("/api/v1/users/me/password/", "post", "204"),
    ("/api/v1/users/me/imports/", "post", "201"),
    ("/api/v1/users/me/export/", "get", "200"),
    ("/api/v1/users/me/watchlist/", "get", "200"),
    ("/api/v1/users/{id}/watchlist/", "get", "200"),
    ("/api/v1/users/me/diary/", "get", "200"),
    ("/api/v1/users/me/diary/", "post", "201"),
    ("/api/v1/users/me/diary/{id}/", "patch", "200"),
    ("/api/v1/users/me/diary/{id}/", "delete", "204"),
    ("/api/v1/users/{id}/diary/", "get", "200"),
    ("/api/v1/users/me/stats/", "get", "200"),
    ("/api/v1/users/{id}/stats/", "get", "200"),
    ("/api/v1/users/me/recommendations/", "get", "200"),
    ("/api/v1/users/{id}/recommendations/", "get", "200"),
]


@pytest.mark.parametrize(("path", "method", "success"), CONTRACT)
def test_contract_operation_is_documented_with_its_success_status(
    schema, path, method, success
):
    operation = schema["paths"][path][method]

    assert success in operation["responses"]


def test_users_and_auth_paths_have_no_undocumented_methods(schema):
    documented = {
        (path, method)
        for path, method, _operation in _operations(schema)
        if path.startswith(("/api/v1/auth/", "/api/v1/users/"))
        and not path.endswith("/ratings/")
    }

    assert documented == {(path, method) for path, method, _success in CONTRACT}


def test_user_components_have_exactly_the_contract_fields(schema):
    private = {
        "id",
        "email",
        "username",
        "first_name",
        "last_name",
        "role",
        "is_active",
        "date_joined",
        "ratings_count",
    }

    assert _properties(schema, "PrivateUser") == private
    assert _properties(schema, "PublicUser") == {
        "id",
        "username",
        "date_joined",
        "ratings_count",
    }
    assert _properties(schema, "Me") == private | {"average_score"}
    assert _properties(schema, "SignupResponse") == {"user", "access", "refresh"}
    assert _properties(schema, "TokenPair") == {"access", "refresh"}


def test_request_bodies_match_the_contract(schema):
    def body(path: str, method: str = "post") -> set[str]:
        content = schema["paths"][path][method]["requestBody"]["content"]
        ref = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        return _properties(schema, ref)

    assert body("/api/v1/auth/signup/") == {"email", "username", "password"}
    assert body("/api/v1/auth/token/") == {"email", "password"}
    assert body("/api/v1/auth/token/refresh/") == {"refresh"}
    assert body("/api/v1/auth/logout/") == {"refresh"}
    assert body("/api/v1/users/") == {"email", "username", "password", "role"}
    assert body("/api/v1/users/me/password/") == {"old_password", "new_password"}


def test_only_json_request_bodies_are_documented(schema):
    # The one exception: a history import uploads its file as multipart.
    uploads = {("/api/v1/users/me/imports/", "post"): {"multipart/form-data"}}
    for path, method, operation in _operations(schema):
        if "requestBody" in operation:
            expected = uploads.get((path, method), {"application/json"})
            assert set(operation["requestBody"]["content"]) == expected, (
                f"{method.upper()} {path}"
            )


def test_users_list_documents_its_filters_and_pagination(schema):
    parameters = {
        parameter["name"]: parameter
        for parameter in schema["paths"]["/api/v1/users/"]["get"]["parameters"]
    }

    assert set(parameters) == {"page", "page_size", "role", "search"}
    assert parameters["role"]["schema"]["enum"] == ["admin", "basic"]
    assert parameters["search"]["description"]
    for name in ("page", "page_size"):
        assert parameters[name]["schema"] == {"type": "integer", "minimum": 1}


def test_signup_and_token_need_no_authentication_but_users_do(schema):
    paths = schema["paths"]

    for path in ("/api/v1/auth/signup/", "/api/v1/auth/token/"):
        assert paths[path]["post"]["security"] == []
    assert {} not in paths["/api/v1/users/me/"]["get"]["security"]
    scheme = schema["components"]["securitySchemes"]["jwtAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


# --- the documentation pages ------------------------------------------------


@pytest.mark.parametrize("page", ["docs", "redoc"])
def test_documentation_page_is_served(api_client, page):
    response = api_client.get(reverse(page))

    assert response.status_code == HTTPStatus.OK
    assert b"/static/drf_spectacular_sidecar/" in response.content
