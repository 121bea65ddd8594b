from typing import Any

from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication as _JWTAuth

from movieratings.logging import user_id_var


class JWTAuthentication(_JWTAuth):
    """simplejwt's Bearer authentication that also tags log lines with the user."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            user_id_var.set(str(result[0].pk))
        return result
