from collections.abc import Sequence
from typing import Any

from django.db.models import Avg, Count, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from movieratings.openapi import ErrorSerializer
from movieratings.request import caller
from movieratings.throttling import ScopedThrottleMixin
from users import brute_force, services
from users.filters import UserFilterSet
from users.models import User
from users.permissions import IsAdminRole, IsSelfOrAdmin, is_admin
from users.serializers import (
    AdminUserCreateSerializer,
    MeSerializer,
    PasswordChangeSerializer,
    PrivateUserSerializer,
    PublicUserSerializer,
    RefreshInputSerializer,
    SelfUpdateSerializer,
    SignInSerializer,
    SignupResponseSerializer,
    TokenObtainSerializer,
    TokenPairSerializer,
    UserCreateSerializer,
    UserUpdateSerializer,
)

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


@extend_schema(tags=["auth"])
class AuthViewSet(ScopedThrottleMixin, viewsets.GenericViewSet[User]):
    """Sign up, sign in with JWT, rotate and revoke refresh tokens."""

    permission_classes = [AllowAny]
    throttle_scopes = {"signup": "signup", "token": "login", "refresh": "login"}

    def get_permissions(self) -> Sequence[Any]:
        if self.action == "logout":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(
        summary="Sign up (role basic)",
        description="Create an account with the role `basic` and sign it in: the "
        "response holds the new user and a token pair. The email is unique "
        "whatever its case; the password must pass the password validators.",
        request=UserCreateSerializer,
        responses={201: SignupResponseSerializer},
        examples=_SIGNUP_EXAMPLES,
        auth=[],
    )
    @action(detail=False, methods=["post"], serializer_class=UserCreateSerializer)
    def signup(self, request: Request) -> Response:
        serializer = UserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(**serializer.validated_data)
        user.ratings_count = 0  # type: ignore[attr-defined]
        body = {
            "user": PrivateUserSerializer(user).data,
            **services.tokens_for_user(user=user),
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Obtain an access/refresh token pair",
        request=TokenObtainSerializer,
        responses={200: TokenPairSerializer},
        examples=_TOKEN_EXAMPLES,
        auth=[],
        description="Five wrong passwords for one account from one client lock "
        "that client out of the account for 15 minutes, and fifty failures lock "
        "a client out of every account: 429, with a `Retry-After` counting down "
        "the time left. Sign-ins from other clients are not affected. The "
        "Django admin's sign-in shares the same count.",
    )
    @action(detail=False, methods=["post"], serializer_class=TokenObtainSerializer)
    def token(self, request: Request) -> Response:
        credentials = TokenObtainSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        email = credentials.validated_data["email"]
        # authenticate() gets the request: django-axes counts the failure.
        serializer = SignInSerializer(data=request.data, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
        except AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):
                raise Throttled(
                    wait=brute_force.retry_after(request=request, email=email),
                    detail="Too many failed sign-ins. Try again later.",
                ) from None
            raise
        brute_force.forget_failures(request=request, email=email)
        return Response(serializer.validated_data)

    @extend_schema(
        summary="Rotate a refresh token (the old one stops working)",
        description="Send the refresh token; get a new access token and a new "
        "refresh token. The refresh token sent is spent: using it again is a 401.",
        request=RefreshInputSerializer,
        responses={200: TokenPairSerializer},
        auth=[],
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="token/refresh",
        serializer_class=RefreshInputSerializer,
    )
    def refresh(self, request: Request) -> Response:
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.token_refresh(**serializer.validated_data))

    @extend_schema(
        summary="Sign out: revoke a refresh token",
        description="Needs both tokens: the access token authenticates the "
        "request (`Authorization: Bearer <access>`) and the body names the "
        "refresh token to revoke, which must be the caller's. That refresh token "
        "can no longer be used, and every access token of the account stops "
        "working at once; the account's other sessions go on by refreshing "
        "their own refresh tokens.",
        request=RefreshInputSerializer,
        responses={204: OpenApiResponse(description="Signed out.")},
    )
    @action(detail=False, methods=["post"], serializer_class=RefreshInputSerializer)
    def logout(self, request: Request) -> Response:
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.token_revoke(user=caller(request), **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["users"])
@extend_schema_view(
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
)
class UserViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[User],
):
    filterset_class = UserFilterSet
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[User]:
        users = User.objects.annotate(ratings_count=Count("ratings")).order_by("id")
        if self.action == "me":
            users = users.annotate(average_score=Avg("ratings__score"))
        if not is_admin(self.request):
            # Deactivated accounts are hidden from everyone but admins.
            users = users.filter(is_active=True)
        return users

    def get_permissions(self) -> Sequence[Any]:
        if self.action in {"list", "create"}:
            return [IsAdminRole()]
        return [IsAuthenticated(), IsSelfOrAdmin()]

    def get_serializer_class(self) -> type[BaseSerializer[User]]:
        if self.action == "create":
            return AdminUserCreateSerializer
        if self.action == "me":
            return MeSerializer
        if self.action == "retrieve" and not self._sees_private():
            return PublicUserSerializer
        return PrivateUserSerializer

    def _sees_private(self) -> bool:
        user_id = self.kwargs.get(self.lookup_field)
        return is_admin(self.request) or str(self.request.user.pk) == str(user_id)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Reading another user's public profile needs no object permission.
        user = self.get_object() if self._sees_private() else self._get_public_user()
        return Response(self.get_serializer(user).data)

    def _get_public_user(self) -> User:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs[self.lookup_field])

    def perform_create(self, serializer: BaseSerializer[User]) -> None:
        serializer.instance = services.user_create(**serializer.validated_data)
        serializer.instance.ratings_count = 0  # type: ignore[attr-defined]

    def perform_update(self, serializer: BaseSerializer[User]) -> None:
        services.user_update(
            actor=caller(self.request),
            user=serializer.instance,  # type: ignore[arg-type]
            **serializer.validated_data,
        )

    def perform_destroy(self, instance: User) -> None:
        services.user_delete(actor=caller(self.request), user=instance)

    @extend_schema(
        methods=["GET"], summary="Your own account", responses={200: MeSerializer}
    )
    @extend_schema(
        methods=["PATCH"],
        summary="Change your own account",
        description="Change your username and names. Admins may also send "
        "`email`, `role` and `is_active`, as with `PATCH users/{id}/` (but never "
        "demote or deactivate themselves); from anyone else these are a 403.",
        request=SelfUpdateSerializer,
        responses={200: MeSerializer},
    )
    @action(detail=False, methods=["get", "patch"])
    def me(self, request: Request) -> Response:
        self.kwargs[self.lookup_field] = str(request.user.pk)
        if request.method == "PATCH":
            return self.partial_update(request)
        return self.retrieve(request)

    @extend_schema(
        summary="Change your password (signs out every session)",
        description="Every refresh and access token issued so far stops working, "
        "this request's too: sign in again with the new password.",
        request=PasswordChangeSerializer,
        responses={204: OpenApiResponse(description="Password changed.")},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="me/password",
        serializer_class=PasswordChangeSerializer,
        permission_classes=[IsAuthenticated],
    )
    def password(self, request: Request) -> Response:
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_change_password(user=caller(request), **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
