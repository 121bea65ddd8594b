"""``manage.py seed_synthetic``: add MovieLens-like synthetic data for benchmarks."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ratings.loading.synthetic import seed_synthetic


class Command(BaseCommand):
    help = (
        "Add new synthetic users (synthetic_<n>), movies and ratings shaped like "
        "MovieLens: skewed popularity and activity, MovieLens score distribution, "
        "one rating per (user, movie). Existing data is left alone."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--movies", type=int, required=True, help="Movies to add.")
        parser.add_argument("--users", type=int, required=True, help="Users to add.")
        parser.add_argument(
            "--ratings", type=int, required=True, help="Ratings to add."
        )
        parser.add_argument(
            "--seed", type=int, default=None, help="Random seed (repeatable data)."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=10_000,
            help="Rows per INSERT statement where COPY is unavailable.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("movies", "users", "ratings"):
            if options[name] < 0:
                raise CommandError(f"--{name} cannot be negative.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            report = seed_synthetic(
                movies=options["movies"],
                users=options["users"],
                ratings=options["ratings"],
                seed=options["seed"],
                batch_size=options["batch_size"],
                progress=self.stdout.write,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        rate = report.ratings / report.seconds if report.seconds else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {report.users} users, {report.movies} movies and "
                f"{report.ratings} ratings in {report.seconds:.1f} s "
                f"({rate:,.0f} ratings/s overall)."
            )
        )
