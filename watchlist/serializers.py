from rest_framework import serializers

from movies.serializers import MovieSummarySerializer
from watchlist.models import WatchlistEntry


class WatchlistEntrySerializer(serializers.ModelSerializer[WatchlistEntry]):
    """A film on a watchlist, with the time it was put there."""

    movie = MovieSummarySerializer(read_only=True)

    class Meta:
        model = WatchlistEntry
        fields = ["movie", "added_at"]
        read_only_fields = fields
