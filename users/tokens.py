"""The JWTs this server issues and accepts: simplejwt's, with a token version.

Each token carries the version its user had when it was issued
(``TOKEN_VERSION_CLAIM``). A password change, a sign-out and a deactivation
raise the user's version, so every access token issued before stops working
at once: authentication compares the claim with the user row it reads anyway,
without a query of its own (``users.authentication``). A token without the
claim was issued at version 0.

simplejwt's own ``CHECK_REVOKE_TOKEN`` was not taken: it hashes the password
into the token, which ends tokens at a password change only, not at sign-out
or deactivation.
"""

from datetime import datetime
from typing import Any

from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.exceptions import TokenError

TOKEN_VERSION_CLAIM = "ver"  # noqa: S105 (a claim name, not a secret)


def token_version(token: tokens.Token) -> Any:
    """Return the user's token version a token was issued at."""
    return token.get(TOKEN_VERSION_CLAIM, 0)


class _VersionedTokenMixin:
    """Stamp new tokens with their user's version; refuse absurd expiries."""

    @classmethod
    def for_user(cls, user: Any) -> Any:
        token = super().for_user(user)  # type: ignore[misc]
        token[TOKEN_VERSION_CLAIM] = user.token_version
        return token

    def check_exp(
        self, claim: str = "exp", current_time: datetime | None = None
    ) -> None:
        # A signed token (the key leaked, or a test) may carry an expiry no
        # datetime can hold, such as 10**30: that is an invalid token, not a 500.
        try:
            super().check_exp(claim, current_time)  # type: ignore[misc]
        except (OverflowError, OSError, ValueError) as exc:
            raise TokenError(f"Token '{claim}' claim is out of range") from exc


class AccessToken(_VersionedTokenMixin, tokens.AccessToken):
    """An access token stamped with its user's token version."""


class RefreshToken(_VersionedTokenMixin, tokens.RefreshToken):
    """A refresh token stamped with its user's token version.

    The outstanding-token record keeps the token as first built, without the
    version claim: the record is found by ``jti``, never by its text.
    """

    access_token_class = AccessToken
