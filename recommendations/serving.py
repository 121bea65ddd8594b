"""Which item model this process serves: the active one, loaded once.

Every request asks ``served()``. The active version is looked up in the
cache (filled from the database on a miss, kept ``RECOMMENDATIONS_VERSION_TTL``
seconds; training announces a new version there when it commits), so a
request costs no query while the version holds. When it changes, one thread
of the process reads the new artefact while the others go on serving the
model they have. An artefact this server cannot read (another format, or
damaged) is logged once and skipped: the process keeps the model it has, or
serves none (callers then answer from popularity), never an error.
"""

import logging
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from recommendations.artefact import FORMAT_VERSION, ArtefactError, ItemModel, decode
from recommendations.models import RecommenderModel

logger = logging.getLogger(__name__)

VERSION_KEY = "recommendations:active-version"
# Cached when no model is active: a miss would ask the database every time.
_NO_MODEL = (0, 0)


@dataclass(frozen=True)
class Served:
    """A loaded model and the version (``RecommenderModel`` id) it was read from."""

    version: int
    model: ItemModel


_lock = threading.Lock()
_served: Served | None = None
# Versions this process could not read: logged once, never read again.
_unreadable: set[int] = set()


def active_version() -> tuple[int, int] | None:
    """Return (version, format version) of the active model, None if there is none."""
    cached = cache.get(VERSION_KEY)
    if cached is None:
        row = (
            RecommenderModel.objects.filter(is_active=True)
            .values_list("pk", "format_version")
            .first()
        )
        cached = tuple(row) if row is not None else _NO_MODEL
        cache.set(VERSION_KEY, cached, settings.RECOMMENDATIONS_VERSION_TTL)
    version, format_version = cached
    return None if version == 0 else (int(version), int(format_version))


def announce(*, version: int, format_version: int) -> None:
    """Tell every process sharing the cache that ``version`` is now active."""
    cache.set(
        VERSION_KEY, (version, format_version), settings.RECOMMENDATIONS_VERSION_TTL
    )


def served() -> Served | None:
    """Return the model to serve: the active one once loaded, else the last one."""
    active = active_version()
    current = _served
    if active is None:
        return None
    version, format_version = active
    if current is not None and current.version == version:
        return current
    if version in _unreadable:
        return current
    if format_version != FORMAT_VERSION:
        _unreadable.add(version)
        logger.warning(
            "Recommender model %s has format %s; this server reads format %s. "
            "Ignored until train_recommender writes a model of this format.",
            version,
            format_version,
            FORMAT_VERSION,
        )
        return current
    # Only the first load makes requests wait; later ones serve the old model.
    if not _lock.acquire(blocking=current is None):
        return current
    try:
        return _load(version)
    finally:
        _lock.release()


def _load(version: int) -> Served | None:
    global _served
    current = _served
    if current is not None and current.version == version:
        return current  # Another thread loaded it meanwhile.
    blob = (
        RecommenderModel.objects.filter(pk=version)
        .values_list("artefact", flat=True)
        .first()
    )
    try:
        if blob is None:
            raise ArtefactError("it no longer exists")
        model = decode(bytes(blob))
    except ArtefactError as exc:
        _unreadable.add(version)
        logger.warning("Recommender model %s ignored: %s", version, exc)
        return current
    _served = Served(version=version, model=model)
    logger.info(
        "Serving recommender model %s: %s films, %s bytes in memory.",
        version,
        len(model.item_ids),
        model.nbytes,
    )
    return _served


def forget() -> None:
    """Drop what this process loaded (tests start from a fresh process state)."""
    global _served
    with _lock:
        _served = None
        _unreadable.clear()
