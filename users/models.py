from collections.abc import Iterable
from typing import Any, ClassVar

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.base import ModelBase
from django.db.models.functions import Lower
from django.utils.deconstruct import deconstructible


class Role(models.TextChoices):
    BASIC = "basic", "Basic"
    ADMIN = "admin", "Admin"


@deconstructible
class UsernameValidator(RegexValidator):
    """Allow ASCII letters, digits and ``@ . + - _``: a public handle.

    Handles are unique whatever their case, and ASCII-only so that no two look
    alike: case folding and NFKC normalisation join ``ALICE`` to ``alice`` and
    full-width letters (U+FF41...) to ASCII ones, but not a Cyrillic a (U+0430)
    to a Latin one, which only a table of confusable characters could. A name in any
    script belongs in ``first_name`` and ``last_name``. The class is spelled
    out (no ``\\w``) so that Python and the schema's ECMA-262 pattern read it
    the same way.
    """

    regex = r"^[A-Za-z0-9@.+_-]+\Z"
    message = (
        "Enter a valid username: ASCII letters, digits and the characters "
        "@ . + - _ only."
    )


class UserManager(BaseUserManager["User"]):
    """Manager for users who sign in with their email address."""

    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        # Email is the login name and unique case-insensitively.
        return self.get(email__iexact=username)

    def _create_user(
        self, email: str, username: str, password: str | None, **extra_fields: Any
    ) -> "User":
        if not email:
            raise ValueError("Users must have an email address.")
        user = self.model(
            email=self.normalize_email(email),
            username=self.model.normalize_username(username),
            **extra_fields,
        )
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(
        self,
        email: str,
        username: str,
        password: str | None = None,
        **extra_fields: Any,
    ) -> "User":
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, username, password, **extra_fields)

    def create_superuser(
        self,
        email: str,
        username: str,
        password: str | None = None,
        **extra_fields: Any,
    ) -> "User":
        extra_fields["is_superuser"] = True
        extra_fields["role"] = Role.ADMIN
        return self._create_user(email, username, password, **extra_fields)


class User(AbstractUser):
    """A person who rates movies; signs in with email, shown by username."""

    email = models.EmailField("email address", max_length=254)
    # Unique whatever its case (users_user_username_ci_unique), not as typed.
    username = models.CharField(
        "username",
        max_length=150,
        help_text="Required. 150 characters or fewer: ASCII letters, digits and "
        "@ . + - _ only.",
        validators=[UsernameValidator()],
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.BASIC)
    # Raised whenever the user's access tokens must stop working at once
    # (users.tokens): a new password, a sign-out, a deactivation.
    token_version = models.PositiveIntegerField(default=0, editable=False)
    # How many ratings the user has given, kept by ratings.services in each
    # rating write's transaction (rebuilt by ``recompute_ratings``).
    ratings_count = models.PositiveIntegerField(default=0, editable=False)

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["username"]

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="users_user_email_ci_unique",
                violation_error_message="A user with this email already exists.",
            ),
            models.UniqueConstraint(
                Lower("username"),
                name="users_user_username_ci_unique",
                violation_error_message="A user with that username already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values),
                name="users_user_role_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(is_superuser=False) | models.Q(role=Role.ADMIN),
                name="users_user_superuser_is_admin",
                violation_error_message="A superuser always has the admin role.",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def save(
        self,
        *,
        force_insert: bool | tuple[ModelBase, ...] = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields: Iterable[str] | None = None,
    ) -> None:
        """Save the user; a full save of a stored user leaves out ``ratings_count``.

        The ratings services change the count with ``F()`` updates under the
        user's row lock, so an instance read before such a write (the admin's
        change form, ``changepassword``) would write back a stale count.
        """
        if update_fields is None and not force_insert and not self._state.adding:
            deferred = self.get_deferred_fields()
            update_fields = [
                field.attname
                for field in self._meta.concrete_fields
                if not field.primary_key
                and field.name != "ratings_count"
                and field.attname not in deferred
            ]
        super().save(
            force_insert=force_insert,
            force_update=force_update,
            using=using,
            update_fields=update_fields,
        )

    # Replaces AbstractUser's field: staff status follows the role.
    @property
    def is_staff(self) -> bool:  # type: ignore[override]
        """Return whether the user may sign in to the Django admin."""
        return self.is_admin

    def set_password(self, raw_password: str | None) -> None:
        """Set the password and end every access token issued before it.

        Whoever sets it (the API, the admin, ``changepassword``) signs the user
        out; the caller saves both fields.
        """
        super().set_password(raw_password)
        if self.pk is not None:  # A new user holds no tokens yet.
            self.token_version += 1

    @property
    def is_admin(self) -> bool:
        """Return whether the user holds the admin role."""
        return self.role == Role.ADMIN or self.is_superuser
