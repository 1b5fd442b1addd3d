"""Any local sentence-transformers model directory. Torch is imported here and nowhere else."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class LocalSentenceTransformer:
    """A model directory on disk (never downloaded), with optional prompts such as "query: " for e5/bge."""

    def __init__(self, path: Path, query_prompt: str = "", passage_prompt: str = "", device: str = "cpu", threads: int = 0):
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local directory only: never reach for a hub
        from sentence_transformers import SentenceTransformer  # heavy: pulls in torch

        if threads:
            import torch

            torch.set_num_threads(threads)

        self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dimension())
        self.query_prompt, self.passage_prompt = query_prompt, passage_prompt
        self.name = f"st:{path.resolve().name}"
        if query_prompt or passage_prompt:
            self.name += f"[{query_prompt!r}|{passage_prompt!r}]"

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        return self._model.encode(
            [prompt + t for t in texts], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        ).astype(np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Questions, prefixed with the query prompt."""
        return self._encode(texts, self.query_prompt)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Passages, prefixed with the passage prompt."""
        return self._encode(texts, self.passage_prompt)
