from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.db.models import Model

# Apps whose objects admin-role users curate in the Django admin.
CURATED_APP_LABELS = frozenset({"movies", "ratings", "watchlist", "diary"})


class RolePermissionBackend(BaseBackend):
    """Grant admin-role users every permission on the curated apps.

    Superusers already have every permission through ModelBackend; this lets
    admin-role users curate movies, genres and ratings in the Django admin
    without being superusers or holding per-user permission rows.
    """

    def has_perm(self, user_obj: Any, perm: str, obj: Model | None = None) -> bool:
        app_label = perm.partition(".")[0]
        return self.has_module_perms(user_obj, app_label)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return bool(
            user_obj.is_active
            and getattr(user_obj, "is_admin", False)
            and app_label in CURATED_APP_LABELS
        )
