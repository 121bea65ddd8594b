"""``manage.py import_movielens PATH [--ratings]``: load a MovieLens data set."""

from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from ratings.loading.movielens import (
    ImportReport,
    MovieLensError,
    import_movielens,
    open_dataset,
)

PROBLEMS_SHOWN = 10


class Command(BaseCommand):
    help = (
        "Import a MovieLens data set (ml-latest-small layout: movies.csv, "
        "links.csv, ratings.csv) from a directory, a .zip or an http(s) URL of "
        "a .zip. Re-running it changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="Directory, .zip file or http(s) URL.")
        parser.add_argument(
            "--ratings",
            action="store_true",
            help="Also import the users and their ratings (ratings.csv).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=5000,
            help="Rows per INSERT/UPDATE statement (default 5000).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            with open_dataset(options["path"]) as dataset:
                report = import_movielens(
                    dataset,
                    with_ratings=options["ratings"],
                    batch_size=options["batch_size"],
                    progress=self.stdout.write,
                )
        except MovieLensError as exc:
            raise CommandError(str(exc)) from exc
        self._summary(report, with_ratings=options["ratings"])
        if options["ratings"] and report.ratings_created + report.ratings_updated:
            # The recommender learns from the ratings just imported (called by
            # name: ratings never imports the apps built on it).
            call_command("train_recommender", stdout=self.stdout)

    def _summary(self, report: ImportReport, *, with_ratings: bool) -> None:
        for problem in report.problems[:PROBLEMS_SHOWN]:
            self.stdout.write(self.style.WARNING(problem))
        if len(report.problems) > PROBLEMS_SHOWN:
            hidden = len(report.problems) - PROBLEMS_SHOWN
            self.stdout.write(self.style.WARNING(f"... and {hidden} more such ids."))
        lines = [
            f"Genres created: {report.genres_created}",
            # Every row read is counted once in what follows it.
            f"Movies: {report.movies_read} read, {report.movies_created} created, "
            f"{report.movies_merged} merged, {report.movies_updated} updated, "
            f"{report.movies_unchanged} unchanged",
        ]
        if with_ratings:
            lines += [
                f"Users created: {report.users_created}",
                f"Ratings: {report.ratings_read} read, {report.ratings_created} "
                f"created, {report.ratings_updated} updated, "
                f"{report.ratings_unchanged} unchanged, "
                f"{report.ratings_superseded} superseded by a later row, "
                f"{report.ratings_skipped} skipped",
                f"Movie aggregates rebuilt: {report.aggregates_corrected}",
                f"User ratings counts rebuilt: {report.counts_corrected}",
            ]
        lines.append(f"Done in {report.seconds:.1f} s.")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
