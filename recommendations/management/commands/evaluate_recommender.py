"""``manage.py evaluate_recommender PATH``: offline quality on a MovieLens data set."""

from argparse import ArgumentParser
from dataclasses import fields, replace
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from ratings.loading.movielens import MovieLensError, open_dataset
from ratings.loading.movielens.reading import read_ratings
from recommendations.learning import (
    HOLDOUT_FRACTION,
    HOLDOUT_SEED,
    TOP_K,
    Hyperparameters,
    Metrics,
    evaluate,
    fit_item_model,
    interactions,
    popularity_scorer,
    split_holdout,
)


class Command(BaseCommand):
    help = (
        "Measure the recommender offline on a MovieLens directory or zip: per "
        f"user a random {HOLDOUT_FRACTION:.0%} of their ratings held out (seed "
        f"{HOLDOUT_SEED}), every held-out film relevant, films rated in the rest "
        f"never recommended. Prints precision, recall, NDCG and MAP at {TOP_K} "
        "and catalogue coverage for the model and a popularity baseline. The "
        "database is not touched."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="MovieLens directory or .zip file.")
        parser.add_argument("--seed", type=int, default=HOLDOUT_SEED)
        defaults = Hyperparameters()
        for option in fields(Hyperparameters):
            parser.add_argument(
                "--" + option.name.replace("_", "-"),
                type=type(getattr(defaults, option.name)),
                default=getattr(defaults, option.name),
            )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with open_dataset(options["path"]) as dataset:
                rows = read_ratings(dataset)
        except MovieLensError as exc:
            raise CommandError(str(exc)) from exc
        if not rows:
            raise CommandError("The data set has no ratings.")
        users = np.fromiter((row.user for row in rows), dtype=np.int64)
        movies = np.fromiter((row.movie for row in rows), dtype=np.int64)
        data = interactions(users, movies, np.ones(len(rows), dtype=np.float32))
        train, test = split_holdout(data.matrix, seed=options["seed"])
        params = Hyperparameters(
            **{option.name: options[option.name] for option in fields(Hyperparameters)}
        )
        self.stdout.write(
            f"{data.matrix.nnz} ratings of {data.matrix.shape[1]} films by "
            f"{data.matrix.shape[0]} users; {test.nnz} held out."
        )
        model, report = fit_item_model(replace(data, matrix=train), params)
        # The model's items are a subset of the columns: score back into them.
        columns = np.searchsorted(data.item_ids, model.item_ids)
        train_learned = train[:, columns].tocsr()
        weights = model.weights

        def score_model(batch: np.ndarray) -> np.ndarray:
            scores = np.full((len(batch), train.shape[1]), -np.inf)
            scores[:, columns] = (train_learned[batch] @ weights).toarray()
            return scores

        self.stdout.write(
            f"Model: EASE (l2={params.l2}, {params.neighbours} weights per film) on "
            f"{report.items} films, trained in {report.seconds:.1f} s, "
            f"{model.nbytes / 2**20:.1f} MiB."
        )
        self._line("model", evaluate(train, test, score_model))
        self._line("popularity", evaluate(train, test, popularity_scorer(train)))

    def _line(self, name: str, metrics: Metrics) -> None:
        self.stdout.write(
            f"{name:<11} precision@{TOP_K} {metrics.precision:.4f}  "
            f"recall@{TOP_K} {metrics.recall:.4f}  NDCG@{TOP_K} {metrics.ndcg:.4f}  "
            f"MAP@{TOP_K} {metrics.map:.4f}  coverage {metrics.coverage:.4f}  "
            f"({metrics.users} users)"
        )
