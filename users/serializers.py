from typing import Any

from rest_framework import serializers
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer

from movieratings.serializers import StrictStringsMixin
from users.models import Role, User, UsernameValidator
from users.tokens import RefreshToken

# Usernames are taken as sent: a surrounding space is refused as the schema's
# pattern refuses it, not trimmed. Emails and usernames are unique whatever
# their case (users_user_email_ci_unique, users_user_username_ci_unique): the
# services report a taken one from the database's constraint.
_USERNAME = {"trim_whitespace": False, "validators": [UsernameValidator()]}


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
        extra_kwargs = {"username": _USERNAME}


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

    email = serializers.EmailField(max_length=254)
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
