"""``manage.py train_recommender``: learn the item model from the ratings table."""

from argparse import ArgumentParser
from dataclasses import fields
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from recommendations.learning import Hyperparameters
from recommendations.services import recommender_train


class Command(BaseCommand):
    help = (
        "Learn the recommender (EASE item model) from every rating, store it and "
        "make it the active model. Servers keep answering meanwhile and move to "
        "the new model once it is stored."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        defaults = Hyperparameters()
        for option in fields(Hyperparameters):
            parser.add_argument(
                "--" + option.name.replace("_", "-"),
                type=type(getattr(defaults, option.name)),
                default=getattr(defaults, option.name),
                help=f"Default {getattr(defaults, option.name)}.",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        values = {
            option.name: options[option.name] for option in fields(Hyperparameters)
        }
        if any(value < 0 for value in values.values()):
            raise CommandError("Options cannot be negative.")
        row, report = recommender_train(params=Hyperparameters(**values))
        if not report.items:
            self.stdout.write(
                self.style.WARNING(
                    "No film has enough ratings to learn from: recommendations "
                    "stay popular until there are more."
                )
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Recommender model {row.pk} ({row.algorithm}): {report.items} films "
                f"learned from {report.ratings} ratings by {report.users} users; "
                f"{row.artefact_bytes / 2**20:.1f} MiB in memory; trained in "
                f"{row.training_seconds:.1f} s."
            )
        )
