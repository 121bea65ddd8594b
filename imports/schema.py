"""The OpenAPI description of the import and export views."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from imports.serializers import (
    HistoryExportSerializer,
    HistoryUploadSerializer,
    ImportReportSerializer,
)
from movieratings.openapi import AutoSchema, ErrorSerializer, view_schema

_REPORT_EXAMPLE = {
    "format": "imdb",
    "rows": 4,
    "created": 2,
    "updated": 0,
    "unchanged": 0,
    "watchlisted": 0,
    "diary_entries": 0,
    "unmatched": [
        {"row": 3, "title": "Twin Peaks", "year": 1990, "reason": "not_a_film"}
    ],
    "ambiguous": [
        {
            "row": 4,
            "title": "Emma",
            "year": 1996,
            "candidates": [
                {
                    "id": 640,
                    "title": "Emma",
                    "year": 1996,
                    "genres": [{"id": 5, "name": "Comedy", "slug": "comedy"}],
                    "average_rating": 3.6,
                    "weighted_rating": 3.55,
                    "rating_count": 21,
                },
                {
                    "id": 5581,
                    "title": "Emma",
                    "year": 1996,
                    "genres": [{"id": 14, "name": "Romance", "slug": "romance"}],
                    "average_rating": 4.0,
                    "weighted_rating": 3.56,
                    "rating_count": 1,
                },
            ],
        }
    ],
}


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


class ExportSchema(AutoSchema):
    """The project's schema, saying of each query parameter that an empty
    value counts as absent (API contract)."""

    def _process_override_parameters(self, direction: str = "request") -> Any:
        parameters = super()._process_override_parameters(direction)
        for (_name, location), parameter in parameters.items():
            if location == OpenApiParameter.QUERY and parameter is not None:
                # An empty value counts as absent (API contract).
                parameter["allowEmptyValue"] = True
        return parameters


history_import_schema = view_schema(
    extend_schema(tags=["users"]),
    extend_schema_view(
        create=extend_schema(
            summary="Import your ratings, diary or watchlist from IMDb or Letterboxd",
            description="Upload a CSV file: IMDb's ratings export, one of "
            "Letterboxd's export files, or Letterboxd's import format (what "
            "`GET users/me/export/` writes). The format is recognised by its "
            "header row. Films are matched by IMDb id, else TMDB id, else title "
            "and year; a row that could mean two films is reported as ambiguous "
            "with its candidates, never guessed. Matched rows are applied in one "
            "transaction; importing the same file again changes nothing and "
            "reports every rating as unchanged. 201 with the report, or 200 for a "
            "dry run, which writes nothing.",
            request={"multipart/form-data": HistoryUploadSerializer},
            responses={
                201: OpenApiResponse(ImportReportSerializer, description="Imported."),
                200: OpenApiResponse(
                    ImportReportSerializer, description="Dry run: nothing written."
                ),
                400: _error(
                    "The file is missing, empty, not UTF-8, not CSV, or its header "
                    "is not one of a known format; nothing was written."
                ),
                413: _error("The file is over 5 MB; nothing was written."),
                415: _error("Unsupported content type: send `multipart/form-data`."),
            },
            examples=[
                OpenApiExample(
                    "Report",
                    response_only=True,
                    status_codes=["201"],
                    value=_REPORT_EXAMPLE,
                )
            ],
        )
    ),
)

history_export_schema = view_schema(
    extend_schema(tags=["users"]),
    extend_schema_view(
        retrieve=extend_schema(
            summary="Export your ratings, diary and watchlist",
            description="`format=csv` (the default) streams a `text/csv` attachment "
            "in Letterboxd's import format, header "
            "`imdbID,tmdbID,Title,Year,Rating,WatchedDate,Rewatch,Review,Date`: one "
            "row per rating (`WatchedDate` empty, `Date` the day it was rated) and "
            "one per diary entry (`WatchedDate` the day watched, `Rating` that "
            "day's score, `Date` empty). It imports back here, or into Letterboxd. "
            "`format=json` returns ratings, diary and watchlist.",
            parameters=[
                OpenApiParameter(
                    "format",
                    OpenApiTypes.STR,
                    OpenApiParameter.QUERY,
                    enum=["csv", "json"],
                    default="csv",
                    description="`csv` (default) or `json`; empty counts as absent.",
                )
            ],
            responses={
                (200, "text/csv"): OpenApiResponse(
                    OpenApiTypes.STR,
                    description="CSV attachment in Letterboxd's import format.",
                ),
                (200, "application/json"): OpenApiResponse(
                    HistoryExportSerializer, description="Everything, as JSON."
                ),
                400: _error("`format` is neither `csv` nor `json`."),
            },
        )
    ),
)
