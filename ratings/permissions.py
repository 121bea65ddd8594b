from typing import Any

from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from users.permissions import is_admin


class IsOwnerOrAdminToDelete(permissions.BasePermission):
    """Anyone may read a rating; its owner may change it; owner or admin delete it.

    Admins moderate by deleting: they never put words in another user's mouth.
    """

    message = "Only its author may change a rating; admins may only delete it."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if request.user.is_authenticated and obj.user_id == request.user.pk:
            return True
        return request.method == "DELETE" and is_admin(request)
