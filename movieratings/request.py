"""What every app's views read off a request."""

from typing import TYPE_CHECKING, cast

from rest_framework.request import Request

if TYPE_CHECKING:
    from users.models import User


def caller(request: Request) -> "User":
    """Return the authenticated caller (the view's permissions guarantee one)."""
    return cast("User", request.user)
