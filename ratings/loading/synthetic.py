"""Synthetic users, movies and ratings shaped like MovieLens, for benchmarks.

A few movies get most of the ratings (a Zipf-like popularity), a few users
rate much more than the others, and scores follow the MovieLens distribution
while each movie leans better or worse than average (a Gaussian copula keeps
the overall distribution exact). Every (user, movie) pair is rated at most once.
"""

import math
import random
import time
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from statistics import NormalDist

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.text import slugify

from movies import aggregates
from movies.models import Genre, Movie
from movies.signals import catalogue_changed
from movies.titles import normalize_title
from ratings.loading.bulkload import insert_instances, insert_rows
from ratings.models import Rating
from ratings.services import user_ratings_count_rebuild
from users.models import Role, User

USERNAME_PREFIX = "synthetic_"
EMAIL_DOMAIN = "synthetic.invalid"

# Share of each score among MovieLens ratings (ml-latest-small), in percent.
SCORE_WEIGHTS: dict[Decimal, float] = {
    Decimal("0.5"): 1.4,
    Decimal("1.0"): 2.8,
    Decimal("1.5"): 1.8,
    Decimal("2.0"): 7.5,
    Decimal("2.5"): 5.5,
    Decimal("3.0"): 19.9,
    Decimal("3.5"): 13.0,
    Decimal("4.0"): 26.6,
    Decimal("4.5"): 8.5,
    Decimal("5.0"): 13.1,
}
# The MovieLens genres with how many ml-latest-small movies carry each.
GENRE_WEIGHTS: dict[str, int] = {
    "Drama": 4361,
    "Comedy": 3756,
    "Thriller": 1894,
    "Action": 1828,
    "Romance": 1596,
    "Adventure": 1263,
    "Crime": 1199,
    "Sci-Fi": 980,
    "Horror": 978,
    "Fantasy": 779,
    "Children": 664,
    "Animation": 611,
    "Mystery": 573,
    "Documentary": 440,
    "War": 382,
    "Musical": 334,
    "Western": 167,
    "IMAX": 158,
    "Film-Noir": 87,
}
# How strongly a movie's quality pulls its scores (0: not at all, 1: entirely).
QUALITY_CORRELATION = 0.45
FIRST_RATING = datetime(2000, 1, 1, tzinfo=UTC)

# fmt: off
_ADJECTIVES = (
    "Silent", "Crimson", "Hidden", "Last", "Broken", "Golden", "Endless", "Wild",
    "Midnight", "Lost", "Electric", "Frozen", "Burning", "Secret", "Distant",
    "Hollow", "Savage", "Quiet", "Restless", "Shattered", "Velvet", "Northern",
    "Forgotten", "Iron", "Paper", "Glass", "Bitter", "Sweet", "Little", "Eternal",
)
_NOUNS = (
    "Harbor", "Kingdom", "Garden", "River", "Empire", "Witness", "Horizon",
    "Stranger", "Machine", "Summer", "Winter", "Promise", "Shadow", "Island",
    "Station", "Letter", "Mirror", "Frontier", "Orchard", "Signal", "Voyage",
    "Requiem", "Lighthouse", "Carnival", "Detective", "Heist", "Dynasty", "Echo",
)
# fmt: on
_SEQUELS = ("", "", "", "", "", "", " 2", " II", " III", ": Reborn", ": The Return")


@dataclass
class SeedReport:
    users: int = 0
    movies: int = 0
    ratings: int = 0
    aggregates_rebuilt: int = 0
    counts_rebuilt: int = 0
    seconds: float = 0.0


Progress = Callable[[str], None]


def zipf_weights(
    count: int, *, exponent: float = 1.0, offset: float = 10
) -> list[float]:
    """Return Zipf-Mandelbrot weights ``1 / (rank + offset) ** exponent``."""
    return [1 / (rank + offset) ** exponent for rank in range(1, count + 1)]


def allocate(
    total: int, weights: Sequence[float], *, cap: int, rng: random.Random
) -> list[int]:
    """Draw ``total`` items over the ``weights``' indexes, at most ``cap`` each.

    A multinomial draw: what lands on a full index is drawn again over the
    others. Needs ``total <= len(weights) * cap``.
    """
    if total > len(weights) * cap:
        raise ValueError("More draws than the capacity of all items.")
    counts = [0] * len(weights)
    active = list(range(len(weights)))
    remaining = total
    while remaining:
        cumulative = list(accumulate(weights[i] for i in active))
        for index in rng.choices(active, cum_weights=cumulative, k=remaining):
            counts[index] += 1
        remaining, still_open = 0, []
        for index in active:
            if counts[index] > cap:
                remaining += counts[index] - cap
                counts[index] = cap
            elif counts[index] < cap:
                still_open.append(index)
        active = still_open
    return counts


def pick_distinct(
    count: int, cumulative: Sequence[float], *, rng: random.Random
) -> list[int]:
    """Return ``count`` distinct indexes drawn by the cumulative weights."""
    population = len(cumulative)
    if count * 3 >= population:
        # Nearly everyone: weighted rejection would spin; draw uniformly.
        return rng.sample(range(population), count)
    chosen: dict[int, None] = {}
    indexes = range(population)
    while len(chosen) < count:
        for index in rng.choices(
            indexes, cum_weights=cumulative, k=count - len(chosen)
        ):
            chosen[index] = None
    return list(chosen)


class ScoreSampler:
    """Draw scores with the MovieLens distribution, leaning per movie."""

    def __init__(self, rng: random.Random, *, correlation: float = QUALITY_CORRELATION):
        self.rng = rng
        self.scores = list(SCORE_WEIGHTS)
        total = sum(SCORE_WEIGHTS.values())
        shares = accumulate(weight / total for weight in SCORE_WEIGHTS.values())
        normal = NormalDist()
        # The score is the bucket of a standard normal, cut at these quantiles.
        self.cuts = [normal.inv_cdf(share) for share in list(shares)[:-1]]
        self.lean = correlation
        self.noise = math.sqrt(1 - correlation**2)

    def movie_quality(self) -> float:
        return self.rng.gauss(0, 1)

    def score(self, quality: float) -> Decimal:
        value = self.lean * quality + self.noise * self.rng.gauss(0, 1)
        return self.scores[bisect(self.cuts, value)]


def synthetic_title(rng: random.Random) -> str:
    adjective, noun, other = rng.choice(_ADJECTIVES), *rng.sample(_NOUNS, 2)
    pattern = rng.randrange(4)
    if pattern == 0:
        title = f"The {adjective} {noun}"
    elif pattern == 1:
        title = f"{noun} of the {adjective} {other}"
    elif pattern == 2:
        title = f"{adjective} {noun}"
    else:
        title = f"The {noun} and the {other}"
    return title + rng.choice(_SEQUELS)


def synthetic_year(rng: random.Random) -> int:
    """Return a release year, recent years being the most frequent."""
    return max(1920, 2025 - int(rng.expovariate(1 / 18)))


def _genres_ensure() -> dict[str, int]:
    """Return {name: pk} of the MovieLens genres, creating missing ones."""
    existing = {slug: pk for pk, slug in Genre.objects.values_list("pk", "slug")}
    Genre.objects.bulk_create(
        [
            Genre(name=name, slug=slugify(name))
            for name in GENRE_WEIGHTS
            if slugify(name) not in existing
        ],
        ignore_conflicts=True,
    )
    by_slug = dict(Genre.objects.values_list("slug", "pk"))
    return {name: by_slug[slugify(name)] for name in GENRE_WEIGHTS}


def _next_user_number() -> int:
    names = User.objects.filter(username__startswith=USERNAME_PREFIX).values_list(
        "username", flat=True
    )
    numbers = [
        int(n[len(USERNAME_PREFIX) :])
        for n in names
        if n[len(USERNAME_PREFIX) :].isdigit()
    ]
    return max(numbers, default=0) + 1


def _users_create(count: int, *, batch_size: int) -> list[int]:
    first = _next_user_number()
    usernames = [f"{USERNAME_PREFIX}{n}" for n in range(first, first + count)]
    insert_instances(
        [
            User(
                username=username,
                email=f"{username}@{EMAIL_DOMAIN}",
                password=make_password(None),
                role=Role.BASIC,
            )
            for username in usernames
        ],
        batch_size=batch_size,
    )
    by_name = dict(
        User.objects.filter(username__startswith=USERNAME_PREFIX).values_list(
            "username", "pk"
        )
    )
    return [by_name[username] for username in usernames]


def _movies_create(count: int, *, rng: random.Random, batch_size: int) -> list[int]:
    genre_pks = _genres_ensure()
    names, genre_weights = list(GENRE_WEIGHTS), list(GENRE_WEIGHTS.values())
    movies = [
        Movie(title=synthetic_title(rng), year=synthetic_year(rng))
        for _ in range(count)
    ]
    for movie in movies:  # bulk_create does not call save(), which derives it.
        movie.title_key = normalize_title(movie.title)
    Movie.objects.bulk_create(movies, batch_size=batch_size)
    pks = [movie.pk for movie in movies]
    if any(pk is None for pk in pks):
        raise RuntimeError("The database did not return the ids of new movies.")
    links: set[tuple[int, int]] = set()
    for pk in pks:
        for name in rng.choices(names, weights=genre_weights, k=rng.randint(1, 3)):
            links.add((pk, genre_pks[name]))
    insert_rows(
        Movie.genres.through, ["movie", "genre"], sorted(links), batch_size=batch_size
    )
    # bulk_create and COPY send no signal: announce the new genres and movies.
    catalogue_changed()
    return pks


def synthetic_ratings(
    movie_pks: Sequence[int],
    user_pks: Sequence[int],
    total: int,
    *,
    rng: random.Random,
    now: datetime,
) -> Iterator[tuple[int, int, Decimal, str, datetime, datetime]]:
    """Yield ``total`` rating rows with unique (user, movie) pairs."""
    per_movie = allocate(
        total, zipf_weights(len(movie_pks)), cap=len(user_pks), rng=rng
    )
    user_cumulative = list(accumulate(zipf_weights(len(user_pks), exponent=0.8)))
    # Popularity and activity ranks are shuffled over the new rows.
    movie_order, user_order = list(movie_pks), list(user_pks)
    rng.shuffle(movie_order)
    rng.shuffle(user_order)
    sampler = ScoreSampler(rng)
    span = (now - FIRST_RATING).total_seconds()
    for movie_pk, count in zip(movie_order, per_movie, strict=True):
        quality = sampler.movie_quality()
        for user_index in pick_distinct(count, user_cumulative, rng=rng):
            moment = FIRST_RATING + timedelta(seconds=int(rng.random() * span))
            yield (
                user_order[user_index],
                movie_pk,
                sampler.score(quality),
                "",
                moment,
                moment,
            )


def _reporting(
    rows: Iterator[tuple[int, int, Decimal, str, datetime, datetime]],
    *,
    every: int,
    progress: Progress,
    started: float,
) -> Iterator[tuple[int, int, Decimal, str, datetime, datetime]]:
    for count, row in enumerate(rows, start=1):
        yield row
        if count % every == 0:
            elapsed = time.perf_counter() - started
            progress(f"  {count} ratings written ({count / elapsed:,.0f} rows/s)")


def seed_synthetic(
    *,
    movies: int,
    users: int,
    ratings: int,
    seed: int | None = None,
    batch_size: int = 10_000,
    progress: Progress = lambda message: None,
) -> SeedReport:
    """Create new synthetic users, movies and their ratings, in one transaction."""
    if ratings > movies * users:
        raise ValueError(
            f"{ratings} ratings need at least that many (user, movie) pairs; "
            f"{users} users and {movies} movies give {movies * users}."
        )
    rng = random.Random(seed)  # noqa: S311 (benchmark data, not secrets)
    report = SeedReport()
    started = time.perf_counter()

    def timed(message: str, since: float, rows: int) -> None:
        seconds = time.perf_counter() - since
        rate = f", {rows / seconds:,.0f} rows/s" if seconds > 0 and rows else ""
        progress(f"{message} in {seconds:.1f} s{rate}.")

    with transaction.atomic():
        step = time.perf_counter()
        user_pks = _users_create(users, batch_size=batch_size)
        report.users = len(user_pks)
        timed(f"Created {users} users", step, users)
        step = time.perf_counter()
        movie_pks = _movies_create(movies, rng=rng, batch_size=batch_size)
        report.movies = len(movie_pks)
        timed(f"Created {movies} movies", step, movies)
        step = time.perf_counter()
        rows = synthetic_ratings(
            movie_pks, user_pks, ratings, rng=rng, now=datetime.now(tz=UTC)
        )
        report.ratings = insert_rows(
            Rating,
            ["user", "movie", "score", "review", "created_at", "updated_at"],
            _reporting(rows, every=250_000, progress=progress, started=step),
            batch_size=batch_size,
        )
        timed(f"Wrote {report.ratings} ratings", step, report.ratings)
        step = time.perf_counter()
        if movie_pks:
            report.aggregates_rebuilt = len(
                aggregates.rebuild(
                    movies=Movie.objects.filter(
                        pk__gte=min(movie_pks), pk__lte=max(movie_pks)
                    )
                )
            )
        timed(f"Rebuilt the aggregates of {report.aggregates_rebuilt} movies", step, 0)
        step = time.perf_counter()
        if user_pks:
            report.counts_rebuilt = len(
                user_ratings_count_rebuild(
                    users=User.objects.filter(
                        pk__gte=min(user_pks), pk__lte=max(user_pks)
                    )
                )
            )
        timed(f"Counted the ratings of {report.counts_rebuilt} users", step, 0)
        step = time.perf_counter()
    # PostgreSQL checks the ratings' deferred foreign keys here.
    timed("Committed", step, 0)
    report.seconds = time.perf_counter() - started
    return report
