"""Query parameters that take a list, in both of the forms clients send.

Generated clients repeat a list parameter (``?ordering=-year&ordering=title``,
OpenAPI's ``explode: true``); people and django-filter's CSV fields write
``?ordering=-year,title``. django-filter's ``BaseCSVWidget`` reads only the
last of repeated values, silently dropping the others, so list filters
(``OrderingFilter`` and the other CSV filters) take ``RepeatableCSVWidget``,
which reads every value and splits each at its commas. The schema documents
both forms (movieratings.openapi).
"""

from typing import Any

from django import forms
from django.utils.datastructures import MultiValueDict
from django_filters.widgets import BaseCSVWidget


class RepeatableCSVWidget(BaseCSVWidget, forms.TextInput):
    """Read a list from repeated and/or comma-separated values."""

    def value_from_datadict(
        self, data: Any, files: MultiValueDict[str, Any], name: str
    ) -> list[str] | None:
        if name not in data:
            return None
        values = data.getlist(name) if hasattr(data, "getlist") else [data[name]]
        if all(value == "" for value in values):
            return []  # an empty value counts as absent
        return [part for value in values if value != "" for part in value.split(",")]
