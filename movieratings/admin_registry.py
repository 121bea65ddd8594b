"""What the admin site shows beyond the apps' own admins (see movieratings.admin).

Imported once every admin module is loaded (``MovieRatingsAdminConfig.ready``):
the admins it changes must be registered first.
"""

from django.contrib import admin
from django.contrib.auth.models import Group
from django.http import HttpRequest
from rest_framework_simplejwt.token_blacklist.admin import BlacklistedTokenAdmin
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken


class RevokedTokenAdmin(BlacklistedTokenAdmin):
    """Revoked refresh tokens: read them; revoking is the API's sign-out."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


def tidy_registry(site: admin.AdminSite) -> None:
    """Hide groups and the hand-made revocation (run once the admins are loaded)."""
    site.unregister(Group)
    site.unregister(BlacklistedToken)
    site.register(BlacklistedToken, RevokedTokenAdmin)
