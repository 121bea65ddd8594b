"""The learning module on small matrices: no database, no Django."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations import learning
from recommendations.artefact import (
    FORMAT_VERSION,
    ArtefactError,
    ItemModel,
    decode,
    encode,
)
from recommendations.learning import Hyperparameters, Interactions

SMALL = Hyperparameters(
    l2=1.0, neighbours=10, min_item_ratings=1, min_co_ratings=2, max_items=100
)


def two_crowds(crowd: int = 5) -> Interactions:
    """Users 0..crowd-1 rate items 10, 20, 50; the next crowd 30, 40, 50."""
    users, items = [], []
    for user in range(crowd):
        users += [user] * 3
        items += [10, 20, 50]
    for user in range(crowd, 2 * crowd):
        users += [user] * 3
        items += [30, 40, 50]
    return learning.interactions(np.array(users), np.array(items), np.ones(len(users)))


def test_interactions_index_ids_ascending_and_keep_the_last_duplicate() -> None:
    data = learning.interactions(
        np.array([7, 3, 7]), np.array([100, 5, 100]), np.array([1.0, 2.0, 4.5])
    )
    assert data.user_ids.tolist() == [3, 7]
    assert data.item_ids.tolist() == [5, 100]
    assert data.matrix.toarray().tolist() == [[2.0, 0.0], [0.0, 4.5]]


def test_restrict_items_keeps_the_most_rated_within_the_cap() -> None:
    data = learning.interactions(
        np.array([0, 1, 2, 0, 1, 0]),
        np.array([1, 1, 1, 2, 2, 3]),
        np.ones(6),
    )
    kept = learning.restrict_items(data, min_ratings=2, max_items=None)
    assert kept.item_ids.tolist() == [1, 2]
    capped = learning.restrict_items(data, min_ratings=1, max_items=1)
    assert capped.item_ids.tolist() == [1]
    assert capped.matrix.shape == (3, 1)


def test_split_holdout_holds_out_a_quarter_per_user_repeatably() -> None:
    rng = np.random.default_rng(0)
    dense = (rng.random((40, 60)) < 0.5).astype(np.float32)
    dense[0, :] = 0
    dense[0, 3] = 1  # A user with one rating keeps it for training.
    matrix = sp.csr_matrix(dense)
    train, test = learning.split_holdout(matrix, seed=42)
    again_train, again_test = learning.split_holdout(matrix, seed=42)
    assert (train != again_train).nnz == 0
    assert (test != again_test).nnz == 0
    assert (train + test != matrix).nnz == 0
    assert train.multiply(test).nnz == 0
    per_user = np.diff(matrix.indptr)
    held = np.diff(test.indptr)
    for user in range(1, 40):
        assert held[user] == round(per_user[user] * 0.25)
    assert held[0] == 0
    other_train, _ = learning.split_holdout(matrix, seed=7)
    assert (other_train != train).nnz > 0


def test_ease_links_items_rated_by_the_same_crowd() -> None:
    data = two_crowds()
    weights = learning.ease_weights(learning.binary(data.matrix), l2=1.0)
    assert np.all(np.diag(weights) == 0)
    index = {int(item): i for i, item in enumerate(data.item_ids)}
    row = weights[index[10]]
    assert row[index[20]] > row[index[30]]
    assert row[index[20]] > row[index[40]]


def test_item_knn_shrinkage_lowers_thin_pairs() -> None:
    data = two_crowds()
    plain = learning.fit_item_knn(data.matrix, shrinkage=0.0, neighbours=10)
    shrunk = learning.fit_item_knn(data.matrix, shrinkage=10.0, neighbours=10)
    assert plain[0, 1] == pytest.approx(1.0)
    assert 0 < shrunk[0, 1] < plain[0, 1]
    assert plain[0, 2] == 0  # Items 10 and 30: nobody rated both.


def test_top_per_row_keeps_the_largest_and_by_magnitude_the_negative_too() -> None:
    weights = np.array([[0.0, 3.0, -5.0, 1.0], [2.0, 0.0, 0.5, -0.1]])
    top = learning.top_per_row(weights, 2).toarray()
    assert top.tolist() == [[0.0, 3.0, 0.0, 1.0], [2.0, 0.0, 0.5, 0.0]]
    signed = learning.top_per_row(weights, 2, magnitude=True).toarray()
    assert signed.tolist() == [[0.0, 3.0, -5.0, 0.0], [2.0, 0.0, 0.5, 0.0]]
    mask = np.array([[False, True, False, False], [False] * 4])
    assert learning.top_per_row(weights, 1, exclude=mask).toarray()[0].tolist() == [
        0.0,
        0.0,
        0.0,
        1.0,
    ]


def test_fit_item_model_similar_films_need_enough_co_ratings() -> None:
    data = two_crowds(crowd=5)
    # One user of the first crowd also rated 30: a thin link from 10 to 30.
    users = np.append(np.repeat(np.arange(10), 3), 0)
    items = np.append(data.item_ids[data.matrix.tocoo().col], 30)
    model, report = learning.fit_item_model(
        learning.interactions(users, items, np.ones(len(users))), SMALL
    )
    assert report.items == 5
    assert report.users == 10
    assert report.ratings == 31
    ten = int(np.searchsorted(model.item_ids, 10))
    neighbours = model.item_ids[model.similar[ten].indices].tolist()
    assert 20 in neighbours
    assert 30 not in neighbours
    assert 10 not in neighbours


def test_fit_item_model_with_nothing_to_learn_is_empty() -> None:
    data = learning.interactions(np.array([1]), np.array([1]), np.ones(1))
    model, report = learning.fit_item_model(data, Hyperparameters(min_item_ratings=2))
    assert report.items == 0
    assert len(model.item_ids) == 0
    assert decode(encode(model)).weights.shape == (0, 0)


def test_evaluate_scores_a_perfect_and_a_useless_ranking() -> None:
    train = sp.csr_matrix(np.array([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]], dtype=float))
    test = sp.csr_matrix(np.array([[0, 1, 0, 0, 0], [0, 0, 1, 0, 0]], dtype=float))
    truth = test.toarray()

    def oracle(users: np.ndarray) -> np.ndarray:
        return truth[users] + 0.01 * np.arange(5)[::-1]

    perfect = learning.evaluate(train, test, oracle, k=2)
    assert perfect.precision == pytest.approx(0.5)
    assert perfect.recall == pytest.approx(1.0)
    assert perfect.ndcg == pytest.approx(1.0)
    assert perfect.map == pytest.approx(1.0)
    assert perfect.users == 2

    def contrarian(users: np.ndarray) -> np.ndarray:
        return -truth[users]

    useless = learning.evaluate(train, test, contrarian, k=2)
    assert useless.recall == 0
    assert useless.ndcg == 0
    assert useless.map == 0


def test_evaluate_never_recommends_training_items() -> None:
    train = sp.csr_matrix(np.array([[1, 1, 0]], dtype=float))
    test = sp.csr_matrix(np.array([[0, 0, 1]], dtype=float))

    def rated_first(users: np.ndarray) -> np.ndarray:
        return np.array([[9.0, 8.0, 1.0]])

    metrics = learning.evaluate(train, test, rated_first, k=1)
    assert metrics.precision == 1.0
    assert metrics.coverage == pytest.approx(1 / 3)


def test_ease_beats_popularity_on_two_crowds() -> None:
    rng = np.random.default_rng(1)
    # Two tastes over 40 items; each user rates 12 of their own taste's 20.
    users, items = [], []
    for user in range(200):
        taste = np.arange(20) + 20 * (user % 2)
        picks = rng.choice(taste, size=12, replace=False)
        users += [user] * 12
        items += picks.tolist()
    data = learning.interactions(np.array(users), np.array(items), np.ones(len(users)))
    train, test = learning.split_holdout(data.matrix)
    model, _ = learning.fit_item_model(
        Interactions(train, data.user_ids, data.item_ids), SMALL
    )
    assert len(model.item_ids) == 40
    ease = learning.evaluate(
        train, test, learning.item_model_scorer(train, model.weights)
    )
    popular = learning.evaluate(train, test, learning.popularity_scorer(train))
    assert ease.ndcg > 1.5 * popular.ndcg


def test_supporters_name_the_rows_that_contribute_most() -> None:
    contributions = np.array([[0.1, 0.0], [0.5, -1.0], [0.3, 0.2], [0.2, 0.0]])
    assert learning.supporters(contributions, limit=3) == [[1, 2, 3], [2]]


def test_artefact_round_trip_and_refusals() -> None:
    data = two_crowds()
    model, _ = learning.fit_item_model(data, SMALL)
    blob = encode(model)
    back = decode(blob)
    assert back.item_ids.tolist() == model.item_ids.tolist()
    assert (back.weights != model.weights).nnz == 0
    assert (back.similar != model.similar).nnz == 0
    assert back.nbytes == model.nbytes > 0
    with pytest.raises(ArtefactError):
        decode(b"garbage")


def test_artefact_of_another_format_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from recommendations import artefact

    model, _ = learning.fit_item_model(two_crowds(), SMALL)
    monkeypatch.setattr(artefact, "FORMAT_VERSION", FORMAT_VERSION + 1)
    future = encode(model)
    monkeypatch.setattr(artefact, "FORMAT_VERSION", FORMAT_VERSION)
    with pytest.raises(ArtefactError, match="format"):
        decode(future)


def test_item_model_indexes_find_learned_films_only() -> None:
    empty = sp.csr_matrix((3, 3), dtype=np.float32)
    model = ItemModel(item_ids=np.array([4, 8, 15]), weights=empty, similar=empty)
    known, indexes = model.indexes(np.array([8, 5, 15, 99]))
    assert known.tolist() == [True, False, True, False]
    assert indexes.tolist() == [1, 2]
    with pytest.raises(ArtefactError):
        ItemModel(
            item_ids=np.array([2, 1]),
            weights=sp.csr_matrix((2, 2)),
            similar=sp.csr_matrix((2, 2)),
        )
