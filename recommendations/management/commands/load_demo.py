"""``manage.py load_demo``: the shipped MovieLens sample, ratings and model, once."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from ratings.models import Rating
from recommendations.models import RecommenderModel

DEMO_DATASET = Path(settings.BASE_DIR) / "data" / "ml-latest-small.zip"
# The importer names MovieLens user N "movielens_N".
MOVIELENS_USERS = "movielens_"


class Command(BaseCommand):
    help = (
        "Import the MovieLens sample shipped in data/ml-latest-small.zip (9,742 "
        "films, 100,836 ratings by 610 people) with its ratings, unless its "
        "ratings are already there, and train the recommender if no model is "
        "active. Running it again does nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--path", default=str(DEMO_DATASET), help="Another MovieLens zip."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        verbosity = options["verbosity"]
        if Rating.objects.filter(user__username__startswith=MOVIELENS_USERS).exists():
            self.stdout.write("The MovieLens demo ratings are loaded already.")
        elif not path.is_file():
            raise CommandError(f"{path} is missing: no demo data to load.")
        else:
            call_command(
                "import_movielens",
                str(path),
                ratings=True,
                stdout=self.stdout,
                verbosity=verbosity,
            )
        if not RecommenderModel.objects.filter(is_active=True).exists():
            call_command("train_recommender", stdout=self.stdout, verbosity=verbosity)
