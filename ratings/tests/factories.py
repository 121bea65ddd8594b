from decimal import Decimal
from typing import Any

import factory
from factory.django import DjangoModelFactory

from movies.tests.factories import MovieFactory
from ratings import services
from ratings.models import Rating
from users.tests.factories import UserFactory


class RatingFactory(DjangoModelFactory[Rating]):
    """A rating created through ratings.services, so aggregates stay exact."""

    class Meta:
        model = Rating

    user = factory.SubFactory(UserFactory)
    movie = factory.SubFactory(MovieFactory)
    score = Decimal("3.5")
    review = ""

    @classmethod
    def _create(cls, model_class: type[Rating], *args: Any, **kwargs: Any) -> Rating:
        return services.rating_create(**kwargs)
