"""The API's operations, read from its OpenAPI schema, and how to call each one.

The OWASP tests and the bad-input matrix iterate over ``operations()``, the
operations of the schema that the server generates, so that a route added
without a way to call it here (``SPECS``) fails their coverage checks instead
of going untested.

``World`` is a small, complete data set in which every operation can succeed
for someone: a basic user, another basic user, an admin, a target user for
admin actions and a deactivated user; a genre; a movie that the first three
rated, an unrated movie, and a movie rated by the target and the deactivated
user. The private attributes of the users (email, names) are distinctive so
that a leak is found by searching response bodies for them.
"""

import datetime
import functools
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from diary.models import DiaryEntry
from diary.tests.factories import DiaryEntryFactory
from movies.models import Genre, Movie
from movies.tests.factories import GenreFactory, MovieFactory
from ratings import services as rating_services
from ratings.models import Rating
from users.models import Role, User
from users.tests.factories import DEFAULT_PASSWORD, UserFactory
from watchlist import services as watchlist_services

RoleName = Literal["anonymous", "basic", "admin"]
ROLES: tuple[RoleName, ...] = ("anonymous", "basic", "admin")
STRONG_PASSWORD = "a-long-passphrase-1"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
ERROR_KEYS = {"detail", "code", "fields"}


@dataclass(frozen=True)
class Operation:
    """One method on one path of the schema, e.g. ``PUT /api/v1/movies/{id}/``."""

    method: str
    path: str
    spec: dict[str, Any] = field(compare=False, hash=False, repr=False)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def request_media_type(self) -> str | None:
        """Return the request body's media type (JSON, or a multipart upload)."""
        content = self.spec.get("requestBody", {}).get("content", {})
        return next(iter(content), None)

    @property
    def takes_upload(self) -> bool:
        return self.request_media_type == "multipart/form-data"

    @property
    def request_schema(self) -> dict[str, Any]:
        """Return the request body's schema, references resolved."""
        content = self.spec.get("requestBody", {}).get("content", {})
        body = content.get(self.request_media_type, {}).get("schema", {})
        return resolve(body)

    @property
    def request_properties(self) -> dict[str, dict[str, Any]]:
        return {
            name: resolve(prop)
            for name, prop in self.request_schema.get("properties", {}).items()
        }

    @property
    def query_parameters(self) -> set[str]:
        return {
            parameter["name"]
            for parameter in self.spec.get("parameters", [])
            if parameter["in"] == "query"
        }

    @property
    def documented_statuses(self) -> set[int]:
        return {int(code) for code in self.spec["responses"]}

    @property
    def authenticates(self) -> bool:
        """Return whether the operation reads a token (and so may answer 401)."""
        return 401 in self.documented_statuses


@functools.cache
def schema() -> dict[str, Any]:
    """Return the OpenAPI schema exactly as ``/api/schema/`` serves it."""
    return SchemaGenerator().get_schema(request=None, public=True)


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Return ``node`` with a top-level ``$ref`` (and an allOf of one) resolved."""
    while True:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            node = schema()["components"]["schemas"][name]
        elif len(node.get("allOf", [])) == 1:
            node = {**node, **node["allOf"][0]}
            del node["allOf"]
        else:
            return node


def operations() -> list[Operation]:
    return [
        Operation(method.upper(), path, spec)
        for path, methods in schema()["paths"].items()
        for method, spec in methods.items()
    ]


def write_operations() -> list[Operation]:
    return [op for op in operations() if op.method in WRITE_METHODS]


def json_write_operations() -> list[Operation]:
    """Return the write operations whose body is JSON (all but file uploads)."""
    return [op for op in write_operations() if not op.takes_upload]


def operation(key: str) -> Operation:
    return next(op for op in operations() if op.key == key)


# --- the world every operation is called in ----------------------------------


@dataclass
class World:
    basic: User
    other: User
    admin: User
    subject: User
    inactive: User
    genre: Genre
    movie: Movie
    spare: Movie
    classic: Movie
    basic_rating: Rating
    other_rating: Rating
    admin_rating: Rating
    subject_rating: Rating
    _clients: dict[int | None, APIClient] = field(default_factory=dict)
    # One diary entry of ``world.movie`` per user, by user id.
    diary_entries: dict[int, DiaryEntry] = field(default_factory=dict)

    def user(self, role: RoleName) -> User | None:
        return {"anonymous": None, "basic": self.basic, "admin": self.admin}[role]

    def client(self, role: RoleName) -> APIClient:
        return self.client_of(self.user(role))

    def client_of(self, user: User | None) -> APIClient:
        key = None if user is None else user.pk
        if key not in self._clients:
            client = APIClient()
            if user is not None:
                token = RefreshToken.for_user(user).access_token
                client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            self._clients[key] = client
        return self._clients[key]

    @property
    def users(self) -> list[User]:
        return [self.basic, self.other, self.admin, self.subject, self.inactive]

    def secrets_of_others(self, viewer: User | None) -> list[str]:
        """Return the private attributes of every user but ``viewer``."""
        return [
            secret
            for user in self.users
            if viewer is None or user.pk != viewer.pk
            for secret in (user.email, user.first_name, user.last_name)
        ]


def build_world() -> World:
    """Create the world (see the module docstring); ratings go through services."""

    def person(label: str, **extra: Any) -> User:
        # Distinctive private attributes: found in a body, they are a leak.
        return UserFactory.create(
            email=f"{label}-secret-{next(_unique)}@mail.example",
            first_name=f"Firstname{label.capitalize()}{next(_unique)}",
            last_name=f"Lastname{label.capitalize()}{next(_unique)}",
            **extra,
        )

    basic, other = person("basic"), person("other")
    admin = person("admin", role=Role.ADMIN)
    subject, inactive = person("subject"), person("inactive")
    genre = GenreFactory.create()
    movie, spare, classic = MovieFactory.create_batch(3, genres=[genre])

    def rate(user: User, on: Movie, score: str) -> Rating:
        return rating_services.rating_create(
            user=user, movie=on, score=Decimal(score), review=f"by {user.username}"
        )

    world = World(
        basic=basic,
        other=other,
        admin=admin,
        subject=subject,
        inactive=inactive,
        genre=genre,
        movie=movie,
        spare=spare,
        classic=classic,
        basic_rating=rate(basic, movie, "4.0"),
        other_rating=rate(other, movie, "3.5"),
        admin_rating=rate(admin, movie, "2.0"),
        subject_rating=rate(subject, classic, "5.0"),
    )
    rate(inactive, classic, "1.5")
    # Listed again after rating it: adding it is a 200, removing it a 204.
    for user in (basic, admin):
        watchlist_services.watchlist_add(user=user, movie=movie)
    for user in (basic, other, admin):
        world.diary_entries[user.pk] = DiaryEntryFactory.create(
            user=user, movie=movie, watched_on=datetime.date(2024, 3, 9)
        )
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    inactive.refresh_from_db()
    for role in ROLES:
        world.client(role)  # Issue the tokens now, before any snapshot.
    return world


# --- how to call each operation ---------------------------------------------

_unique = itertools.count(1)
Params = Callable[[World, User | None, bool], dict[str, int]]
Body = Callable[[World, User | None], dict[str, Any] | None]


def _none(world: World, actor: User | None, legit: bool) -> dict[str, int]:
    return {}


def _genre(world: World, actor: User | None, legit: bool) -> dict[str, int]:
    return {"id": world.genre.pk}


def _movie(world: World, actor: User | None, legit: bool) -> dict[str, int]:
    return {"id": world.movie.pk}


def _rating(world: World, actor: User | None, legit: bool) -> dict[str, int]:
    # Someone else's rating for the permission table; the caller's own (which
    # they may change) for the input tests.
    if legit and actor is not None:
        return {"id": Rating.objects.get(user=actor, movie=world.movie).pk}
    return {"id": world.other_rating.pk}


def _user(world: World, actor: User | None, legit: bool) -> dict[str, int]:
    # Another user for the permission table and for admins; basic users
    # legitimately change only their own account.
    if legit and actor is not None and not actor.is_admin:
        return {"id": actor.pk}
    return {"id": world.subject.pk}


def _rated_by(world: World, actor: User | None, legit: bool) -> dict[str, int]:
    return {"id": world.other.pk}


def _diary_entry(world: World, actor: User | None, legit: bool) -> dict[str, int]:
    # Someone else's entry for the permission table; the caller's own for the
    # input tests.
    owner = actor if legit and actor is not None else world.other
    return {"id": world.diary_entries[owner.pk].pk}


def _viewing(world: World, actor: User | None) -> dict[str, Any]:
    day = datetime.date(2000, 1, 1) + datetime.timedelta(days=next(_unique))
    return {
        "movie": world.spare.pk,
        "watched_on": day.isoformat(),
        "score": 3.5,
        "review": "Seen it.",
    }


def _refresh_of(world: World, actor: User | None) -> dict[str, Any]:
    return {"refresh": str(RefreshToken.for_user(actor or world.basic))}


def _history_file(world: World, actor: User | None) -> dict[str, Any]:
    """An IMDb ratings export that rates the spare movie (a new file each call)."""
    movie = world.spare
    data = (
        "Const,Your Rating,Date Rated,Title,Title Type,Year\r\n"
        f"{movie.imdb_id},7,2020-01-02,{movie.title},Movie,{movie.year}\r\n"
    )
    return {"file": SimpleUploadedFile("ratings.csv", data.encode(), "text/csv")}


def _signup_body(world: World, actor: User | None) -> dict[str, Any]:
    n = next(_unique)
    password = "pw-" * 7
    return {"email": f"new{n}@example.com", "username": f"new{n}", "password": password}


@dataclass(frozen=True)
class Spec:
    """How to call one operation in a ``World``.

    ``params`` fills the path; ``body`` builds a valid body (new unique values
    on every call); ``input_roles`` are the roles whose valid call succeeds, the
    callers of the input tests (bad input, property-level authorization).
    """

    params: Params = _none
    body: Body = lambda world, actor: None
    input_roles: tuple[RoleName, ...] = ()


SPECS: dict[str, Spec] = {
    "POST /api/v1/auth/signup/": Spec(body=_signup_body, input_roles=("anonymous",)),
    "POST /api/v1/auth/token/": Spec(
        body=lambda w, a: {"email": w.basic.email, "password": DEFAULT_PASSWORD},
        input_roles=("anonymous",),
    ),
    "POST /api/v1/auth/token/refresh/": Spec(
        body=_refresh_of, input_roles=("anonymous",)
    ),
    "POST /api/v1/auth/logout/": Spec(body=_refresh_of, input_roles=("basic",)),
    "GET /api/v1/genres/": Spec(),
    "POST /api/v1/genres/": Spec(
        body=lambda w, a: {"name": f"Genre New {next(_unique)}"},
        input_roles=("admin",),
    ),
    "GET /api/v1/genres/{id}/": Spec(params=_genre),
    "PATCH /api/v1/genres/{id}/": Spec(
        params=_genre,
        body=lambda w, a: {"name": f"Genre Renamed {next(_unique)}"},
        input_roles=("admin",),
    ),
    "DELETE /api/v1/genres/{id}/": Spec(params=_genre),
    "GET /api/v1/movies/": Spec(),
    "POST /api/v1/movies/": Spec(
        body=lambda w, a: {
            "title": f"New Movie {next(_unique)}",
            "year": 1999,
            "genres": [w.genre.slug],
        },
        input_roles=("admin",),
    ),
    "GET /api/v1/movies/{id}/": Spec(params=_movie),
    "PUT /api/v1/movies/{id}/": Spec(
        params=_movie,
        body=lambda w, a: {
            "title": f"Replaced {next(_unique)}",
            "year": 2001,
            "genres": [],
        },
        input_roles=("admin",),
    ),
    "PATCH /api/v1/movies/{id}/": Spec(
        params=_movie,
        body=lambda w, a: {"title": f"Retitled {next(_unique)}"},
        input_roles=("admin",),
    ),
    "DELETE /api/v1/movies/{id}/": Spec(params=_movie),
    "GET /api/v1/movies/{id}/rating/": Spec(params=_movie),
    "PUT /api/v1/movies/{id}/rating/": Spec(
        params=_movie,
        body=lambda w, a: {"score": 4.5, "review": "Better the second time."},
        input_roles=("basic", "admin"),
    ),
    "DELETE /api/v1/movies/{id}/rating/": Spec(params=_movie),
    "GET /api/v1/movies/{id}/ratings/": Spec(params=_movie),
    "GET /api/v1/movies/{id}/similar/": Spec(params=_movie),
    "GET /api/v1/ratings/": Spec(),
    "POST /api/v1/ratings/": Spec(
        body=lambda w, a: {"movie": w.spare.pk, "score": 3.0, "review": "Fine."},
        input_roles=("basic", "admin"),
    ),
    "GET /api/v1/ratings/{id}/": Spec(params=_rating),
    "PUT /api/v1/ratings/{id}/": Spec(
        params=_rating,
        body=lambda w, a: {"score": 2.0, "review": "Changed my mind."},
        input_roles=("basic",),
    ),
    "PATCH /api/v1/ratings/{id}/": Spec(
        params=_rating, body=lambda w, a: {"score": 2.5}, input_roles=("basic",)
    ),
    "DELETE /api/v1/ratings/{id}/": Spec(params=_rating),
    "GET /api/v1/users/": Spec(),
    "POST /api/v1/users/": Spec(
        body=lambda w, a: {**_signup_body(w, a), "role": "basic"},
        input_roles=("admin",),
    ),
    "GET /api/v1/users/{id}/": Spec(params=_user),
    "PATCH /api/v1/users/{id}/": Spec(
        params=_user,
        body=lambda w, a: {"first_name": f"Changed{next(_unique)}"},
        input_roles=("basic", "admin"),
    ),
    "DELETE /api/v1/users/{id}/": Spec(params=_user),
    "GET /api/v1/users/{id}/ratings/": Spec(params=_rated_by),
    "GET /api/v1/users/{id}/recommendations/": Spec(params=_user),
    "GET /api/v1/users/me/": Spec(),
    "PATCH /api/v1/users/me/": Spec(
        body=lambda w, a: {"last_name": f"Changed{next(_unique)}"},
        input_roles=("basic", "admin"),
    ),
    "POST /api/v1/users/me/password/": Spec(
        body=lambda w, a: {
            "old_password": DEFAULT_PASSWORD,
            "new_password": f"a-fresh-passphrase-{next(_unique)}",
        },
        input_roles=("basic",),
    ),
    "GET /api/v1/users/me/ratings/": Spec(),
    "POST /api/v1/users/me/imports/": Spec(
        body=_history_file, input_roles=("basic", "admin")
    ),
    "GET /api/v1/users/me/export/": Spec(),
    "PUT /api/v1/movies/{id}/watchlist/": Spec(
        params=_movie, body=lambda w, a: {}, input_roles=("basic", "admin")
    ),
    "DELETE /api/v1/movies/{id}/watchlist/": Spec(params=_movie),
    "GET /api/v1/users/me/watchlist/": Spec(),
    "GET /api/v1/users/{id}/watchlist/": Spec(params=_rated_by),
    "GET /api/v1/users/me/diary/": Spec(),
    "POST /api/v1/users/me/diary/": Spec(body=_viewing, input_roles=("basic", "admin")),
    "PATCH /api/v1/users/me/diary/{id}/": Spec(
        params=_diary_entry,
        body=lambda w, a: {"review": f"Changed {next(_unique)}"},
        input_roles=("basic", "admin"),
    ),
    "DELETE /api/v1/users/me/diary/{id}/": Spec(params=_diary_entry),
    "GET /api/v1/users/{id}/diary/": Spec(params=_rated_by),
    "GET /api/v1/users/me/stats/": Spec(),
    "GET /api/v1/users/{id}/stats/": Spec(params=_rated_by),
    "GET /api/v1/users/me/recommendations/": Spec(),
    "GET /healthz/": Spec(),
    "GET /readyz/": Spec(),
}


def url(op: Operation, world: World, actor: User | None, *, legit: bool) -> str:
    return op.path.format(**SPECS[op.key].params(world, actor, legit))


def call(
    op: Operation,
    world: World,
    role: RoleName,
    *,
    legit: bool = False,
    body: Any = None,
    raw: bytes | None = None,
    content_type: str = "application/json",
    client: APIClient | None = None,
    path: str | None = None,
) -> Any:
    """Send ``op`` as ``role``; ``body`` is encoded, ``raw`` sent as it is.

    ``body`` is JSON, or a multipart form for an operation that takes an upload.
    """
    actor = world.user(role)
    if raw is None and body is not None and op.takes_upload:
        raw = encode_multipart(BOUNDARY, body)
        content_type = MULTIPART_CONTENT
    elif raw is None and body is not None:
        raw = json.dumps(body).encode()
    return (client or world.client(role)).generic(
        op.method,
        path or url(op, world, actor, legit=legit),
        # Django sends bytes as they are (the stubs say str): invalid UTF-8 too.
        data=raw or b"",  # type: ignore[arg-type]
        content_type=content_type,
    )


def valid_body(op: Operation, world: World, role: RoleName) -> dict[str, Any] | None:
    return SPECS[op.key].body(world, world.user(role))


def input_cases() -> list[tuple[Operation, RoleName]]:
    """Return each write operation with each role whose valid call succeeds."""
    return [
        (op, role)
        for op in write_operations()
        if op.key in SPECS
        for role in SPECS[op.key].input_roles
    ]


# --- what the database holds --------------------------------------------------

_SNAPSHOT_MODELS = (
    "users.User",
    "movies.Genre",
    "movies.Movie",
    "ratings.Rating",
    "watchlist.WatchlistEntry",
    "diary.DiaryEntry",
    "token_blacklist.OutstandingToken",
    "token_blacklist.BlacklistedToken",
)


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of the API's tables (and movie-genre links), in order."""
    models: list[type[Model]] = [apps.get_model(name) for name in _SNAPSHOT_MODELS]
    rows = {
        model._meta.label: list(model._default_manager.order_by("pk").values_list())
        for model in models
    }
    rows["movie_genres"] = list(
        Movie.genres.through.objects.order_by("pk").values_list()
    )
    return rows


def content_of(response: Any) -> bytes:
    """Return a response's body, streamed (the CSV export) or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return bytes(response.content)


def error_body(response: Any) -> dict[str, Any]:
    """Return the body of an error response after checking its shape."""
    assert response["Content-Type"].startswith("application/json"), response
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    for key in ("detail", "code"):
        assert isinstance(body[key], str), body
        assert body[key], body
    assert isinstance(body["fields"], dict), body
    return body
