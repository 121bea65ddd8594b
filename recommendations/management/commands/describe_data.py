"""``manage.py describe_data``: one paragraph on what the database holds."""

from typing import Any

from django.core.management.base import BaseCommand

from movies.models import Genre, Movie
from ratings.models import Rating
from recommendations.models import RecommenderModel
from users.models import User


class Command(BaseCommand):
    help = "Say what is loaded: films, genres, users, ratings and the recommender."

    def handle(self, *args: Any, **options: Any) -> None:
        ratings = Rating.objects.count()
        raters = Rating.objects.values("user").distinct().count()
        lines = [
            f"  Loaded: {Movie.objects.count():,} films in "
            f"{Genre.objects.count():,} genres, {ratings:,} ratings by "
            f"{raters:,} of {User.objects.count():,} users.",
        ]
        model = RecommenderModel.objects.filter(is_active=True).first()
        if model is None:
            lines.append(
                "  Recommender: not trained yet (recommendations are the most "
                "popular films); run `manage.py train_recommender`."
            )
        else:
            lines.append(
                f"  Recommender: model {model.pk} ({model.algorithm}), "
                f"{model.items:,} films learned from {model.ratings:,} ratings, "
                f"trained {model.created_at:%Y-%m-%d %H:%M} UTC."
            )
        self.stdout.write("\n".join(["", *lines]))
