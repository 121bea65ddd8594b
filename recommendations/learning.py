"""Learning and scoring item models: plain numpy/scipy, no Django inside.

Everything here is a function of sparse matrices, so that it is tested and
measured without a database. A user x item matrix ``X`` (CSR, one row per
user, one column per learned item) goes in; an item model comes out:

- ``fit_popularity``: how many users rated each item (the baseline);
- ``fit_item_knn``: cosine similarity of the items' rating columns, shrunk
  towards zero for thinly co-rated pairs, top ``neighbours`` per item;
- ``fit_ease``: EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse
  Data", WWW 2019): the closed form ``B = I - P·diag(1/diag(P))`` with
  ``P = (XᵀX + λI)⁻¹`` and the diagonal of ``B`` set to zero, sparsified to
  the ``neighbours`` largest weights of each item (row).

An item model is an item x item CSR matrix ``W``: row ``i`` holds the weights
by which having rated ``i`` supports every other item. A user's scores are
``x·W`` for their row ``x`` of ``X``: no per-user state, so a new rating counts
at the next request. ``evaluate`` implements the offline protocol (per user a
random share of their ratings held out, every held-out item relevant, training
items never recommended).

Libraries considered: ``implicit`` (ALS/BPR) and Microsoft Recommenders ship
learners, but EASE is a few lines of linear algebra on the BLAS that numpy
already links, measured better than ALS/BPR on MovieLens in the literature,
and its item x item output is what the serving path needs anyway.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from recommendations.artefact import ItemModel

# Held-out share and seed of the offline protocol (API contract).
HOLDOUT_FRACTION = 0.25
HOLDOUT_SEED = 42
TOP_K = 10
# Users scored at once in evaluation: bounds the dense score block in memory.
EVALUATION_BATCH = 512


@dataclass(frozen=True)
class Interactions:
    """A user x item rating matrix and the external ids of its rows and columns."""

    matrix: sp.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray


def interactions(
    users: np.ndarray, items: np.ndarray, scores: np.ndarray
) -> Interactions:
    """Return the user x item matrix of (user id, item id, score) triples.

    Rows and columns are the distinct ids in ascending order; a repeated
    (user, item) pair keeps its last score.
    """
    user_ids, rows = np.unique(np.asarray(users, dtype=np.int64), return_inverse=True)
    item_ids, cols = np.unique(np.asarray(items, dtype=np.int64), return_inverse=True)
    values = np.asarray(scores, dtype=np.float32)
    # COO sums duplicates; keep the last one instead, as a re-rating would.
    flat = rows.astype(np.int64) * len(item_ids) + cols
    _, last = np.unique(flat[::-1], return_index=True)
    keep = len(flat) - 1 - last
    matrix = sp.csr_matrix(
        (values[keep], (rows[keep], cols[keep])),
        shape=(len(user_ids), len(item_ids)),
        dtype=np.float32,
    )
    matrix.sort_indices()
    return Interactions(matrix=matrix, user_ids=user_ids, item_ids=item_ids)


def binary(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Return ``matrix`` with every stored rating as 1 (rated or not)."""
    result = matrix.copy()
    result.data = np.ones_like(result.data)
    return result


def restrict_items(
    data: Interactions, *, min_ratings: int, max_items: int | None
) -> Interactions:
    """Keep the items rated by at least ``min_ratings`` users, the most rated first.

    At most ``max_items`` are kept: the learned models are item x item, and an
    item rated by a handful of users gives them nothing to learn from anyway.
    """
    counts = np.diff(data.matrix.tocsc().indptr)
    eligible = np.flatnonzero(counts >= min_ratings)
    if max_items is not None and len(eligible) > max_items:
        # Most rated first; the lower id wins a tie, so the choice is repeatable.
        order = np.lexsort((eligible, -counts[eligible]))
        eligible = np.sort(eligible[order[:max_items]])
    return Interactions(
        matrix=data.matrix[:, eligible].tocsr(),
        user_ids=data.user_ids,
        item_ids=data.item_ids[eligible],
    )


# --- Models -------------------------------------------------------------------


def fit_popularity(matrix: sp.csr_matrix) -> np.ndarray:
    """Return the number of users who rated each item."""
    return np.diff(matrix.tocsc().indptr).astype(np.float32)


def co_counts(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Return the item x item numbers of users who rated both items."""
    rated = binary(matrix)
    return (rated.T @ rated).tocsr()


def top_per_row(
    weights: np.ndarray | sp.csr_matrix,
    neighbours: int,
    *,
    magnitude: bool = False,
    exclude: np.ndarray | None = None,
) -> sp.csr_matrix:
    """Return ``weights`` with only the ``neighbours`` largest entries of each row
    kept: the largest positive ones, or with ``magnitude`` the largest in
    absolute value, negative ones included (float32 CSR, indices sorted).
    Entries where the boolean matrix ``exclude`` is true are never kept."""
    n_rows, n_cols = weights.shape
    chunks_rows, chunks_cols, chunks_vals = [], [], []
    # Dense rows in slabs: a dense n x n weight matrix is scanned once.
    slab = max(1, 2**24 // max(n_cols, 1))
    for start in range(0, n_rows, slab):
        block: Any = weights[start : start + slab]
        dense = block.toarray() if sp.issparse(block) else np.array(block)
        if exclude is not None:
            dense[exclude[start : start + slab]] = 0
        k = min(neighbours, n_cols)
        if k == 0:
            break
        key = np.abs(dense) if magnitude else dense
        top = np.argpartition(-key, k - 1, axis=1)[:, :k]
        values = np.take_along_axis(dense, top, axis=1)
        positive = values != 0 if magnitude else values > 0
        local_rows = np.repeat(np.arange(dense.shape[0]), k).reshape(dense.shape[0], k)
        chunks_rows.append(local_rows[positive] + start)
        chunks_cols.append(top[positive])
        chunks_vals.append(values[positive])
    if chunks_rows:
        rows, cols = np.concatenate(chunks_rows), np.concatenate(chunks_cols)
        vals = np.concatenate(chunks_vals).astype(np.float32)
    else:
        rows = cols = np.empty(0, dtype=np.int64)
        vals = np.empty(0, dtype=np.float32)
    result = sp.csr_matrix((vals, (rows, cols)), shape=(n_rows, n_cols))
    result.sort_indices()
    return result


def drop_thin_pairs(
    weights: sp.csr_matrix, counts: sp.csr_matrix, *, min_co_ratings: int
) -> sp.csr_matrix:
    """Return ``weights`` without the pairs fewer than ``min_co_ratings`` users
    rated both of (an item's weight from itself is dropped too)."""
    if min_co_ratings <= 1:
        kept = weights.copy()
    else:
        enough = (counts >= min_co_ratings).astype(np.float32)
        kept = weights.multiply(enough).tocsr()
    kept.setdiag(0)
    kept.eliminate_zeros()
    kept.sort_indices()
    return kept.astype(np.float32)


def fit_item_knn(
    matrix: sp.csr_matrix, *, shrinkage: float, neighbours: int
) -> sp.csr_matrix:
    """Return the item kNN model: shrunk cosine similarity, top ``neighbours``.

    ``sim(i, j) = xᵢ·xⱼ / (‖xᵢ‖·‖xⱼ‖ + shrinkage)`` over the items' columns.
    """
    columns = matrix.tocsc().astype(np.float64)
    dot = (columns.T @ columns).tocsr()
    norms = np.sqrt(dot.diagonal())
    dot.setdiag(0)
    dot.eliminate_zeros()
    coo = dot.tocoo()
    similarity = coo.data / (norms[coo.row] * norms[coo.col] + shrinkage)
    shrunk = sp.csr_matrix((similarity, (coo.row, coo.col)), shape=dot.shape)
    return top_per_row(shrunk, neighbours)


def item_gram(matrix: sp.csr_matrix) -> np.ndarray:
    """Return the dense item x item ``XᵀX`` (float64)."""
    columns = matrix.tocsc().astype(np.float64)
    return np.asarray((columns.T @ columns).toarray())


def ease_weights(
    matrix: sp.csr_matrix, *, l2: float, gram: np.ndarray | None = None
) -> np.ndarray:
    """Return EASE's dense item x item weights ``B`` (zero diagonal, float32).

    ``P = (XᵀX + λI)⁻¹`` by Cholesky; ``B[i, j] = -P[i, j] / P[j, j]``. A
    ``gram`` already computed (``item_gram(matrix)``) is used and overwritten.
    Memory: two dense n x n float64 matrices while it runs.
    """
    if gram is None:
        gram = item_gram(matrix)
    gram[np.diag_indices_from(gram)] += l2
    factor = scipy.linalg.cho_factor(gram, overwrite_a=True, check_finite=False)
    precision = scipy.linalg.cho_solve(
        factor, np.eye(gram.shape[0]), overwrite_b=True, check_finite=False
    )
    del factor, gram
    weights = precision / -np.diag(precision)
    del precision
    weights[np.diag_indices_from(weights)] = 0
    return weights.astype(np.float32)


def fit_ease(
    matrix: sp.csr_matrix, *, l2: float, neighbours: int | None
) -> sp.csr_matrix | np.ndarray:
    """Return the EASE model, sparsified to the ``neighbours`` weights of largest
    magnitude per item (dense when ``neighbours`` is None)."""
    weights = ease_weights(matrix, l2=l2)
    if neighbours is None:
        return weights
    return top_per_row(weights, neighbours, magnitude=True)


@dataclass(frozen=True)
class Hyperparameters:
    """What ``fit_item_model`` learns with (defaults chosen by measurement, see
    docs/RECOMMENDATIONS.md)."""

    # EASE's ridge penalty λ.
    l2: float = 400.0
    # Weights kept per item (largest magnitude) for scoring users.
    neighbours: int = 300
    # Items rated by fewer users are not learned (never recommended, and the
    # ratings of them do not count).
    min_item_ratings: int = 5
    # At most this many items, the most rated: training holds a few dense
    # n x n float64 matrices (8,000 items: about 1.5 GB).
    max_items: int = 8000
    # A pair of films rated by fewer users is too thin to call them similar.
    min_co_ratings: int = 5
    # Similar films kept per film.
    similar_neighbours: int = 50


@dataclass(frozen=True)
class TrainingReport:
    users: int
    items: int
    ratings: int
    seconds: float


def fit_item_model(
    data: Interactions, params: Hyperparameters
) -> tuple[ItemModel, TrainingReport]:
    """Return the served model learned from ``data``, and what it learned from.

    EASE on the binary matrix (rated or not: what the offline protocol
    rewards, measured better than score-weighted). Users' scores use each
    item's ``neighbours`` weights of largest magnitude; similar films are the
    positive weights of pairs at least ``min_co_ratings`` users rated both of.
    """
    started = time.perf_counter()
    learned = restrict_items(
        data, min_ratings=params.min_item_ratings, max_items=params.max_items
    )
    rated = binary(learned.matrix)
    n = rated.shape[1]
    if n == 0:
        empty = sp.csr_matrix((0, 0), dtype=np.float32)
        model = ItemModel(item_ids=learned.item_ids, weights=empty, similar=empty)
    else:
        gram = item_gram(rated)
        thin = gram < params.min_co_ratings
        weights = ease_weights(rated, l2=params.l2, gram=gram)
        del gram
        model = ItemModel(
            item_ids=learned.item_ids,
            weights=top_per_row(weights, params.neighbours, magnitude=True),
            similar=top_per_row(weights, params.similar_neighbours, exclude=thin),
        )
    report = TrainingReport(
        users=int(np.count_nonzero(np.diff(rated.indptr))),
        items=n,
        ratings=int(rated.nnz),
        seconds=time.perf_counter() - started,
    )
    return model, report


# --- Scoring ----------------------------------------------------------------


def score_users(rows: sp.csr_matrix, weights: sp.csr_matrix | np.ndarray) -> np.ndarray:
    """Return the dense scores ``X·W`` of the users in ``rows``."""
    scores = rows @ weights
    return np.asarray(scores.toarray() if sp.issparse(scores) else scores)


def top_items(scores: np.ndarray, k: int) -> np.ndarray:
    """Return the indices of the ``k`` highest scores, best first.

    Ties go to the lower index, so results are repeatable.
    """
    k = min(k, len(scores))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    candidates = np.argpartition(-scores, k - 1)[:k]
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order]


def supporters(contributions: np.ndarray, *, limit: int) -> list[list[int]]:
    """Return, for each column of ``contributions`` (rated item x pick), the rows
    that contribute most to it, positive contributions only, at most ``limit``."""
    result: list[list[int]] = []
    for column in contributions.T:
        order = top_items(column, limit)
        result.append([int(row) for row in order if column[row] > 0])
    return result


# --- Offline evaluation -----------------------------------------------------


def split_holdout(
    matrix: sp.csr_matrix,
    *,
    fraction: float = HOLDOUT_FRACTION,
    seed: int = HOLDOUT_SEED,
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Return (train, test): per user a random ``fraction`` of their ratings held out.

    A user with n ratings has ``round(n·fraction)`` of them held out, at least
    one when they have two or more, never all of them. The same seed gives the
    same split.
    """
    rng = np.random.default_rng(seed)
    matrix = matrix.tocsr()
    matrix.sort_indices()
    test_mask = np.zeros(matrix.nnz, dtype=bool)
    for user in range(matrix.shape[0]):
        start, end = matrix.indptr[user], matrix.indptr[user + 1]
        count = end - start
        if count < 2:
            continue
        held = min(count - 1, max(1, round(count * fraction)))
        test_mask[start + rng.choice(count, size=held, replace=False)] = True

    def part(mask: np.ndarray) -> sp.csr_matrix:
        coo = matrix.tocoo()
        return sp.csr_matrix(
            (coo.data[mask], (coo.row[mask], coo.col[mask])), shape=matrix.shape
        )

    return part(~test_mask), part(test_mask)


@dataclass(frozen=True)
class Metrics:
    """Top-k ranking quality, averaged over the users with held-out items."""

    precision: float
    recall: float
    ndcg: float
    map: float
    coverage: float
    users: int
    seconds: float = field(default=0.0, compare=False)


def _user_batches(n_users: int) -> Iterator[np.ndarray]:
    for start in range(0, n_users, EVALUATION_BATCH):
        yield np.arange(start, min(start + EVALUATION_BATCH, n_users))


def evaluate(
    train: sp.csr_matrix,
    test: sp.csr_matrix,
    score: Callable[[np.ndarray], np.ndarray],
    *,
    k: int = TOP_K,
    catalogue_size: int | None = None,
) -> Metrics:
    """Return the top-``k`` metrics of ``score`` on the held-out ``test`` items.

    ``score(users)`` returns the dense scores of those users over every item.
    Items a user rated in ``train`` are never recommended; every held-out item
    is relevant. Recall divides the hits by the user's held-out items, NDCG's
    ideal and MAP's normaliser by min(k, held-out items). Coverage is the share
    of the ``catalogue_size`` items (default: the matrix's columns) recommended
    to anyone.
    """
    started = time.perf_counter()
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    total = np.zeros(4)
    evaluated = 0
    recommended: set[int] = set()
    for users in _user_batches(train.shape[0]):
        scores = np.array(score(users), dtype=np.float64, copy=True)
        block = train[users]
        seen_rows = np.repeat(np.arange(len(users)), np.diff(block.indptr))
        scores[seen_rows, block.indices] = -np.inf
        for offset, user in enumerate(users):
            relevant = test.indices[test.indptr[user] : test.indptr[user + 1]]
            if len(relevant) == 0:
                continue
            picks = top_items(scores[offset], k)
            picks = picks[np.isfinite(scores[offset][picks])]
            recommended.update(picks.tolist())
            hits = np.isin(picks, relevant)
            n_hits = int(hits.sum())
            ideal = min(k, len(relevant))
            precision_at = np.cumsum(hits) / np.arange(1, len(picks) + 1)
            total += (
                n_hits / k,
                n_hits / len(relevant),
                float(discounts[: len(picks)][hits].sum() / discounts[:ideal].sum()),
                float(precision_at[hits].sum() / ideal),
            )
            evaluated += 1
    means = total / max(evaluated, 1)
    return Metrics(
        precision=float(means[0]),
        recall=float(means[1]),
        ndcg=float(means[2]),
        map=float(means[3]),
        coverage=len(recommended) / (catalogue_size or train.shape[1]),
        users=evaluated,
        seconds=time.perf_counter() - started,
    )


def popularity_scorer(
    train: sp.csr_matrix,
) -> Callable[[np.ndarray], np.ndarray]:
    """Return a scorer that ranks every user's items by how many users rated them."""
    counts = fit_popularity(train)
    return lambda users: np.tile(counts, (len(users), 1))


def item_model_scorer(
    train: sp.csr_matrix, weights: sp.csr_matrix | np.ndarray
) -> Callable[[np.ndarray], np.ndarray]:
    """Return a scorer of users' training rows against an item model."""
    return lambda users: score_users(train[users], weights)
