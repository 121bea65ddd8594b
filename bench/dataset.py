"""The benchmark's data: MovieLens, synthetic top-ups and planner statistics."""

from __future__ import annotations

import time
from pathlib import Path

from load import BenchError
from report import out

from movieratings.testing import Stack, sql_rows


def _count(database_url: str, table: str) -> int:
    # The table names are this module's own, never input.
    rows = sql_rows(database_url, f"SELECT count(*) FROM {table}")  # noqa: S608
    return int(rows[0][0])


def _timed(stack: Stack, *args: str) -> float:
    """Run a management command; return its wall time in seconds."""
    started = time.perf_counter()
    stack.manage(*args, timeout=3600)
    return time.perf_counter() - started


def load(
    stack: Stack, *, movielens: Path, ratings: int, movies: int
) -> tuple[int, float | None]:
    """Import MovieLens if the database is empty, then seed up to ``ratings``
    ratings and ``movies`` movies in all.

    Return the number of ratings and the import's seconds (None when the data
    was there already).
    """
    import_seconds = None
    seeded = False
    current = _count(stack.database_url, "ratings_rating")
    if current == 0:
        if not movielens.exists():
            raise BenchError(f"MovieLens not found at {movielens}")
        out(f"  importing MovieLens from {movielens} ...")
        import_seconds = _timed(stack, "import_movielens", "--ratings", str(movielens))
        current = _count(stack.database_url, "ratings_rating")
        out(f"  imported {current:,} ratings in {import_seconds:.1f}s")
    if ratings > current:
        missing = ratings - current
        # Keep MovieLens' shape: about 165 ratings per user and 10 per movie.
        users = max(1, missing // 165)
        new_movies = max(1, missing // 100)
        out(
            f"  seeding {missing:,} synthetic ratings "
            f"({new_movies:,} movies, {users:,} users) ..."
        )
        seconds = _timed(
            stack,
            "seed_synthetic",
            *("--movies", str(new_movies), "--users", str(users)),
            *("--ratings", str(missing), "--seed", "1"),
        )
        current = _count(stack.database_url, "ratings_rating")
        out(f"  now {current:,} ratings (seeding took {seconds:.1f}s)")
        seeded = True
    existing = _count(stack.database_url, "movies_movie")
    if movies > existing:
        missing = movies - existing
        out(f"  seeding {missing:,} synthetic movies ...")
        seconds = _timed(
            stack,
            "seed_synthetic",
            *("--movies", str(missing), "--users", "100"),
            *("--ratings", str(missing), "--seed", "2"),
        )
        current = _count(stack.database_url, "ratings_rating")
        out(f"  now {movies:,} movies (seeding took {seconds:.1f}s)")
        seeded = True
    # Refresh planner statistics, as autovacuum would after a bulk load.
    sql_rows(stack.database_url, "VACUUM ANALYZE")
    if seeded:
        # The recommender learns from every rating, as an operator would
        # retrain it after a load (import_movielens trained it on MovieLens).
        out("  training the recommender on every rating ...")
        seconds = _timed(stack, "train_recommender")
        out(f"  trained in {seconds:.1f}s")
    counts = [
        _count(stack.database_url, table)
        for table in ("movies_movie", "users_user", "ratings_rating")
    ]
    out(f"  data: {counts[0]:,} movies, {counts[1]:,} users, {counts[2]:,} ratings")
    return current, import_seconds
