"""The OpenAPI description of the users app: its extensions (imported in
``UsersConfig.ready``) and one decorator per view."""

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)

from movieratings.openapi import ErrorSerializer, view_schema
from users.serializers import (
    AdminUserCreateSerializer,
    MeSerializer,
    PasswordChangeSerializer,
    PrivateUserSerializer,
    PublicUserSerializer,
    RefreshInputSerializer,
    SelfUpdateSerializer,
    SignupResponseSerializer,
    TokenObtainSerializer,
    TokenPairSerializer,
    UserCreateSerializer,
    UserUpdateSerializer,
)


class JWTScheme(SimpleJWTScheme):
    """Document our JWT authentication as simplejwt's Bearer scheme."""

    target_class = "users.authentication.JWTAuthentication"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        definition: dict[str, Any] = dict(super().get_security_definition(auto_schema))
        definition["description"] = (
            "A JWT access token from `POST /api/v1/auth/token/` (or sign-up), "
            "sent as `Authorization: Bearer <access>`. It lasts 15 minutes by "
            "default; `POST /api/v1/auth/token/refresh/` gives a new pair."
        )
        return definition


class PublicUserSchema(OpenApiSerializerExtension):
    """Document a public user as exactly its four fields.

    ``GET users/{id}/`` answers a private or a public user (``oneOf``). A
    private user has every public field, so unless the public shape is closed
    a private user would match both and the ``oneOf`` none.
    """

    target_class = "users.serializers.PublicUserSerializer"

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_basic_serializer(
            self.target, direction
        )
        return {**schema, "additionalProperties": False}


# Schema examples of the sign-up and sign-in exchanges (shapes of real bodies).
_ACCESS_EXAMPLE = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.x1"
)
_REFRESH_EXAMPLE = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.x2"
)
_SIGNUP_EXAMPLES = [
    OpenApiExample(
        "Sign up",
        request_only=True,
        value={
            "email": "ada@example.com",
            "username": "ada",
            "password": "analytical-engine-1843",
        },
    ),
    OpenApiExample(
        "Signed up",
        response_only=True,
        status_codes=["201"],
        value={
            "user": {
                "id": 42,
                "email": "ada@example.com",
                "username": "ada",
                "first_name": "",
                "last_name": "",
                "role": "basic",
                "is_active": True,
                "date_joined": "2026-01-15T18:30:00Z",
                "ratings_count": 0,
            },
            "access": _ACCESS_EXAMPLE,
            "refresh": _REFRESH_EXAMPLE,
        },
    ),
]
_TOKEN_EXAMPLES = [
    OpenApiExample(
        "Sign in",
        request_only=True,
        value={"email": "ada@example.com", "password": "analytical-engine-1843"},
    ),
    OpenApiExample(
        "Token pair",
        response_only=True,
        status_codes=["200"],
        value={"access": _ACCESS_EXAMPLE, "refresh": _REFRESH_EXAMPLE},
    ),
]

auth_schema = view_schema(
    extend_schema(tags=["auth"]),
    extend_schema_view(
        signup=extend_schema(
            summary="Sign up (role basic)",
            description="Create an account with the role `basic` and sign it in: "
            "the response holds the new user and a token pair. The email is unique "
            "whatever its case; the password must pass the password validators.",
            request=UserCreateSerializer,
            responses={201: SignupResponseSerializer},
            examples=_SIGNUP_EXAMPLES,
            auth=[],
        ),
        token=extend_schema(
            summary="Obtain an access/refresh token pair",
            request=TokenObtainSerializer,
            responses={200: TokenPairSerializer},
            examples=_TOKEN_EXAMPLES,
            auth=[],
            description="Five wrong passwords for one account from one client "
            "lock that client out of the account for 15 minutes, and fifty failures "
            "lock a client out of every account: 429, with a `Retry-After` counting "
            "down the time left. Sign-ins from other clients are not affected. The "
            "Django admin's sign-in shares the same count.",
        ),
        refresh=extend_schema(
            summary="Rotate a refresh token (the old one stops working)",
            description="Send the refresh token; get a new access token and a new "
            "refresh token. The refresh token sent is spent: using it again is a "
            "401.",
            request=RefreshInputSerializer,
            responses={200: TokenPairSerializer},
            auth=[],
        ),
        logout=extend_schema(
            summary="Sign out: revoke a refresh token",
            description="Needs both tokens: the access token authenticates the "
            "request (`Authorization: Bearer <access>`) and the body names the "
            "refresh token to revoke, which must be the caller's. That refresh "
            "token can no longer be used, and every access token of the account stops "
            "working at once; the account's other sessions go on by refreshing "
            "their own refresh tokens.",
            request=RefreshInputSerializer,
            responses={204: OpenApiResponse(description="Signed out.")},
        ),
    ),
)

user_schema = view_schema(
    extend_schema(tags=["users"]),
    extend_schema_view(
        list=extend_schema(summary="List users (admin)"),
        create=extend_schema(
            summary="Create a user (admin)",
            request=AdminUserCreateSerializer,
            responses={201: PrivateUserSerializer},
        ),
        retrieve=extend_schema(
            summary="A user: private for self and admins, public for others",
            responses={
                200: PolymorphicProxySerializer(
                    component_name="UserDetail",
                    serializers=[PrivateUserSerializer, PublicUserSerializer],
                    resource_type_field_name=None,
                )
            },
        ),
        partial_update=extend_schema(
            summary="Change a user (self: names; admin: also email, role, is_active)",
            request=UserUpdateSerializer,
            responses={200: PrivateUserSerializer},
        ),
        destroy=extend_schema(
            summary="Delete a user and their ratings (self or admin)",
            responses={
                204: OpenApiResponse(description="Deleted."),
                400: OpenApiResponse(
                    ErrorSerializer,
                    description="An admin cannot delete their own account: another "
                    "admin must.",
                ),
            },
        ),
    ),
    extend_schema_view(
        me=[
            extend_schema(
                methods=["PATCH"],
                summary="Change your own account",
                description="Change your username and names. Admins may also send "
                "`email`, `role` and `is_active`, as with `PATCH users/{id}/` (but "
                "never demote or deactivate themselves); from anyone else these are a "
                "403.",
                request=SelfUpdateSerializer,
                responses={200: MeSerializer},
            ),
            extend_schema(
                methods=["GET"],
                summary="Your own account",
                responses={200: MeSerializer},
            ),
        ],
        password=extend_schema(
            summary="Change your password (signs out every session)",
            description="Every refresh and access token issued so far stops "
            "working, this request's too: sign in again with the new password.",
            request=PasswordChangeSerializer,
            responses={204: OpenApiResponse(description="Password changed.")},
        ),
    ),
)
