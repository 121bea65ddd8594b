from collections.abc import Sequence
from typing import Any

from django.db.models import Avg, QuerySet
from django.shortcuts import get_object_or_404
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from movieratings.request import caller
from movieratings.throttling import ScopedThrottleMixin
from users import brute_force, services
from users.filters import UserFilterSet
from users.models import User
from users.permissions import IsAdminRole, IsSelfOrAdmin, is_admin
from users.schema import auth_schema, user_schema
from users.serializers import (
    AdminUserCreateSerializer,
    MeSerializer,
    PasswordChangeSerializer,
    PrivateUserSerializer,
    PublicUserSerializer,
    RefreshInputSerializer,
    SignInSerializer,
    TokenObtainSerializer,
    UserCreateSerializer,
)


@auth_schema
class AuthViewSet(ScopedThrottleMixin, viewsets.GenericViewSet[User]):
    """Sign up, sign in with JWT, rotate and revoke refresh tokens."""

    permission_classes = [AllowAny]
    throttle_scopes = {"signup": "signup", "token": "login", "refresh": "login"}

    def get_permissions(self) -> Sequence[Any]:
        if self.action == "logout":
            return [IsAuthenticated()]
        return super().get_permissions()

    @action(detail=False, methods=["post"], serializer_class=UserCreateSerializer)
    def signup(self, request: Request) -> Response:
        serializer = UserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(**serializer.validated_data)
        body = {
            "user": PrivateUserSerializer(user).data,
            **services.tokens_for_user(user=user),
        }
        return Response(body, status=status.HTTP_201_CREATED)

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

    @action(detail=False, methods=["post"], serializer_class=RefreshInputSerializer)
    def logout(self, request: Request) -> Response:
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.token_revoke(user=caller(request), **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


@user_schema
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
        users = User.objects.order_by("id")
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

    def perform_update(self, serializer: BaseSerializer[User]) -> None:
        services.user_update(
            actor=caller(self.request),
            user=serializer.instance,  # type: ignore[arg-type]
            **serializer.validated_data,
        )

    def perform_destroy(self, instance: User) -> None:
        services.user_delete(actor=caller(self.request), user=instance)

    @action(detail=False, methods=["get", "patch"])
    def me(self, request: Request) -> Response:
        self.kwargs[self.lookup_field] = str(request.user.pk)
        if request.method == "PATCH":
            return self.partial_update(request)
        return self.retrieve(request)

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
