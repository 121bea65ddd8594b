"""pg_trgm's similarity measures in Python, for databases without pg_trgm.

``similarity`` and ``strict_word_similarity`` return what PostgreSQL's
functions of those names return (https://www.postgresql.org/docs/current/pgtrgm.html),
so that SQLite ranks search results as PostgreSQL does; ``movies.search``
registers them as SQLite functions. Plain Python, no Django.
"""

import functools
import re

_LEFT, _RIGHT = 1, 2
_WORD_RE = re.compile(r"[^\W_]+")


@functools.lru_cache(maxsize=65536)
def _trigrams(text: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Return the trigrams of ``text``'s words in order, and the word bounds.

    As pg_trgm: each word (a run of letters and digits), lower-cased, is
    padded with two spaces before and one after; the first trigram of a word
    is its left bound, the last its right bound.
    """
    trigrams: list[str] = []
    bounds: list[int] = []
    for word in _WORD_RE.findall(text.lower()):
        padded = f"  {word} "
        count = len(padded) - 2
        trigrams += (padded[i : i + 3] for i in range(count))
        bounds += [_LEFT] + [0] * (count - 1)
        bounds[-1] |= _RIGHT
    return tuple(trigrams), tuple(bounds)


def _ratio(common: int, first: int, second: int) -> float:
    return common / (first + second - common)


def similarity(first: str | None, second: str | None) -> float:
    """Return pg_trgm's ``similarity``: shared unique trigrams over all of them."""
    if first is None or second is None:
        return 0.0
    one, two = set(_trigrams(first)[0]), set(_trigrams(second)[0])
    if not one or not two:
        return 0.0
    return _ratio(len(one & two), len(one), len(two))


def strict_word_similarity(query: str | None, text: str | None) -> float:
    """Return pg_trgm's ``strict_word_similarity(query, text)``.

    The greatest similarity between the query's trigrams and those of a run
    of whole words of ``text``, found in one pass as pg_trgm does
    (``iterate_word_similarity`` in its ``trgm_op.c``).
    """
    if query is None or text is None:
        return 0.0
    wanted = set(_trigrams(query)[0])
    trigrams, bounds = _trigrams(text)
    if not wanted or not trigrams:
        return 0.0
    if wanted.isdisjoint(trigrams):
        return 0.0
    ulen1 = len(wanted)
    last_position: dict[str, int] = {}
    ulen2 = count = 0
    lower, best = 0, 0.0
    for i, trigram in enumerate(trigrams):
        if last_position.get(trigram, -1) < 0:
            ulen2 += 1
            count += trigram in wanted
        last_position[trigram] = i
        if not bounds[i] & _RIGHT:
            continue
        upper = i
        current = _ratio(count, ulen1, ulen2)
        # Also try later word starts as the lower bound of the run.
        tmp_count, tmp_ulen2, previous_lower = count, ulen2, lower
        for tmp_lower in range(lower, upper + 1):
            if bounds[tmp_lower] & _LEFT:
                candidate = _ratio(tmp_count, ulen1, tmp_ulen2)
                if candidate > current:
                    current, ulen2, lower, count = (
                        candidate,
                        tmp_ulen2,
                        tmp_lower,
                        tmp_count,
                    )
            dropped = trigrams[tmp_lower]
            if last_position[dropped] == tmp_lower:
                tmp_ulen2 -= 1
                tmp_count -= dropped in wanted
        best = max(best, current)
        for tmp_lower in range(previous_lower, lower):
            dropped = trigrams[tmp_lower]
            if last_position[dropped] == tmp_lower:
                last_position[dropped] = -1
    return best
