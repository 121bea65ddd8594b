"""Reads of users that carry meaning beyond a plain query."""

from typing import Any

from django.db.models import QuerySet

from users.models import User


def profile_owners(*, viewer: Any) -> QuerySet[User]:
    """Return the users whose profile lists ``viewer`` may read.

    Deactivated accounts are hidden from everyone but admins.
    """
    users = User.objects.all()
    if not getattr(viewer, "is_admin", False):
        users = users.filter(is_active=True)
    return users
