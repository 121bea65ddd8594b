"""API2 Broken Authentication: no bad credential gets past any operation.

Every operation of the schema that reads a token (its responses document 401)
is called with a valid body and each bad credential below: forged or missing
signatures, ``alg: none``, algorithm confusion, another deployment's key,
expired and not-yet-valid tokens, a refresh token used as an access token,
tampered claims, tokens of deleted and deactivated users, and malformed
``Authorization`` headers. Each answer is a 401 with ``WWW-Authenticate`` in
the error shape, and nothing changes in the database. An ``Authorization``
header that is not a Bearer one carries no credentials at all: the caller is
anonymous, so routes that need a user answer 401. The probes read no token.

Already covered for one route (``users/me/``) in ``users/tests/test_auth.py``
and not repeated there: the same token cases one by one, sign-in errors that
do not tell unknown emails from wrong passwords, refresh-token rotation (a
rotated, revoked, expired or deleted user's refresh token is a 401), logout;
brute-force lock-out in ``users/tests/test_brute_force.py``; concurrent rotation of
one refresh token in ``users/tests/test_services.py``.
"""

import base64
import json
import warnings
from http import HTTPStatus
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from users.models import User
from users.tests.factories import UserFactory

from .operations import (
    Operation,
    World,
    build_world,
    call,
    error_body,
    operations,
    snapshot,
    valid_body,
)

pytestmark = pytest.mark.django_db

OTHER_DEPLOYMENTS_KEY = "another-deployments-signing-key-of-fifty-characters-x"


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signed(claims: dict[str, Any], **overrides: Any) -> str:
    """Return a token signed with the server's own key and algorithm."""
    key = str(settings.SIMPLE_JWT["SIGNING_KEY"])
    return jwt.encode({**claims, **overrides}, key, algorithm="HS256")


def _hs512(claims: dict[str, Any], key: str) -> str:
    with warnings.catch_warnings():
        # PyJWT finds the test key short for SHA-512; the server refuses it anyway.
        warnings.simplefilter("ignore")
        return jwt.encode(claims, key, algorithm="HS512")


def bad_bearer_tokens(world: World) -> dict[str, str]:
    """Return bearer tokens that must never authenticate, by what is wrong."""
    claims = dict(AccessToken.for_user(world.basic).payload)
    now = int(timezone.now().timestamp())
    header, _payload, signature = str(AccessToken.for_user(world.basic)).split(".")
    deleted = UserFactory.create(password=None)
    deleted_token = str(AccessToken.for_user(deleted))
    deleted.delete()
    no_type = dict(claims)
    del no_type["token_type"]
    key = str(settings.SIMPLE_JWT["SIGNING_KEY"])
    return {
        "garbage": "garbage",
        "three garbage segments": "a.b.c",
        "oversized": "x" * 8000,
        "another deployment's key": jwt.encode(
            claims, OTHER_DEPLOYMENTS_KEY, algorithm="HS256"
        ),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "alg none with the signature kept": (
            f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.{signature}"
        ),
        "alg HS512 with the server's key": _hs512(claims, key),
        "tampered user id": (
            f"{header}.{_b64({**claims, 'user_id': world.admin.pk})}.{signature}"
        ),
        "expired": _signed(claims, exp=now - 60),
        "not valid yet": _signed(claims, nbf=now + 3600),
        "refresh token": str(RefreshToken.for_user(world.basic)),
        "no token type": _signed(no_type),
        "deactivated user": str(AccessToken.for_user(world.inactive)),
        "deleted user": deleted_token,
        "unknown user id": _signed(claims, user_id=deleted.pk),
    }


# Signed with the server's key, so only a leaked key could mint them: still no
# 500, whatever the claim holds.
ODD_USER_ID_CLAIMS: list[Any] = ["abc", "1 OR 1=1", [1], {"id": 1}, 1.5, 2**70, -1]

# Bearer headers that carry no single token: refused like a bad token.
MALFORMED_BEARER_HEADERS = ["Bearer", "Bearer  ", "Bearer a b", "Bearer\ta.b.c"]
# Other schemes carry no credentials this API reads: the caller is anonymous.
NOT_BEARER_HEADERS = [
    "Token abc",
    "Basic Zm9vOmJhcg==",
    "JWT abc",
    "bearer-ish abc",
]


def _assert_401(response: Any) -> None:
    assert response.status_code == HTTPStatus.UNAUTHORIZED, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")
    error_body(response)


def _with_header(value: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=value)
    return client


def _authenticating_operations() -> list[Operation]:
    return [op for op in operations() if op.authenticates]


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.mark.parametrize("op", _authenticating_operations(), ids=lambda op: op.key)
def test_bad_credentials_are_a_401_that_changes_nothing(
    world: World, op: Operation
) -> None:
    claims = dict(AccessToken.for_user(world.basic).payload)
    tokens = bad_bearer_tokens(world) | {
        f"signed, user_id={user_id!r}": _signed(claims, user_id=user_id)
        for user_id in ODD_USER_ID_CLAIMS
    }
    anonymous_refused = (
        call(op, world, "anonymous", body=valid_body(op, world, "anonymous"))
    ).status_code == HTTPStatus.UNAUTHORIZED
    headers = [f"Bearer {token}" for token in tokens.values()]
    headers += MALFORMED_BEARER_HEADERS
    if anonymous_refused:
        headers += NOT_BEARER_HEADERS
    body = valid_body(op, world, "basic")
    before = snapshot()

    for header in headers:
        response = call(op, world, "basic", body=body, client=_with_header(header))

        assert response.status_code == HTTPStatus.UNAUTHORIZED, (header, response)
        _assert_401(response)
    assert snapshot() == before


@pytest.mark.parametrize(
    "op", [op for op in operations() if not op.authenticates], ids=lambda op: op.key
)
def test_probes_ignore_credentials_entirely(world: World, op: Operation) -> None:
    for token in bad_bearer_tokens(world).values():
        response = call(op, world, "basic", client=_with_header(f"Bearer {token}"))

        assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("user_id", ODD_USER_ID_CLAIMS, ids=repr)
def test_refresh_token_with_odd_user_id_claim_is_a_401(
    api_client: APIClient, user: User, user_id: Any
) -> None:
    refresh = RefreshToken.for_user(user)
    forged = _signed(dict(refresh.payload), user_id=user_id)

    response = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": forged}, format="json"
    )

    assert response.status_code == HTTPStatus.UNAUTHORIZED, response.content
    error_body(response)


def test_a_valid_token_passes_where_the_bad_ones_failed(world: World) -> None:
    # The control: the same requests with a real token are not refused.
    token = str(AccessToken.for_user(world.basic))

    response = _with_header(f"Bearer {token}").get("/api/v1/users/me/")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["id"] == world.basic.pk
