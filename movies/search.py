"""Title search by relevance, the same on PostgreSQL and SQLite.

Both sides are normalised with ``movies.titles.normalize_title`` (the movie's
stored ``title_key`` and the query), so case, accents, punctuation and
articles never matter. Typos are forgiven with trigrams, as PostgreSQL's
pg_trgm measures them: ``strict_word_similarity(query, key)`` compares the
query with the run of whole words of the title that it resembles most (so
"star wars" scores 1.0 against "star wars episode iv a new hope"), and
``similarity(query, key)`` compares whole strings.

A film matches when its key starts with the query, has words like the
query's (strict word similarity of at least
``STRICT_WORD_SIMILARITY_THRESHOLD``), or, for a short query, resembles it as
a whole (similarity of at least ``SIMILARITY_THRESHOLD``: one dropped letter
in a short title leaves too few trigrams for the first measure; for longer
queries this arm would only add candidates to check). The
order is: the exact title, then titles that start with the query or have a
word that does, then the others; within each, the closest spelling (word
similarity, then whole-title similarity), then the more rated film, then the
id. A query of one or two characters matches title prefixes only.

On PostgreSQL the match uses pg_trgm's ``%>>`` and ``%`` operators (Django's
``trigram_strict_word_similar`` and ``trigram_similar``), served by the
trigram GIN index on ``title_key``, and a prefix ``LIKE`` served by its b-tree
index (the "C" collation makes that possible). A substring ``LIKE '%query%'``
would also need the trigram index, but joined to the others by OR it tips the
planner into scanning the table, which evaluates the trigram functions on
every row: several times slower. SQLite has no pg_trgm, so
``prepare_connection`` registers its two functions, ported in
``movies.trigrams``, under the same names: the query is the same and scores
the same (a PostgreSQL test compares them). A fuzzy-matching library such as
rapidfuzz was not taken for that side because its measures (edit-distance
ratios) score and rank differently from pg_trgm, and both databases must give
the same answers. SQLite evaluates the functions on every row (no index):
fine for development catalogues, slow for large ones (see the README).
"""

from typing import Any

from django.contrib.postgres.lookups import TrigramSimilar, TrigramStrictWordSimilar
from django.contrib.postgres.search import (
    TrigramSimilarity,
    TrigramStrictWordSimilarity,
)
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.lookups import GreaterThanOrEqual

from movies.models import Movie
from movies.titles import normalize_title
from movies.trigrams import similarity, strict_word_similarity

# From these scores on a title matches: pg_trgm's defaults for its %>> and %
# operators (pg_trgm.strict_word_similarity_threshold, .similarity_threshold),
# which PostgreSQL applies; SQLite compares with these values.
STRICT_WORD_SIMILARITY_THRESHOLD = 0.5
SIMILARITY_THRESHOLD = 0.3
# Queries this short match as title prefixes only (too few trigrams).
PREFIX_ONLY_LENGTH = 2
# Queries up to this long also match by whole-title similarity.
SHORT_QUERY_LENGTH = 8

EXACT, PREFIX_OR_WORD, SIMILAR = 0, 1, 2


def movie_search(movies: QuerySet[Movie, Any], *, query: str) -> QuerySet[Movie, Any]:
    """Return the movies of ``movies`` that match ``query``, best first."""
    key = normalize_title(query)
    if not key:
        return movies.none()
    rank = Case(
        When(title_key=key, then=Value(EXACT)),
        When(
            Q(title_key__startswith=key) | Q(title_key__contains=f" {key}"),
            then=Value(PREFIX_OR_WORD),
        ),
        default=Value(SIMILAR),
        output_field=IntegerField(),
    )
    if len(key) <= PREFIX_ONLY_LENGTH:
        return movies.filter(title_key__startswith=key).order_by(
            rank, F("rating_count").desc(), "id"
        )
    word_similarity = TrigramStrictWordSimilarity(key, "title_key")
    title_similarity = TrigramSimilarity("title_key", key)
    short = len(key) <= SHORT_QUERY_LENGTH
    if connections[movies.db].vendor == "postgresql":
        # The operators, not the functions, so that the trigram index serves.
        resembles = Q(TrigramStrictWordSimilar(F("title_key"), Value(key)))
        if short:
            resembles |= Q(TrigramSimilar(F("title_key"), Value(key)))
    else:
        resembles = Q(
            GreaterThanOrEqual(word_similarity, STRICT_WORD_SIMILARITY_THRESHOLD)
        )
        if short:
            resembles |= Q(GreaterThanOrEqual(title_similarity, SIMILARITY_THRESHOLD))
    return movies.filter(Q(title_key__startswith=key) | resembles).order_by(
        rank,
        word_similarity.desc(),
        title_similarity.desc(),
        F("rating_count").desc(),
        "id",
    )


def prepare_connection(
    sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any
) -> None:
    """Give a new SQLite connection pg_trgm's two functions that search uses."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function(
        "strict_word_similarity", 2, strict_word_similarity, deterministic=True
    )
    raw.create_function("similarity", 2, similarity, deterministic=True)
