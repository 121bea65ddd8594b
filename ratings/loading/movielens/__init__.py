"""Import of a MovieLens data set (ml-latest-small layout) into the catalogue.

Reading and validating happen first, so an invalid file fails before anything
is written. Writing is done in stages (catalogue, users, ratings), each one
transaction. Every stage is idempotent: movies are keyed by their MovieLens id
(or merged into the film with the same IMDb id), users by their username and
ratings by (user, movie). Existing films keep what the catalogue already says
about them; the import only fills in what they lack.
"""

from ratings.loading.movielens.importing import ImportReport, import_movielens
from ratings.loading.movielens.reading import (
    Dataset,
    MovieLensError,
    open_dataset,
    parse_title,
)

__all__ = [
    "Dataset",
    "ImportReport",
    "MovieLensError",
    "import_movielens",
    "open_dataset",
    "parse_title",
]
