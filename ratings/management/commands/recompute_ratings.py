"""``manage.py recompute_ratings``: rebuild the stored rating aggregates and counts."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from movies import aggregates
from movies.models import Movie
from ratings.services import user_ratings_count_rebuild
from users.models import User

IDS_SHOWN = 20


class Command(BaseCommand):
    help = (
        "Rebuild every movie's stored rating aggregates and every user's stored "
        "ratings count from the ratings table, and report the movies and users "
        "whose stored values were wrong."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=2000,
            help="Movies (or users) locked and rebuilt per transaction (default 2000).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        total = Movie.objects.count()
        corrected = aggregates.rebuild(batch_size=options["batch_size"])
        self._report(total, "movies", "aggregates", corrected)
        total = User.objects.count()
        corrected = user_ratings_count_rebuild(batch_size=options["batch_size"])
        self._report(total, "users", "ratings counts", corrected)

    def _report(self, total: int, rows: str, what: str, corrected: list[int]) -> None:
        if not corrected:
            self.stdout.write(
                self.style.SUCCESS(f"Checked {total} {rows}: all {what} exact.")
            )
            return
        shown = ", ".join(str(pk) for pk in corrected[:IDS_SHOWN])
        more = (
            f" and {len(corrected) - IDS_SHOWN} more"
            if len(corrected) > IDS_SHOWN
            else ""
        )
        self.stdout.write(
            self.style.WARNING(
                f"Checked {total} {rows}: corrected the {what} of "
                f"{len(corrected)} (ids {shown}{more})."
            )
        )
