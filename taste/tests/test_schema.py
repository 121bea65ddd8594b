"""The schema describes the watchlist, diary and taste profile as the contract says."""

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    generated: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return generated


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node or len(node.get("allOf", [])) == 1:
        if "allOf" in node:
            node = node["allOf"][0]
            continue
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _response(schema: dict[str, Any], path: str, method: str, code: str) -> Any:
    operation = schema["paths"][path][method]
    content = operation["responses"][code]["content"]["application/json"]
    return _resolve(schema, content["schema"])


def _item(schema: dict[str, Any], path: str) -> dict[str, Any]:
    page = _response(schema, path, "get", "200")
    return _resolve(schema, page["properties"]["results"]["items"])


SUMMARY = {
    "id",
    "title",
    "year",
    "genres",
    "average_rating",
    "weighted_rating",
    "rating_count",
}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/users/me/watchlist/",
        "/api/v1/users/{id}/watchlist/",
        "/api/v1/users/me/diary/",
        "/api/v1/users/{id}/diary/",
        "/api/v1/users/me/ratings/",
    ],
)
def test_lists_carry_the_movie_summary(schema, path):
    movie = _resolve(schema, _item(schema, path)["properties"]["movie"])

    assert set(movie["properties"]) == SUMMARY
    assert movie["properties"]["weighted_rating"]["nullable"] is True


def test_watchlist_entries_are_movie_and_added_at(schema):
    for code in ("200", "201"):
        entry = _response(schema, "/api/v1/movies/{id}/watchlist/", "put", code)
        assert set(entry["properties"]) == {"movie", "added_at"}
    assert "requestBody" not in schema["paths"]["/api/v1/movies/{id}/watchlist/"]["put"]
    assert set(_item(schema, "/api/v1/users/me/watchlist/")["properties"]) == {
        "movie",
        "added_at",
    }


def test_diary_entries_have_the_contract_fields(schema):
    fields = {"id", "movie", "watched_on", "rewatch", "score", "review", "created_at"}
    created = _response(schema, "/api/v1/users/me/diary/", "post", "201")
    changed = _response(schema, "/api/v1/users/me/diary/{id}/", "patch", "200")

    for body in (created, changed, _item(schema, "/api/v1/users/me/diary/")):
        assert set(body["properties"]) == fields
    assert created["properties"]["score"]["nullable"] is True
    request = schema["paths"]["/api/v1/users/me/diary/"]["post"]["requestBody"]
    body = _resolve(schema, request["content"]["application/json"]["schema"])
    assert set(body["properties"]) == {"movie", "watched_on", "score", "review"}
    assert set(body["required"]) == {"movie", "watched_on"}


def test_taste_profile_has_the_contract_fields(schema):
    for path in ("/api/v1/users/me/stats/", "/api/v1/users/{id}/stats/"):
        profile = _response(schema, path, "get", "200")
        assert set(profile["properties"]) == {
            "ratings_count",
            "average_score",
            "score_distribution",
            "by_decade",
            "by_genre",
            "versus_community",
            "watchlist_count",
        }
        for name in ("average_score", "versus_community"):
            assert profile["properties"][name]["nullable"] is True
        decade = _resolve(schema, profile["properties"]["by_decade"]["items"])
        genre = _resolve(schema, profile["properties"]["by_genre"]["items"])
        assert set(decade["properties"]) == {"decade", "count", "average_score"}
        assert set(genre["properties"]) == {"genre", "count", "average_score"}


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/api/v1/movies/{id}/watchlist/", "put", {"200", "201", "401", "404"}),
        ("/api/v1/movies/{id}/watchlist/", "delete", {"204", "401", "404"}),
        ("/api/v1/users/me/diary/", "post", {"201", "400", "401", "429"}),
        ("/api/v1/users/me/diary/{id}/", "patch", {"200", "400", "401", "404"}),
        ("/api/v1/users/me/diary/{id}/", "delete", {"204", "401", "404"}),
        ("/api/v1/users/{id}/stats/", "get", {"200", "401", "404"}),
    ],
)
def test_operations_document_their_statuses(schema, path, method, codes):
    assert codes <= set(schema["paths"][path][method]["responses"])
