"""Writes on users and their tokens, with the role rules they carry."""

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)

from movieratings.constraints import constraint_errors
from movieratings.services import model_update
from users.authentication import token_user_id
from users.models import Role, User
from users.tokens import RefreshToken
from users.versions import user_data_changed

# Fields a user may change on their own account; admins may change all of these.
SELF_EDITABLE_FIELDS = frozenset({"username", "first_name", "last_name"})
ADMIN_EDITABLE_FIELDS = SELF_EDITABLE_FIELDS | {"email", "role", "is_active"}


def user_create(
    *, email: str, username: str, password: str, role: str = Role.BASIC
) -> User:
    """Create a user with a validated password; the email is their login.

    The password validators run here, once per sign-up; a taken email or
    username is the database's to find (a ValidationError naming it).
    """
    user = User(email=User.objects.normalize_email(email), username=username, role=role)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from exc
    user.set_password(password)
    with constraint_errors(user):
        user.save()
    return user


def _raise_unless_outranks(*, actor: User, user: User, verb: str) -> None:
    """Refuse ``actor`` acting on another user who is a superuser unless one too.

    Superusers outrank role-admins: an admin-role account (for instance a
    curator's) must not be able to take over or lock out the accounts that
    hold every permission.
    """
    if actor.pk != user.pk and not actor.is_admin:
        raise PermissionDenied(f"You may only {verb} your own account.")
    if actor.pk != user.pk and user.is_superuser and not actor.is_superuser:
        raise PermissionDenied(f"Only a superuser may {verb} a superuser.")


def user_update(*, actor: User, user: User, **changes: Any) -> User:
    """Apply ``changes`` to ``user`` as ``actor`` may, or change nothing.

    Users change their own name fields; only admins change email, role and
    active status, only superusers change another superuser, and an admin may
    not demote or deactivate themselves, so that a system cannot lose its last
    admin by accident. Raise ``User.DoesNotExist`` if the user was deleted
    meanwhile.
    """
    allowed = ADMIN_EDITABLE_FIELDS if actor.is_admin else SELF_EDITABLE_FIELDS
    _raise_unless_outranks(actor=actor, user=user, verb="change")
    forbidden = sorted(set(changes) - allowed)
    if forbidden:
        raise PermissionDenied(f"Only admins may change: {', '.join(forbidden)}.")
    if actor.pk == user.pk and actor.is_admin:
        if changes.get("role", Role.ADMIN) != Role.ADMIN:
            raise ValidationError(
                {"role": ["You cannot demote your own account: ask another admin."]}
            )
        if changes.get("is_active", True) is False:
            raise ValidationError(
                {"is_active": ["You cannot deactivate your own account."]}
            )
    if user.is_superuser and changes.get("role", Role.ADMIN) != Role.ADMIN:
        raise ValidationError({"role": ["A superuser always has the admin role."]})
    if "email" in changes:
        changes["email"] = User.objects.normalize_email(changes["email"])
    with transaction.atomic():
        # Lock the row first: a user deleted by a concurrent request is
        # gone (404), where a bare UPDATE would fail on no row.
        if not User.objects.select_for_update().filter(pk=user.pk).exists():
            raise User.DoesNotExist("This user no longer exists.")
        model_update(instance=user, data=changes)
    if changes.get("is_active") is False:
        user_end_sessions(user=user)
    return user


def user_delete(*, actor: User, user: User) -> None:
    """Delete ``user`` with their ratings (the ratings app updates aggregates)."""
    _raise_unless_outranks(actor=actor, user=user, verb="delete")
    if actor.pk == user.pk and actor.is_admin:
        raise ValidationError(
            "You cannot delete your own admin account: ask another admin."
        )
    with transaction.atomic():
        # Lock the row so that ratings written concurrently are seen and removed.
        User.objects.select_for_update().filter(pk=user.pk).first()
        user.delete()


def user_change_password(*, user: User, old_password: str, new_password: str) -> None:
    """Change the password and sign the user out of every other session."""
    if not user.check_password(old_password):
        raise ValidationError({"old_password": ["The current password is incorrect."]})
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    with transaction.atomic():
        # set_password also raises the token version: access tokens end too.
        user.set_password(new_password)
        user.save(update_fields=["password", "token_version"])
        user_revoke_refresh_tokens(user=user)


def user_end_access_tokens(*, user: User) -> None:
    """Make every access token issued to ``user`` so far stop working at once."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.token_version += 1
    # QuerySet.update() sends no signal: the responses cached for the
    # user's old tokens go now.
    user_data_changed([user.pk])


def user_end_sessions(*, user: User) -> None:
    """Sign ``user`` out everywhere: no token issued so far works any more.

    Deactivation calls it, so that reactivating the account revives none.
    """
    with transaction.atomic():
        user_end_access_tokens(user=user)
        user_revoke_refresh_tokens(user=user)


def user_revoke_refresh_tokens(*, user: User) -> None:
    """Blacklist every outstanding refresh token of ``user``."""
    outstanding = OutstandingToken.objects.filter(user=user).exclude(
        blacklistedtoken__isnull=False
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding],
        ignore_conflicts=True,
    )


def tokens_for_user(*, user: User) -> dict[str, str]:
    """Return a fresh access/refresh pair for ``user``."""
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def _consume_refresh_token(raw: str, *, user_id: int | None = None) -> RefreshToken:
    """Validate a refresh token and blacklist it, exactly once under concurrency.

    Raise ``InvalidToken`` if it is malformed, expired, already used, belongs to
    an inactive or deleted user, or (with ``user_id``) to another user.
    """
    try:
        refresh = RefreshToken(raw)  # type: ignore[arg-type]
    except TokenError as exc:
        raise InvalidToken(str(exc)) from exc
    owner_id = token_user_id(refresh.payload)
    owner = (
        User.objects.filter(pk=owner_id, is_active=True).first()
        if owner_id is not None
        else None
    )
    if owner is None or (user_id is not None and owner.pk != user_id):
        raise InvalidToken("Token is invalid or expired")
    with transaction.atomic():
        # order_by("pk") replaces the model's ordering by user, a nullable outer
        # join that PostgreSQL refuses to lock (FOR UPDATE).
        token = (
            OutstandingToken.objects.select_for_update()
            .filter(jti=refresh.payload["jti"])
            .order_by("pk")
            .first()
        )
        if token is None or BlacklistedToken.objects.filter(token=token).exists():
            raise InvalidToken("Token is blacklisted")
        BlacklistedToken.objects.create(token=token)
    return refresh


def token_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate a refresh token: the old one is spent, a new pair is returned."""
    token = _consume_refresh_token(refresh)
    # The user may have been deleted or deactivated since the token was checked.
    user = User.objects.filter(pk=token.payload["user_id"], is_active=True).first()
    if user is None:
        raise InvalidToken("Token is invalid or expired")
    return tokens_for_user(user=user)


def token_revoke(*, user: User, refresh: str) -> None:
    """Sign out: spend ``user``'s refresh token and end their access tokens.

    An access token names no session, so every access token of the user
    ends; the user's other sessions go on by refreshing theirs.
    """
    with transaction.atomic():
        _consume_refresh_token(refresh, user_id=user.pk)
        user_end_access_tokens(user=user)
