from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from movies.models import Genre, Movie


class GenreFactory(DjangoModelFactory[Genre]):
    class Meta:
        model = Genre
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Genre {n}")
    slug = factory.LazyAttribute(lambda genre: genre.name.lower().replace(" ", "-"))


class MovieFactory(DjangoModelFactory[Movie]):
    """A movie without ratings; rate it with ratings.services.rating_create."""

    class Meta:
        model = Movie
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Movie {n}")
    year = 1995
    overview = ""
    imdb_id = factory.Sequence(lambda n: f"tt{n:07d}")
    tmdb_id = factory.Sequence(lambda n: n + 1)

    @factory.post_generation
    def genres(self, create: bool, extracted: list[Genre] | None) -> None:
        if create and extracted:
            self.genres.set(extracted)


def rate(movie: Movie, *scores: str) -> None:
    """Give ``movie`` one rating per score, each by a new user.

    Ratings go through ratings.services so that the stored aggregates are the
    real ones.
    """
    from ratings.services import rating_create
    from users.tests.factories import UserFactory

    for score in scores:
        # No password: hashing one is slow and these users never sign in.
        rater = UserFactory.create(password=None)
        rating_create(user=rater, movie=movie, score=Decimal(score))
