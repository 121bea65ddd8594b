import csv
from collections.abc import Sequence
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from recommendations.models import RecommenderModel
from recommendations.tests.conftest import World

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_train_recommender_prints_what_it_learned(world: World) -> None:
    output = run(
        "train_recommender", "--min-item-ratings", "2", "--min-co-ratings", "3"
    )
    assert "5 films learned from 36 ratings by 12 users" in output
    assert " s." in output
    assert RecommenderModel.objects.filter(is_active=True).count() == 1


def test_train_recommender_with_too_few_ratings_warns(db: None) -> None:
    assert "stay popular" in run("train_recommender")


def test_train_recommender_refuses_negative_options(db: None) -> None:
    with pytest.raises(CommandError):
        run("train_recommender", "--l2", "-1")


def write_csv(path: Path, rows: Sequence[Sequence[object]]) -> None:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_evaluate_recommender_prints_the_metrics_of_model_and_popularity(
    tmp_path: Path,
) -> None:
    # Two tastes of 20 films each; every user rates 12 of their taste's.
    rows: list[Sequence[object]] = [("userId", "movieId", "rating", "timestamp")]
    for user in range(1, 121):
        first = 1 + 20 * (user % 2)
        for offset in range(12):
            film = first + (user * 7 + offset * 3) % 20
            rows.append((user, film, "4.0", 964982703))
    write_csv(tmp_path / "ratings.csv", rows)
    output = run("evaluate_recommender", str(tmp_path), "--min-item-ratings", "2")
    model = next(line for line in output.splitlines() if line.startswith("model"))
    popular = next(line for line in output.splitlines() if line.startswith("popular"))
    for metric in ("precision@10", "recall@10", "NDCG@10", "MAP@10", "coverage"):
        assert metric in model
        assert metric in popular

    def ndcg(line: str) -> float:
        return float(line.split("NDCG@10 ")[1].split()[0])

    assert ndcg(model) > 1.5 * ndcg(popular)
    assert not RecommenderModel.objects.exists()


def test_evaluate_recommender_of_a_missing_path_is_a_command_error(
    tmp_path: Path,
) -> None:
    with pytest.raises(CommandError):
        run("evaluate_recommender", str(tmp_path / "nothing"))


def test_import_movielens_with_ratings_trains_the_recommender(tmp_path: Path) -> None:
    movies: list[Sequence[object]] = [("movieId", "title", "genres")]
    movies += [(n, f"Film {n} (1990)", "Drama") for n in range(1, 7)]
    write_csv(tmp_path / "movies.csv", movies)
    ratings: list[Sequence[object]] = [("userId", "movieId", "rating", "timestamp")]
    for user in range(1, 8):
        ratings += [(user, film, "4.0", 964982703) for film in (1, 2, 3)]
    write_csv(tmp_path / "ratings.csv", ratings)
    output = run("import_movielens", "--ratings", str(tmp_path))
    assert "Recommender model" in output
    active = RecommenderModel.objects.get(is_active=True)
    assert active.ratings == 21
    # Importing the same file again changes no rating: no new training.
    run("import_movielens", "--ratings", str(tmp_path))
    assert RecommenderModel.objects.get(is_active=True).pk == active.pk
