"""Training: read the ratings table, learn, store the model and switch to it.

The ratings are read once, outside any transaction, and learning holds no
lock: servers answer as usual meanwhile. The new model is written and made
the active one in one transaction, and announced once it commits.
"""

import logging
import time
from dataclasses import asdict
from functools import partial
from itertools import chain

import numpy as np
from django.db import IntegrityError, transaction

from ratings.models import Rating
from recommendations import serving
from recommendations.artefact import FORMAT_VERSION, encode
from recommendations.learning import (
    Hyperparameters,
    TrainingReport,
    fit_item_model,
    interactions,
)
from recommendations.models import RecommenderModel

logger = logging.getLogger(__name__)

ALGORITHM = "ease"
# Older models kept besides the active one (to look at, or to switch back to).
MODELS_KEPT = 2
_READ_CHUNK = 20_000
_SWITCH_ATTEMPTS = 3


def _rating_pairs() -> tuple[np.ndarray, np.ndarray]:
    """Return (user ids, movie ids) of every rating, read in one pass."""
    rows = Rating.objects.order_by().values_list("user_id", "movie_id")
    flat = np.fromiter(
        chain.from_iterable(rows.iterator(chunk_size=_READ_CHUNK)), dtype=np.int64
    )
    pairs = flat.reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def recommender_train(
    *, params: Hyperparameters | None = None
) -> tuple[RecommenderModel, TrainingReport]:
    """Learn a model from every rating, store it and make it the active one."""
    params = params or Hyperparameters()
    started = time.perf_counter()
    users, movies = _rating_pairs()
    read_seconds = time.perf_counter() - started
    data = interactions(users, movies, np.ones(len(users), dtype=np.float32))
    model, report = fit_item_model(data, params)
    artefact = encode(model)
    fields = {
        "format_version": FORMAT_VERSION,
        "algorithm": ALGORITHM,
        "parameters": asdict(params),
        "artefact": artefact,
        "artefact_bytes": model.nbytes,
        "users": report.users,
        "items": report.items,
        "ratings": report.ratings,
        "training_seconds": read_seconds + report.seconds,
    }
    for attempt in range(1, _SWITCH_ATTEMPTS + 1):
        try:
            row = _store_and_activate(fields)
            break
        except IntegrityError:
            # Another training switched at the same moment: switch after it.
            if attempt == _SWITCH_ATTEMPTS:
                raise
    logger.info(
        "Recommender model %s trained on %s ratings of %s films by %s users in %.1f s.",
        row.pk,
        report.ratings,
        report.items,
        report.users,
        row.training_seconds,
    )
    return row, report


@transaction.atomic
def _store_and_activate(fields: dict[str, object]) -> RecommenderModel:
    RecommenderModel.objects.filter(is_active=True).update(is_active=False)
    row = RecommenderModel.objects.create(is_active=True, **fields)
    older = RecommenderModel.objects.filter(is_active=False).order_by("-pk")
    stale = list(older.values_list("pk", flat=True)[MODELS_KEPT:])
    if stale:
        RecommenderModel.objects.filter(pk__in=stale).delete()
    transaction.on_commit(
        partial(serving.announce, version=row.pk, format_version=FORMAT_VERSION)
    )
    return row
