from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from movies import aggregates
from movies.models import Movie


class Command(BaseCommand):
    help = (
        "Load the curated movie fixture (fixtures/movies.json) when the catalogue "
        "is empty. With --force, load it over existing data and then rebuild the "
        "rating aggregates that loaddata resets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even when movies exist (fixture rows overwrite their copies).",
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if Movie.objects.exists() and not force:
            self.stdout.write("The catalogue has movies already: fixture not loaded.")
            return
        call_command("loaddata", "movies", verbosity=options["verbosity"])
        if force:
            # loaddata writes whole rows, aggregates included: derive them again.
            corrected = aggregates.rebuild()
            self.stdout.write(f"Rebuilt the aggregates of {len(corrected)} movies.")
