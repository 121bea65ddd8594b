"""The served form of a trained item model, and its bytes: numpy only.

An artefact holds the learned items' movie ids (ascending), the item x item
weights that score a user's ratings (``weights``, CSR, row = the rated item)
and each item's similar items (``similar``, CSR, the co-rated pairs only). It
is written with ``numpy.savez`` and read with ``allow_pickle=False``, so that
bytes from the database can never run code. ``FORMAT_VERSION`` changes with
the layout: an artefact of another format is refused (``ArtefactError``), and
the caller falls back to what needs no model.
"""

import io
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

FORMAT_VERSION = 1

_MATRICES = ("weights", "similar")


class ArtefactError(Exception):
    """The bytes are not an artefact of this format."""


@dataclass(frozen=True)
class ItemModel:
    item_ids: np.ndarray
    weights: sp.csr_matrix
    similar: sp.csr_matrix

    def __post_init__(self) -> None:
        n = len(self.item_ids)
        for name in _MATRICES:
            if getattr(self, name).shape != (n, n):
                raise ArtefactError(f"{name} is not {n} x {n}.")
        if n > 1 and not bool(np.all(np.diff(self.item_ids) > 0)):
            raise ArtefactError("item ids are not ascending.")

    def indexes(self, movie_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (which of ``movie_ids`` are learned items, their item indexes)."""
        movie_ids = np.asarray(movie_ids, dtype=np.int64)
        positions = np.searchsorted(self.item_ids, movie_ids)
        positions = np.minimum(positions, max(len(self.item_ids) - 1, 0))
        known = (
            self.item_ids[positions] == movie_ids
            if len(self.item_ids)
            else np.zeros(len(movie_ids), dtype=bool)
        )
        return known, positions[known]

    @property
    def nbytes(self) -> int:
        """Return the bytes its arrays take in memory."""
        total = self.item_ids.nbytes
        for name in _MATRICES:
            matrix = getattr(self, name)
            total += matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes
        return int(total)


def encode(model: ItemModel) -> bytes:
    """Return the bytes of ``model``."""
    arrays: dict[str, np.ndarray] = {
        "format_version": np.array([FORMAT_VERSION], dtype=np.int64),
        "item_ids": model.item_ids.astype(np.int64),
    }
    for name in _MATRICES:
        matrix = getattr(model, name).tocsr()
        matrix.sort_indices()
        arrays[f"{name}_data"] = matrix.data.astype(np.float32)
        arrays[f"{name}_indices"] = matrix.indices.astype(np.int32)
        arrays[f"{name}_indptr"] = matrix.indptr.astype(np.int64)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def decode(blob: bytes) -> ItemModel:
    """Return the model in ``blob``; raise ArtefactError if it is not one of ours."""
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
            version = int(arrays["format_version"][0])
            if version != FORMAT_VERSION:
                raise ArtefactError(
                    f"format {version}, this server reads format {FORMAT_VERSION}."
                )
            item_ids = arrays["item_ids"].astype(np.int64)
            n = len(item_ids)
            matrices = {
                name: sp.csr_matrix(
                    (
                        arrays[f"{name}_data"],
                        arrays[f"{name}_indices"],
                        arrays[f"{name}_indptr"],
                    ),
                    shape=(n, n),
                )
                for name in _MATRICES
            }
    except ArtefactError:
        raise
    except (OSError, KeyError, ValueError, IndexError, TypeError) as exc:
        raise ArtefactError(f"unreadable artefact: {exc}") from exc
    return ItemModel(item_ids=item_ids, **matrices)
