"""OpenAPI extensions for the users app (imported in ``UsersConfig.ready``)."""

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiSerializerExtension


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
