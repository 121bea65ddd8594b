import factory
from factory.django import DjangoModelFactory

from movies.tests.factories import MovieFactory
from users.tests.factories import UserFactory
from watchlist.models import WatchlistEntry


class WatchlistEntryFactory(DjangoModelFactory[WatchlistEntry]):
    class Meta:
        model = WatchlistEntry

    user = factory.SubFactory(UserFactory, password=None)
    movie = factory.SubFactory(MovieFactory)
