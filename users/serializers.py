from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.validators import UniqueValidator
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer

from movieratings.serializers import StrictStringsMixin
from users.models import Role, User, UsernameValidator
from users.tokens import RefreshToken

_unique_email = UniqueValidator(
    queryset=User.objects.all(),
    lookup="iexact",
    message="A user with this email already exists.",
)
# Usernames are unique whatever their case (users_user_username_ci_unique),
# and taken as sent: a surrounding space is refused as the schema's pattern
# refuses it, not trimmed.
_USERNAME = {
    "trim_whitespace": False,
    "validators": [
        UsernameValidator(),
        UniqueValidator(
            queryset=User.objects.all(),
            lookup="iexact",
            message="A user with that username already exists.",
        ),
    ],
}


class PublicUserSerializer(serializers.ModelSerializer[User]):
    """What anyone signed in may see of another user."""

    ratings_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "date_joined", "ratings_count"]
        read_only_fields = fields


class PrivateUserSerializer(StrictStringsMixin, serializers.ModelSerializer[User]):
    """A user as they and admins see them."""

    ratings_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "username",
            "first_name",
            "last_name",
            "role",
            "is_active",
            "date_joined",
            "ratings_count",
        ]
        read_only_fields = ["id", "date_joined", "ratings_count"]
        extra_kwargs = {
            "email": {"validators": [_unique_email]},
            "username": _USERNAME,
        }


class MeSerializer(PrivateUserSerializer):
    """The caller's own account, with the mean of the scores they gave."""

    average_score = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Mean score given, null if none."
    )

    class Meta(PrivateUserSerializer.Meta):
        fields = [*PrivateUserSerializer.Meta.fields, "average_score"]
        read_only_fields = [
            *PrivateUserSerializer.Meta.read_only_fields,
            "average_score",
        ]


class SelfUpdateSerializer(PrivateUserSerializer):
    """Changes to your own account: your public handle and your names.

    The schema's request body of ``PATCH users/me/``: what every caller may
    change (admins may send more, as ``PATCH users/{id}/`` documents).
    """

    class Meta(PrivateUserSerializer.Meta):
        fields = ["username", "first_name", "last_name"]
        read_only_fields = []


class UserUpdateSerializer(PrivateUserSerializer):
    """Changes to a user. Admins may change every field here; a user changing
    their own account only ``username``, ``first_name`` and ``last_name`` (any
    other field is a 403 and nothing is applied).
    """


class UserCreateSerializer(StrictStringsMixin, serializers.ModelSerializer[User]):
    """Input of sign-up and of admin user creation."""

    email = serializers.EmailField(max_length=254, validators=[_unique_email])
    password = serializers.CharField(
        write_only=True,
        max_length=128,
        trim_whitespace=False,
        style={"input_type": "password"},
    )

    class Meta:
        model = User
        fields = ["email", "username", "password"]
        extra_kwargs = {"username": _USERNAME}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        candidate = User(email=attrs["email"], username=attrs["username"])
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": exc.messages}) from exc
        return attrs


class AdminUserCreateSerializer(UserCreateSerializer):
    role = serializers.ChoiceField(choices=Role.choices, default=Role.BASIC)

    class Meta(UserCreateSerializer.Meta):
        fields = [*UserCreateSerializer.Meta.fields, "role"]

    def to_representation(self, instance: User) -> dict[str, Any]:
        # The response is the created user as admins see them, not the input.
        return PrivateUserSerializer(instance, context=self.context).data


class SignupResponseSerializer(serializers.Serializer[Any]):
    user = PrivateUserSerializer()
    access = serializers.CharField()
    refresh = serializers.CharField()


class TokenObtainSerializer(StrictStringsMixin, serializers.Serializer[Any]):
    """Input of sign-in: the account's email and password."""

    email = serializers.CharField(max_length=254, write_only=True)
    password = serializers.CharField(
        max_length=128,
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
    )


class SignInSerializer(TokenObtainPairSerializer):
    """Check the credentials through ``authenticate()``; issue a versioned pair."""

    token_class = RefreshToken


class TokenPairSerializer(serializers.Serializer[Any]):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshInputSerializer(StrictStringsMixin, serializers.Serializer[Any]):
    """Input of token refresh and sign-out: a refresh token."""

    refresh = serializers.CharField(max_length=4096)


class PasswordChangeSerializer(StrictStringsMixin, serializers.Serializer[Any]):
    """Input of a password change: the current password and the new one."""

    old_password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )
    new_password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )
