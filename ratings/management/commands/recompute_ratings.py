"""``manage.py recompute_ratings``: rebuild every movie's rating aggregates."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from movies import aggregates
from movies.models import Movie

IDS_SHOWN = 20


class Command(BaseCommand):
    help = (
        "Rebuild every movie's stored rating aggregates from the ratings table "
        "and report the movies whose stored values were wrong."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=2000,
            help="Movies locked and rebuilt per transaction (default 2000).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        total = Movie.objects.count()
        corrected = aggregates.rebuild(batch_size=options["batch_size"])
        if not corrected:
            self.stdout.write(
                self.style.SUCCESS(f"Checked {total} movies: all aggregates exact.")
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
                f"Checked {total} movies: corrected the aggregates of "
                f"{len(corrected)} (ids {shown}{more})."
            )
        )
