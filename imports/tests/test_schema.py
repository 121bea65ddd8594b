"""The schema of the import and export: an upload Swagger UI can send."""

from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

IMPORTS = "/api/v1/users/me/imports/"
EXPORT = "/api/v1/users/me/export/"


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = APIClient().get(reverse("schema"), {"format": "json"})
    assert response.status_code == HTTPStatus.OK
    return response.json()


def _component(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_import_request_is_a_multipart_file_upload(schema):
    body = schema["paths"][IMPORTS]["post"]["requestBody"]

    assert list(body["content"]) == ["multipart/form-data"]
    form = _component(schema, body["content"]["multipart/form-data"]["schema"]["$ref"])
    assert form["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": form["properties"]["file"]["description"],
    }
    assert form["properties"]["dry_run"]["type"] == "boolean"
    assert form["properties"]["dry_run"]["default"] is False
    assert form["required"] == ["file"]


def test_import_documents_its_report_and_every_error(schema):
    responses = schema["paths"][IMPORTS]["post"]["responses"]

    assert {"200", "201", "400", "401", "413", "415", "429"} <= set(responses)
    report = _component(
        schema, responses["201"]["content"]["application/json"]["schema"]["$ref"]
    )
    assert set(report["properties"]) == {
        "format",
        "rows",
        "created",
        "updated",
        "unchanged",
        "watchlisted",
        "diary_entries",
        "unmatched",
        "ambiguous",
    }
    assert "multipart/form-data" in responses["415"]["description"]


def test_export_documents_both_content_types_and_its_format(schema):
    operation = schema["paths"][EXPORT]["get"]

    assert set(operation["responses"]["200"]["content"]) == {
        "text/csv",
        "application/json",
    }
    (parameter,) = [p for p in operation["parameters"] if p["name"] == "format"]
    assert parameter["schema"]["enum"] == ["csv", "json"]
    assert parameter["schema"]["default"] == "csv"
    assert parameter["allowEmptyValue"] is True
    assert {"400", "401", "429"} <= set(operation["responses"])
