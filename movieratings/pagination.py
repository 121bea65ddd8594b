import re
from collections.abc import Sequence
from typing import Any

from django.core.paginator import InvalidPage
from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.views import APIView

MAX_PAGE_SIZE = 100


def _positive_int_param(request: Request, name: str) -> int | None:
    """Return a query parameter as an int >= 1, None when absent or empty."""
    raw = request.query_params.get(name, "")
    if raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or not raw.strip().isdigit():
        raise ValidationError({name: ["A whole number of at least 1 is required."]})
    return value


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=N&page_size=M``: strict about types, lenient about size.

    A page or page size that is not a whole number >= 1 is a 400, a page size
    over the maximum is capped, and a page past the end is a 404. A view that
    knows how many rows its list holds (a stored count) returns it from
    ``pagination_count()``, which saves the ``COUNT(*)`` query.
    """

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        size = _positive_int_param(request, self.page_size_query_param)
        if size is None:
            return self.page_size or 20
        return min(size, self.max_page_size)

    def paginate_queryset(
        self,
        queryset: QuerySet[Any] | Sequence[Any],
        request: Request,
        view: APIView | None = None,
    ) -> list[Any] | None:
        page_number = _positive_int_param(request, self.page_query_param) or 1
        page_size = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, page_size)
        known_count = getattr(view, "pagination_count", lambda: None)()
        if known_count is not None:
            paginator.__dict__["count"] = known_count  # Paginator.count is cached.
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            raise NotFound(f"Page {page_number} does not exist.") from exc
        self.request = request
        return list(self.page)

    # The path of the list being documented, set by movieratings.openapi, so
    # that the examples of page links are links of this API.
    schema_path = "/api/v1/movies/"

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        path = re.sub(r"\{[^}]*\}", "7", self.schema_path)  # an id for {id}

        def link(which: str, page: int) -> dict[str, Any]:
            end = "last" if which == "next" else "first"
            return {
                "type": "string",
                "format": "uri",
                "nullable": True,
                "description": f"URL of the {which} page (this list's URL with its "
                f"`page` changed), null on the {end} page.",
                "example": f"http://127.0.0.1:8000{path}?page={page}",
            }

        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Items in the whole list, over every page.",
                    "example": 184,
                },
                "next": link("next", 3),
                "previous": link("previous", 1),
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "allowEmptyValue": True,
                "description": "Page number (1-based). A page past the end is a 404.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "allowEmptyValue": True,
                "description": (
                    f"Results per page (default {self.page_size}); values over "
                    f"{self.max_page_size} are capped at {self.max_page_size}."
                ),
                "schema": {"type": "integer", "minimum": 1},
            },
        ]
