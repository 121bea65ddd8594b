"""Versions of what is cached per user, bumped by every write that changes it.

Responses cached for one caller (``movieratings.response_cache``) depend on
that user's version, and those of one user's pages (``users/{id}/…``) on
that user's: every write of what they show (the user's ratings, watchlist
and diary, and the user row itself: name, role, activity, token version)
announces it, inside its transaction, with ``user_data_changed``; once the
transaction commits the version is bumped (``movieratings.versions``) and
every entry computed before is a miss. Saving or deleting a user sends
Django's signals whichever path writes, and the receivers below announce it;
writes that send no signal (``QuerySet.update()``, bulk inserts, raw SQL) call
``user_data_changed`` themselves.

The public user (``{id, username, date_joined, ratings_count}``) appears in
pages about other things (a movie's ratings): those depend on
``PUBLIC_USERS_VERSION_KEY`` too, bumped when a username or join date
changes. Its ``ratings_count`` changes only with a rating, which bumps the
catalogue's version.
"""

from collections.abc import Iterable
from typing import Any

from movieratings.versions import bumps, once_on_commit
from users.models import User

PUBLIC_USERS_VERSION_KEY = "users:public:version"
# The fields of the public user that a save may change.
_PUBLIC_FIELDS = frozenset({"username", "date_joined"})


def user_version_key(user_id: int) -> str:
    """Return the key of the version of what is cached for one user."""
    return f"user:{user_id}:version"


def _bump_users(user_ids: list[int]) -> None:
    for user_id in user_ids:
        bumps.bump(user_version_key(user_id))


def _bump_public_users(_ids: list[int]) -> None:
    bumps.bump(PUBLIC_USERS_VERSION_KEY)


def user_data_changed(user_ids: Iterable[int], *, using: str | None = None) -> None:
    """Forget what is cached for these users once this transaction commits.

    Outside a transaction that is at once; any number of calls in one
    transaction make one bump per user.
    """
    once_on_commit(_bump_users, user_ids, using=using)


def user_saved(
    sender: Any,
    instance: User,
    created: bool,
    update_fields: frozenset[str] | None,
    using: str,
    **kwargs: Any,
) -> None:
    """Announce a user created, changed or loaded from a fixture."""
    user_data_changed([instance.pk], using=using)
    if not created and (update_fields is None or update_fields & _PUBLIC_FIELDS):
        once_on_commit(_bump_public_users, (), using=using)


def user_deleted(sender: Any, instance: User, using: str, **kwargs: Any) -> None:
    """Announce a user deleted: their tokens and pages answer 401 and 404 now."""
    user_data_changed([instance.pk], using=using)
