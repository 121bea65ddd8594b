from typing import Any

from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication as _JWTAuth
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from movieratings.logging import user_id_var
from users.tokens import token_version

MAX_USER_ID = 2**63 - 1


def token_user_id(payload: Any) -> int | None:
    """Return the user id a token's payload names, or None if it names none.

    Tokens are signed, so only a leaked key could put anything but a user id
    in the claim; even then looking the user up must not fail with a 500.
    """
    user_id = payload.get(api_settings.USER_ID_CLAIM)
    # simplejwt writes the id as a string of digits.
    if isinstance(user_id, str) and user_id.isascii() and user_id.isdigit():
        user_id = int(user_id)
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        return None
    return user_id if 1 <= user_id <= MAX_USER_ID else None


class JWTAuthentication(_JWTAuth):
    """simplejwt's Bearer authentication, checking the token's version.

    A token issued before the user's last password change, sign-out or
    deactivation is refused, checked against the user row that authentication
    reads anyway. Log lines are tagged with the user.
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            user_id_var.set(str(result[0].pk))
        return result

    def get_user(self, validated_token: Token) -> Any:
        if token_user_id(validated_token) is None:
            raise InvalidToken("Token contained no recognizable user identification")
        user: Any = super().get_user(validated_token)
        if token_version(validated_token) != user.token_version:
            raise InvalidToken("Token is no longer valid: its session has ended")
        return user
