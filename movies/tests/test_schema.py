"""The OpenAPI schema describes the catalogue API as the contract says."""

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    generated: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return generated


def _component(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    component: dict[str, Any] = schema["components"]["schemas"][
        ref["$ref"].rsplit("/", 1)[-1]
    ]
    return component


def _json(operation: dict[str, Any], code: str) -> dict[str, Any]:
    body: dict[str, Any] = operation["responses"][code]["content"]["application/json"]
    return body["schema"]


def test_schema_is_valid_openapi(schema: dict[str, Any]) -> None:
    validate_schema(schema)


def test_catalogue_paths_and_methods(schema: dict[str, Any]) -> None:
    paths = schema["paths"]

    assert set(paths["/api/v1/genres/"]) == {"get", "post"}
    assert set(paths["/api/v1/genres/{id}/"]) - {"parameters"} == {
        "get",
        "patch",
        "delete",
    }
    assert set(paths["/api/v1/movies/"]) == {"get", "post"}
    assert set(paths["/api/v1/movies/{id}/"]) - {"parameters"} == {
        "get",
        "put",
        "patch",
        "delete",
    }


def test_movie_list_documents_every_filter_as_optional_and_allowing_empty(
    schema: dict[str, Any],
) -> None:
    parameters = {
        p["name"]: p for p in schema["paths"]["/api/v1/movies/"]["get"]["parameters"]
    }

    filters = {"search", "genre", "year", "year_min", "year_max", "min_ratings"}
    assert filters | {"ordering", "page", "page_size"} <= set(parameters)
    for name in [*filters, "ordering"]:
        assert parameters[name]["allowEmptyValue"] is True, name
        assert parameters[name]["description"], name
        assert not parameters[name].get("required", False), name
    for name in ("year", "year_min", "year_max", "min_ratings"):
        assert parameters[name]["schema"]["type"] == "integer"
    assert parameters["genre"]["schema"]["type"] == "array"
    assert parameters["genre"]["explode"] is True
    assert set(parameters["ordering"]["schema"]["items"]["enum"]) == {
        f"{sign}{key}"
        for sign in ("", "-")
        for key in (
            "title",
            "year",
            "average_rating",
            "weighted_rating",
            "rating_count",
            "created_at",
        )
    }


def test_movie_detail_schema_has_the_contract_fields(schema: dict[str, Any]) -> None:
    detail = _component(
        schema, _json(schema["paths"]["/api/v1/movies/{id}/"]["get"], "200")
    )

    properties = detail["properties"]
    assert (
        set(properties)
        == set(detail["required"])
        == {
            "id",
            "title",
            "year",
            "genres",
            "overview",
            "runtime_minutes",
            "imdb_id",
            "tmdb_id",
            "average_rating",
            "weighted_rating",
            "rating_count",
            "created_at",
            "updated_at",
            "rating_distribution",
            "my_rating",
            "in_watchlist",
        }
    )
    for name in ("average_rating", "weighted_rating"):
        assert properties[name]["type"] == "number"
        assert properties[name]["nullable"] is True
    assert properties["my_rating"]["nullable"] is True
    assert properties["in_watchlist"]["type"] == "boolean"
    distribution = _component(schema, properties["rating_distribution"]["allOf"][0])
    assert len(distribution["required"]) == 10


def test_movie_writes_document_input_and_detail_response(
    schema: dict[str, Any],
) -> None:
    create = schema["paths"]["/api/v1/movies/"]["post"]

    body = create["requestBody"]["content"]["application/json"]["schema"]
    request = _component(schema, body)
    assert set(request["required"]) == {"title", "year", "genres"}
    assert request["properties"]["genres"]["items"]["type"] == "string"
    assert "rating_count" not in request["properties"]
    response = _component(schema, _json(create, "201"))
    assert "rating_distribution" in response["properties"]
    assert {"400", "401", "403"} <= set(create["responses"])
