"""What the API's input serializers share."""

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers


def _number_errors(field: serializers.Field[Any, Any, Any, Any], value: Any) -> Any:
    """Return the errors of ``value`` if it is a JSON number sent to a string field."""
    if isinstance(field, serializers.CharField):
        if isinstance(value, int | float):
            return [field.error_messages["invalid"]]
    elif isinstance(field, serializers.ListField) and isinstance(value, list):
        errors = {
            index: messages
            for index, item in enumerate(value)
            if (messages := _number_errors(field.child, item))
        }
        return errors or None
    return None


class StrictStringsMixin(serializers.Serializer[Any]):
    """Refuse a JSON number where the schema documents a string.

    DRF's ``CharField`` (and ``EmailField``, ``SlugField``, ``RegexField``)
    quietly turns ``42`` into ``"42"``. The schema says ``string`` and the API
    contract makes a wrong type a 400, so such a value is refused with the
    field's own "Not a valid string." message, naming the field.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            errors = {
                str(field.field_name): messages
                for field in self._writable_fields
                if (messages := _number_errors(field, data.get(field.field_name)))
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
