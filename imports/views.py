import csv
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status, viewsets
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from imports import selectors
from imports.parsing import HistoryFileError, parse_history
from imports.serializers import (
    ExportQuerySerializer,
    HistoryExportSerializer,
    HistoryUploadSerializer,
    ImportReportSerializer,
)
from imports.services import history_import
from movieratings.openapi import AutoSchema, ErrorSerializer
from movieratings.request import caller
from movieratings.throttling import ScopedThrottleMixin

HISTORY_IMPORT = "history_import"


class FileTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The file is too large."
    default_code = "request_too_large"


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


@extend_schema(tags=["users"])
class HistoryImportViewSet(ScopedThrottleMixin, viewsets.GenericViewSet[Any]):
    """Import a ratings history exported from IMDb or Letterboxd."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]
    # What OPTIONS describes; create() validates with it too.
    serializer_class = HistoryUploadSerializer
    throttle_scopes = {"create": HISTORY_IMPORT}

    @classmethod
    def max_request_body_bytes(cls) -> int:
        """Allow the file plus what the form's other fields may take.

        Read by ``BodySizeLimitMiddleware``: this is the one view that takes a
        body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
        """
        return settings.IMPORT_MAX_FILE_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    @extend_schema(
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
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = self.get_serializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        if file.size > settings.IMPORT_MAX_FILE_BYTES:
            raise FileTooLarge(
                f"The file is over {settings.IMPORT_MAX_FILE_BYTES} bytes."
            )
        try:
            parsed = parse_history(file.read(), filename=file.name or "")
        except HistoryFileError as exc:
            raise ValidationError({"file": [str(exc)]}, code=exc.code) from exc
        dry_run = upload.validated_data["dry_run"]
        report = history_import(user=caller(request), parsed=parsed, dry_run=dry_run)
        return Response(
            ImportReportSerializer(report).data,
            status=HTTPStatus.OK if dry_run else HTTPStatus.CREATED,
        )


class _Echo:
    """A file-like object whose ``write`` returns what it was given."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(row)


class _FirstRenderer(BaseContentNegotiation):
    """Render with the view's renderer, whatever ``?format=`` says.

    ``format`` is this endpoint's own parameter (csv or json), checked by the
    view; DRF would otherwise read it as a renderer name and answer 404.
    """

    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, str(renderer.media_type)

    def select_parser(
        self, request: Request, parsers: Iterable[BaseParser]
    ) -> BaseParser | None:
        return next(iter(parsers), None)


class _ExportSchema(AutoSchema):
    def _process_override_parameters(self, direction: str = "request") -> Any:
        parameters = super()._process_override_parameters(direction)
        for (_name, location), parameter in parameters.items():
            if location == OpenApiParameter.QUERY and parameter is not None:
                # An empty value counts as absent (API contract).
                parameter["allowEmptyValue"] = True
        return parameters


@extend_schema(tags=["users"])
class HistoryExportViewSet(viewsets.GenericViewSet[Any]):
    """Take your history with you."""

    permission_classes = [IsAuthenticated]
    content_negotiation_class = _FirstRenderer
    schema = _ExportSchema()
    # The CSV is streamed: no ETag, no 304 (movieratings.openapi).
    streams_body = True

    @extend_schema(
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
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        params = {k: v for k, v in request.query_params.items() if v != ""}
        query = ExportQuerySerializer(data=params)
        query.is_valid(raise_exception=True)
        user = caller(request)
        if query.validated_data["format"] == "json":
            data = {
                "ratings": selectors.export_ratings(user=user),
                "diary": selectors.export_diary(user=user),
                "watchlist": selectors.export_watchlist(user=user),
            }
            return Response(HistoryExportSerializer(data).data)
        response = StreamingHttpResponse(
            _csv_lines(selectors.export_rows(user=user)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = (
            'attachment; filename="movieratings-export.csv"'
        )
        return response
