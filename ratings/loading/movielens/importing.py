"""Writing a MovieLens data set into the catalogue, stage by stage."""

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from movies import aggregates
from movies.models import Genre, Movie
from movies.signals import catalogue_changed
from movies.titles import normalize_title
from ratings.loading.bulkload import insert_instances, insert_rows
from ratings.loading.movielens.reading import (
    Dataset,
    LinkRow,
    MovieLensError,
    MovieRow,
    RatingRow,
    genre_slug,
    read_links,
    read_movies,
    read_ratings,
)
from ratings.models import Rating
from ratings.services import user_ratings_count_rebuild
from users.models import Role, User

USERNAME_PREFIX = "movielens_"
EMAIL_DOMAIN = "movielens.invalid"


@dataclass
class ImportReport:
    genres_created: int = 0
    movies_read: int = 0
    movies_created: int = 0
    movies_merged: int = 0
    movies_updated: int = 0
    movies_unchanged: int = 0
    users_created: int = 0
    ratings_read: int = 0
    ratings_created: int = 0
    ratings_updated: int = 0
    ratings_unchanged: int = 0
    ratings_superseded: int = 0
    ratings_skipped: int = 0
    aggregates_corrected: int = 0
    counts_corrected: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


Progress = Callable[[str], None]


@dataclass
class _KnownMovie:
    pk: int
    movielens_id: int | None
    imdb_id: str | None
    tmdb_id: int | None
    year: int | None
    has_genres: bool


def _genres_ensure(names: set[str], report: ImportReport) -> dict[str, int]:
    """Return {genre name: pk}, creating the genres that do not exist yet."""
    existing = list(Genre.objects.values_list("pk", "name", "slug"))
    by_slug = {slug: pk for pk, _name, slug in existing}
    by_name = {name.casefold(): pk for pk, name, _slug in existing}
    missing = {
        genre_slug(name): name
        for name in sorted(names)
        if genre_slug(name) not in by_slug and name.casefold() not in by_name
    }
    Genre.objects.bulk_create(
        [Genre(name=name, slug=slug) for slug, name in missing.items()]
    )
    report.genres_created = len(missing)
    for pk, name, slug in Genre.objects.values_list("pk", "name", "slug"):
        by_slug[slug], by_name[name.casefold()] = pk, pk
    return {
        name: by_slug.get(genre_slug(name)) or by_name[name.casefold()]
        for name in names
    }


class _Owners:
    """Which movie holds each IMDb or TMDB id, to keep those ids unique."""

    def __init__(self, what: str, owners: dict[Any, int], report: ImportReport):
        self.what, self.owners, self.report = what, owners, report

    def claim(self, value: Any, holder: int, row: MovieRow) -> Any:
        """Give ``value`` to ``holder``; return None if another movie holds it."""
        if value is None:
            return None
        owner = self.owners.setdefault(value, holder)
        if owner != holder:
            self.report.problems.append(
                f"{self.what} {value} of movieId {row.movielens_id} ({row.title}) "
                "belongs to another movie: left blank."
            )
            return None
        return value


def _catalogue_import(
    movies: list[MovieRow],
    links: dict[int, LinkRow],
    *,
    batch_size: int,
    report: ImportReport,
) -> None:
    genre_pks = _genres_ensure({g for movie in movies for g in movie.genres}, report)
    with_genres = set(
        Movie.genres.through.objects.values_list("movie_id", flat=True).distinct()
    )
    known = [
        _KnownMovie(*values, has_genres=values[0] in with_genres)
        for values in Movie.objects.values_list(
            "pk", "movielens_id", "imdb_id", "tmdb_id", "year"
        )
    ]
    by_movielens = {m.movielens_id: m for m in known if m.movielens_id is not None}
    by_imdb = {m.imdb_id: m for m in known if m.imdb_id is not None}
    imdb = _Owners("IMDb id", {m.imdb_id: m.pk for m in known if m.imdb_id}, report)
    tmdb = _Owners("TMDB id", {m.tmdb_id: m.pk for m in known if m.tmdb_id}, report)
    new_movies: list[Movie] = []
    changed: dict[int, Movie] = {}
    changed_fields: dict[str, list[Movie]] = defaultdict(list)
    genres_for: dict[int, tuple[str, ...]] = {}  # MovieLens id -> genres to add

    for row in movies:
        link = links.get(row.movielens_id, LinkRow(None, None))
        movie = by_movielens.get(row.movielens_id)
        merging = False
        if movie is None and link.imdb_id is not None:
            candidate = by_imdb.get(link.imdb_id)
            if candidate is not None and candidate.movielens_id is None:
                movie, merging = candidate, True
        if movie is None:
            holder = -1 - len(new_movies)  # New movies have no pk yet.
            new_movies.append(
                Movie(
                    title=row.title,
                    title_key=normalize_title(row.title),  # insert_rows skips save()
                    year=row.year,
                    movielens_id=row.movielens_id,
                    imdb_id=imdb.claim(link.imdb_id, holder, row),
                    tmdb_id=tmdb.claim(link.tmdb_id, holder, row),
                )
            )
            genres_for[row.movielens_id] = row.genres
            continue
        # An existing film keeps what the catalogue says; fill in the blanks.
        updates: dict[str, Any] = {}
        if merging:
            updates["movielens_id"] = movie.movielens_id = row.movielens_id
            by_movielens[row.movielens_id] = movie
        if movie.imdb_id is None and imdb.claim(link.imdb_id, movie.pk, row):
            updates["imdb_id"] = movie.imdb_id = link.imdb_id
        if movie.tmdb_id is None and tmdb.claim(link.tmdb_id, movie.pk, row):
            updates["tmdb_id"] = movie.tmdb_id = link.tmdb_id
        if movie.year is None and row.year is not None:
            updates["year"] = movie.year = row.year
        if not movie.has_genres and row.genres:
            movie.has_genres = True
            genres_for[row.movielens_id] = row.genres
        elif not updates:
            report.movies_unchanged += 1
            continue
        report.movies_merged += merging
        report.movies_updated += not merging
        instance = changed[movie.pk] = Movie(pk=movie.pk, updated_at=timezone.now())
        for name, value in updates.items():
            setattr(instance, name, value)
            changed_fields[name].append(instance)

    insert_instances(new_movies, batch_size=batch_size)
    report.movies_created = len(new_movies)
    for name, group in changed_fields.items():
        Movie.objects.bulk_update(group, [name], batch_size=batch_size)
    Movie.objects.bulk_update(changed.values(), ["updated_at"], batch_size=batch_size)
    pks = movielens_movie_pks()
    insert_rows(
        Movie.genres.through,
        ["movie", "genre"],
        (
            (pks[movielens_id], genre_pks[name])
            for movielens_id, names in genres_for.items()
            for name in names
        ),
        ignore_conflicts=True,
        batch_size=batch_size,
    )
    if report.genres_created or new_movies or changed:
        # bulk_create, bulk_update() and COPY send no signal: announce them.
        catalogue_changed(changed)


def movielens_movie_pks() -> dict[int, int]:
    """Return {MovieLens id: movie pk} of every movie that has one."""
    rows = Movie.objects.filter(movielens_id__isnull=False).values_list(
        "movielens_id", "pk"
    )
    return {movielens_id: pk for movielens_id, pk in rows if movielens_id is not None}


def movielens_username(user_id: int) -> str:
    return f"{USERNAME_PREFIX}{user_id}"


def _movielens_users() -> dict[str, int]:
    return dict(
        User.objects.filter(username__startswith=USERNAME_PREFIX).values_list(
            "username", "pk"
        )
    )


def _users_import(
    user_ids: set[int], *, batch_size: int, report: ImportReport
) -> dict[int, int]:
    """Create the missing MovieLens users; return {MovieLens userId: pk}."""
    existing = _movielens_users()
    new_users = [
        User(
            username=movielens_username(user_id),
            email=f"{movielens_username(user_id)}@{EMAIL_DOMAIN}",
            password=make_password(None),
            role=Role.BASIC,
        )
        for user_id in sorted(user_ids)
        if movielens_username(user_id) not in existing
    ]
    User.objects.bulk_create(new_users, batch_size=batch_size, ignore_conflicts=True)
    users = _movielens_users()
    pks = {user_id: users.get(movielens_username(user_id)) for user_id in user_ids}
    missing = sorted(user_id for user_id, pk in pks.items() if pk is None)
    if missing:
        raise MovieLensError(
            f"Could not create the user of MovieLens userId {missing[0]}: "
            f"another account uses {movielens_username(missing[0])}@{EMAIL_DOMAIN}."
        )
    report.users_created = len(new_users)
    return {user_id: pk for user_id, pk in pks.items() if pk is not None}


def _ratings_import(
    ratings: list[RatingRow],
    user_pks: dict[int, int],
    *,
    batch_size: int,
    report: ImportReport,
) -> set[int]:
    """Write new and changed ratings; return the pks of the movies they touch."""
    movie_pks = movielens_movie_pks()
    existing = {
        (user_id, movie_id): (pk, score)
        for pk, user_id, movie_id, score in Rating.objects.filter(
            user__username__startswith=USERNAME_PREFIX
        ).values_list("pk", "user_id", "movie_id", "score")
    }
    wanted: dict[tuple[int, int], RatingRow] = {}
    for row in ratings:
        movie_pk = movie_pks.get(row.movie)
        if movie_pk is None:
            report.ratings_skipped += 1
            continue
        pair = (user_pks[row.user], movie_pk)
        report.ratings_superseded += pair in wanted  # The last of duplicates wins.
        wanted[pair] = row
    new_rows: list[tuple[int, int, Decimal, str, datetime, datetime]] = []
    changed: list[Rating] = []
    for (user_pk, movie_pk), row in wanted.items():
        moment = datetime.fromtimestamp(row.timestamp, tz=UTC)
        current = existing.get((user_pk, movie_pk))
        if current is None:
            new_rows.append((user_pk, movie_pk, row.score, "", moment, moment))
        elif current[1] != row.score:
            changed.append(Rating(pk=current[0], score=row.score, updated_at=moment))
    affected = {movie_pk for _user, movie_pk, *_rest in new_rows}
    report.ratings_created = insert_rows(
        Rating,
        ["user", "movie", "score", "review", "created_at", "updated_at"],
        new_rows,
        ignore_conflicts=True,
        batch_size=batch_size,
    )
    Rating.objects.bulk_update(changed, ["score", "updated_at"], batch_size=batch_size)
    report.ratings_updated = len(changed)
    # New rows a concurrent writer inserted first are there: unchanged too.
    report.ratings_unchanged = len(wanted) - report.ratings_created - len(changed)
    affected |= set(
        Rating.objects.filter(pk__in=[r.pk for r in changed]).values_list(
            "movie_id", flat=True
        )
    )
    return affected


def _movies_to_rebuild(affected: set[int]) -> QuerySet[Movie]:
    if len(affected) <= 1000:
        return Movie.objects.filter(pk__in=affected)
    # Ratings point at MovieLens movies only; this avoids a huge IN list.
    return Movie.objects.filter(movielens_id__isnull=False)


def import_movielens(
    dataset: Dataset,
    *,
    with_ratings: bool,
    batch_size: int = 5000,
    progress: Progress = lambda message: None,
) -> ImportReport:
    """Import the catalogue (and with ``with_ratings`` users and ratings)."""
    started = time.perf_counter()
    report = ImportReport()

    def stage(message: str) -> None:
        progress(
            f"[{time.perf_counter() - started:6.1f}s, cpu {time.process_time():5.1f}s]"
            f" {message}"
        )

    movies = read_movies(dataset)
    links = read_links(dataset)
    report.movies_read = len(movies)
    stage(f"Read {len(movies)} movies and {len(links)} links from {dataset.source}.")
    ratings: list[RatingRow] = []
    if with_ratings:
        ratings = read_ratings(dataset)
        report.ratings_read = len(ratings)
        stage(f"Read {len(ratings)} ratings.")
    try:
        with transaction.atomic():
            _catalogue_import(movies, links, batch_size=batch_size, report=report)
        stage(
            f"Catalogue: {report.genres_created} genres created, movies "
            f"{report.movies_created} created, {report.movies_merged} merged, "
            f"{report.movies_updated} updated, {report.movies_unchanged} unchanged."
        )
        if with_ratings:
            with transaction.atomic():
                user_pks = _users_import(
                    {row.user for row in ratings}, batch_size=batch_size, report=report
                )
            stage(
                f"Users: {len(user_pks)} in the file, {report.users_created} created."
            )
            with transaction.atomic():
                affected = _ratings_import(
                    ratings, user_pks, batch_size=batch_size, report=report
                )
                stage(
                    f"Ratings: {report.ratings_created} created, "
                    f"{report.ratings_updated} updated, "
                    f"{report.ratings_unchanged} unchanged, "
                    f"{report.ratings_superseded} superseded by a later row, "
                    f"{report.ratings_skipped} skipped (unknown movie)."
                )
                if affected:
                    corrected = aggregates.rebuild(movies=_movies_to_rebuild(affected))
                    report.aggregates_corrected = len(corrected)
                if report.ratings_created:
                    # Rows a concurrent writer inserted first were skipped:
                    # count what the table holds.
                    recounted = user_ratings_count_rebuild(
                        users=User.objects.filter(username__startswith=USERNAME_PREFIX)
                    )
                    report.counts_corrected = len(recounted)
            stage(
                f"Aggregates: {report.aggregates_corrected} movies rebuilt, "
                f"the ratings counts of {report.counts_corrected} users."
            )
    except IntegrityError as exc:
        raise MovieLensError(
            f"The database refused a row ({exc}); another process may have "
            "changed the same data. Nothing of this stage was written; re-run "
            "the import."
        ) from exc
    report.seconds = time.perf_counter() - started
    return report
