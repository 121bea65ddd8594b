"""OpenAPI extensions for the users app (imported in ``UsersConfig.ready``)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class JWTScheme(SimpleJWTScheme):
    """Document our JWT authentication as simplejwt's Bearer scheme."""

    target_class = "users.authentication.JWTAuthentication"
