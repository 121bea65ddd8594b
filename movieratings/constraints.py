"""The database's rules, reported in the words the models give them.

Each rule on stored values is a model's constraint: the database enforces
it, and its ``violation_error_message`` and ``violation_error_code`` say what
is wrong, in the API as in the admin (whose model validation reports the
same). Services write and let the database check: ``constraint_errors``
turns the ``IntegrityError`` of a broken constraint into that constraint's
``ValidationError``, under the field it names. Uniqueness is checked this
way alone; no validator looks for a duplicate before the write.

The database says which constraint a statement broke (PostgreSQL's
diagnostics name it; SQLite's message names it or its columns), so the
mapping takes no query. But one statement may break two unique rules (a
genre's name and the slug derived from it), and the database reports the
first it meets, in an order of its own. So for a model with more than one
unique rule the write runs in a savepoint and, if it breaks one, model
validation asks each rule: every field at fault is named, with a query per
rule on that failure path only.

A unique field (``unique=True``) has no constraint object to carry a
message; its error says "A <model> with this <field> already exists."
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, TypeAlias

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, router, transaction
from django.db.models import (
    BaseConstraint,
    CheckConstraint,
    F,
    Field,
    Model,
    Q,
    UniqueConstraint,
)
from django.db.models.constants import LOOKUP_SEP

# SQLite names a check or an expression index, or the columns of a unique one:
# "CHECK constraint failed: <name>", "UNIQUE constraint failed: index '<name>'",
# "UNIQUE constraint failed: <table>.<column>, <table>.<column>".
_SQLITE_VIOLATION = re.compile(r"(?:UNIQUE|CHECK) constraint failed: (.+)")
_SQLITE_INDEX = re.compile(r"index '(.+)'")

# Field is generic in django-stubs only.
_UniqueRule: TypeAlias = "UniqueConstraint | Field[Any, Any]"
_Rule: TypeAlias = "BaseConstraint | Field[Any, Any]"


def _paths(node: Any) -> Iterator[str]:
    """Yield the field names a condition or expression refers to, in order."""
    if isinstance(node, Q):
        for child in node.children:
            yield from _paths(child)
    elif isinstance(node, tuple):  # A Q's ("field__lookup", value).
        yield node[0].split(LOOKUP_SEP, 1)[0]
        if hasattr(node[1], "resolve_expression"):
            yield from _paths(node[1])
    elif isinstance(node, F):
        yield node.name.split(LOOKUP_SEP, 1)[0]  # type: ignore[attr-defined]
    elif hasattr(node, "get_source_expressions"):
        for expression in node.get_source_expressions():
            yield from _paths(expression)


def _fields_named(constraint: BaseConstraint) -> list[str]:
    """Return the names of the fields a constraint checks, in its order."""
    if isinstance(constraint, UniqueConstraint):
        names = constraint.fields or _paths(Q(*constraint.expressions))
    elif isinstance(constraint, CheckConstraint):
        names = _paths(constraint.condition)
    else:
        return []
    return list(dict.fromkeys(names))


def _error_of(rule: _Rule) -> ValidationError:
    """Return the error of a broken rule, under the field it names last.

    The last field is the one a writer chose: the movie of a user's rating,
    the day of a diary entry, the email of an account.
    """
    if isinstance(rule, Field):
        opts = rule.model._meta
        message = f"A {opts.verbose_name} with this {rule.verbose_name} already exists."
        return ValidationError({rule.name: [ValidationError(message, code="unique")]})
    fields = _fields_named(rule)
    code = rule.violation_error_code or (
        "unique" if isinstance(rule, UniqueConstraint) else "invalid"
    )
    error = ValidationError(rule.get_violation_error_message(), code=code)
    return ValidationError({fields[-1] if fields else NON_FIELD_ERRORS: [error]})


def constraint_error(model: type[Model], name: str) -> ValidationError:
    """Return the error of ``model``'s constraint ``name``, for a value that
    breaks it (a check made before the write)."""
    for constraint in model._meta.constraints:
        if constraint.name == name:
            return _error_of(constraint)
    raise LookupError(f"{model.__name__} has no constraint {name!r}.")


def _unique_rules(model: type[Model]) -> list[_UniqueRule]:
    opts = model._meta
    rules: list[_UniqueRule] = [
        c for c in opts.constraints if isinstance(c, UniqueConstraint)
    ]
    rules += [f for f in opts.concrete_fields if f.unique and not f.primary_key]
    return rules


def _reported(exc: IntegrityError) -> tuple[str | None, list[str]]:
    """Return the constraint name, or else the columns, that ``exc`` reports."""
    diagnostics = getattr(exc.__cause__, "diag", None)
    name = getattr(diagnostics, "constraint_name", None)
    if name:
        return str(name), []
    match = _SQLITE_VIOLATION.match(str(exc))
    if match is None:
        return None, []
    reported = match.group(1)
    index = _SQLITE_INDEX.fullmatch(reported)
    if index is not None:
        return index.group(1), []
    if "." in reported:
        return None, [part.split(".", 1)[1] for part in reported.split(", ")]
    return reported, []


def _reported_rule(model: type[Model], exc: IntegrityError) -> "_Rule | None":
    """Return the constraint or unique field of ``model`` that ``exc`` reports."""
    name, columns = _reported(exc)
    opts = model._meta
    for constraint in opts.constraints:
        if constraint.name == name:
            return constraint
        if columns and isinstance(constraint, UniqueConstraint) and constraint.fields:
            named = [opts.get_field(field) for field in constraint.fields]
            if [getattr(field, "column", None) for field in named] == columns:
                return constraint
    for field in opts.concrete_fields:
        # PostgreSQL's name for the constraint of a column declared UNIQUE.
        key = f"{opts.db_table}_{field.column}_key"
        if field.unique and (name == key or columns == [field.column]):
            return field
    return None


def _broken_unique_rules(instance: Model) -> dict[str, list[ValidationError]]:
    """Return the error of each unique rule that a stored row and ``instance``
    break together (model validation: a query per rule)."""
    model = type(instance)
    using = router.db_for_write(model, instance=instance)
    errors: dict[str, list[ValidationError]] = {}
    for rule in _unique_rules(model):
        if isinstance(rule, UniqueConstraint):
            try:
                rule.validate(model, instance, using=using)
            except ValidationError:
                errors = _error_of(rule).update_error_dict(errors)
            continue
        value = getattr(instance, rule.attname)
        if value is None:
            continue  # NULLs are distinct.
        others = model._default_manager.using(using).filter(**{rule.attname: value})
        if not instance._state.adding:
            others = others.exclude(pk=instance.pk)
        if others.exists():
            errors = _error_of(rule).update_error_dict(errors)
    return errors


def violation(target: Model | type[Model], exc: IntegrityError) -> ValidationError:
    """Return the error of the constraint that ``exc`` reports a write of
    ``target`` (an instance or its model) to break.

    A violation that names none of the model's (a foreign key, say) is the
    record conflicting with an existing one.
    """
    model = target if isinstance(target, type) else type(target)
    rule = _reported_rule(model, exc)
    if (
        isinstance(target, Model)
        and not isinstance(rule, CheckConstraint)
        and len(_unique_rules(model)) > 1
    ):
        errors = _broken_unique_rules(target)
        if errors:
            return ValidationError(errors)
    if rule is not None:
        return _error_of(rule)
    name = model._meta.verbose_name
    return ValidationError(f"This {name} conflicts with an existing one.")


@contextmanager
def constraint_errors(target: Model | type[Model]) -> Iterator[None]:
    """Report a write of the block that breaks a constraint as its
    ``ValidationError`` (see ``violation``).

    ``target`` is the instance written, or its model when the block writes
    rows of it in bulk. The error ends the caller's transaction (or its
    savepoint): the block's write is undone.
    """
    model = target if isinstance(target, type) else type(target)
    asks_each_rule = isinstance(target, Model) and len(_unique_rules(model)) > 1
    try:
        # A savepoint keeps the transaction usable for model validation.
        savepoint = transaction.atomic(using=router.db_for_write(model))
        with savepoint if asks_each_rule else nullcontext():
            yield
    except IntegrityError as exc:
        raise violation(target, exc) from exc
