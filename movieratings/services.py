"""Writes every app's services share."""

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db import DatabaseError
from django.db.models import ManyToManyField, Model

from movieratings.constraints import constraint_errors

_M = TypeVar("_M", bound=Model)


def model_update(*, instance: _M, data: Mapping[str, Any]) -> _M:
    """Write ``data``'s fields of ``instance``: those columns and no others.

    Every field given is written, changed or not, with the fields that have
    ``auto_now`` (``updated_at``); nothing else is, so that a column another
    writer changes meanwhile (a movie's rating aggregates) keeps that
    writer's value. A many-to-many field is ``set()`` after the row is saved.
    With no data nothing is written (``updated_at`` stays). The save sends
    ``post_save`` with ``update_fields``. A write that breaks a constraint is
    that constraint's ``ValidationError`` (``movieratings.constraints``), and
    an instance deleted meanwhile raises its model's ``DoesNotExist``.
    """
    if not data:
        return instance
    model = type(instance)
    fields = {name: model._meta.get_field(name) for name in data}
    related = [
        name for name, field in fields.items() if isinstance(field, ManyToManyField)
    ]
    columns = [name for name in data if name not in related]
    for name in columns:
        setattr(instance, name, data[name])
    columns += [
        field.name
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) and field.name not in data
    ]
    with constraint_errors(instance):
        try:
            instance.save(update_fields=columns)
        except DatabaseError as exc:
            # Django's own error, not the database's: the UPDATE found no row.
            if type(exc) is not DatabaseError:
                raise
            gone = f"This {model._meta.verbose_name} no longer exists."
            # Each model's own DoesNotExist (django-stubs knows concrete ones).
            raise instance.DoesNotExist(gone) from exc  # type: ignore[attr-defined]
    for name in related:
        getattr(instance, name).set(data[name])
    return instance
