"""Role rules for the API. ``User.is_admin`` is the one definition of the role."""

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.views import APIView


def is_admin(request: Request) -> bool:
    """Return whether the caller is an authenticated admin-role user."""
    user = request.user
    return bool(user and user.is_authenticated and getattr(user, "is_admin", False))


class IsAdminRole(permissions.BasePermission):
    """Allow admin-role users only."""

    message = "This action needs the admin role."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_admin(request)


class IsAdminRoleOrReadOnly(permissions.BasePermission):
    """Allow anyone to read; only admin-role users to write."""

    message = "Only admins may change the catalogue."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in permissions.SAFE_METHODS or is_admin(request)


class IsSelfOrAdmin(permissions.BasePermission):
    """Allow a user to act on their own account, and admins on any."""

    message = "You may only change your own account."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        return obj == request.user or is_admin(request)
