"""What the API's input serializers share."""

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from rest_framework import serializers

_NUMBER_FIELDS = (
    serializers.IntegerField,
    serializers.FloatField,
    serializers.DecimalField,
)


def _type_errors(field: serializers.Field[Any, Any, Any, Any], value: Any) -> Any:
    """Return the errors of ``value`` if its JSON type or length is not the schema's.

    A JSON number sent to a string field, a string sent to a number field,
    anything but ``true``/``false`` sent to a boolean field, or a string longer
    than the field's ``maxLength`` before the field trims its surrounding
    whitespace.
    """
    if isinstance(field, serializers.BooleanField):
        if value is not None and not isinstance(value, bool):
            return [field.error_messages["invalid"]]
    elif isinstance(field, serializers.CharField):
        if isinstance(value, int | float):
            return [field.error_messages["invalid"]]
        if (
            isinstance(value, str)
            and field.max_length is not None
            and len(value) > field.max_length
        ):
            return [
                field.error_messages["max_length"].format(max_length=field.max_length)
            ]
    elif isinstance(field, _NUMBER_FIELDS):
        if isinstance(value, str):
            return [field.error_messages["invalid"]]
    elif isinstance(field, serializers.ListField) and isinstance(value, list):
        errors = {
            index: messages
            for index, item in enumerate(value)
            if (messages := _type_errors(field.child, item))
        }
        return errors or None
    return None


class StrictStringsMixin(serializers.Serializer[Any]):
    """Take values of the JSON type (and length) the schema documents, only.

    DRF's ``CharField`` (and ``EmailField``, ``SlugField``, ``RegexField``)
    quietly turns ``42`` into ``"42"``, its ``IntegerField`` (and
    ``FloatField``, ``DecimalField``) turns ``"2000"`` into ``2000``, its
    ``BooleanField`` reads ``0`` and ``"no"`` as false, and a ``CharField``
    checks its length after trimming the whitespace around the value. The
    schema says ``string``, ``integer``, ``boolean`` and ``maxLength``, and the
    API contract makes a wrong type a 400, so such a value is refused with the
    field's own message ("Not a valid string.", "A valid integer is
    required."), naming the field. Form data (a ``QueryDict``) holds nothing
    but strings and is left to the fields.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping) and not isinstance(data, QueryDict):
            errors = {
                str(field.field_name): messages
                for field in self._writable_fields
                if (messages := _type_errors(field, data.get(field.field_name)))
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
