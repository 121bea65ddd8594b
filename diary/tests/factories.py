import datetime

import factory
from factory.django import DjangoModelFactory

from diary.models import DiaryEntry
from movies.tests.factories import MovieFactory
from users.tests.factories import UserFactory


class DiaryEntryFactory(DjangoModelFactory[DiaryEntry]):
    """A diary entry written directly: it rates nothing (as an import's entries)."""

    class Meta:
        model = DiaryEntry

    user = factory.SubFactory(UserFactory, password=None)
    movie = factory.SubFactory(MovieFactory)
    watched_on = factory.Sequence(
        lambda n: datetime.date(2020, 1, 1) + datetime.timedelta(days=n)
    )
    score = None
    review = ""
