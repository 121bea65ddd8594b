import csv
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import StreamingHttpResponse
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
from imports.schema import ExportSchema, history_export_schema, history_import_schema
from imports.serializers import (
    ExportQuerySerializer,
    HistoryExportSerializer,
    HistoryUploadSerializer,
    ImportReportSerializer,
)
from imports.services import history_import
from movieratings.request import caller
from movieratings.throttling import ScopedThrottleMixin
from movies.reads import global_mean, rating_context

HISTORY_IMPORT = "history_import"


class FileTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The file is too large."
    default_code = "request_too_large"


@history_import_schema
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
        # The candidates of ambiguous rows are movie summaries.
        context = rating_context(global_mean() if report.ambiguous else None)
        return Response(
            ImportReportSerializer(report, context=context).data,
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


@history_export_schema
class HistoryExportViewSet(viewsets.GenericViewSet[Any]):
    """Take your history with you."""

    permission_classes = [IsAuthenticated]
    content_negotiation_class = _FirstRenderer
    schema = ExportSchema()
    # The CSV is streamed: no ETag, no 304 (movieratings.openapi).
    streams_body = True

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
