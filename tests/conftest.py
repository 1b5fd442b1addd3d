"""Shared fixtures: a deterministic fake encoder (unit tests never load a model) and built engines."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from bot.corpus import load_corpus
from bot.engine import Engine, build
from bot.normalize import normalize

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")


class FakeEncoder:
    """Hashes character bigrams into a small vector: deterministic, instant, and lexically meaningful."""

    name = "fake-bigram-64"
    dim = 64

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            text = normalize(text)
            for a, b in zip(text, text[1:] + " "):
                out[row, int(hashlib.md5((a + b).encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)

    encode_queries = encode_passages = _encode


@pytest.fixture(scope="session")
def corpus():
    return load_corpus()


@pytest.fixture(scope="session")
def fake_index_dir(tmp_path_factory) -> Path:
    """The real corpus indexed with the fake encoder (a few seconds)."""
    directory = tmp_path_factory.mktemp("fake") / "index"
    build(load_corpus().root, directory, FakeEncoder(), cache_dir=tmp_path_factory.mktemp("jieba"))
    return directory


@pytest.fixture(scope="session")
def fake_engine(fake_index_dir, tmp_path_factory):
    engine = Engine.open(load_corpus().root, fake_index_dir, FakeEncoder(), cache_dir=tmp_path_factory.mktemp("jieba2"))
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def real_index_dir(tmp_path_factory) -> Path:
    """The real corpus indexed with the bundled multilingual-e5-small (about a minute on 2 cores)."""
    from bot.encoders import make_encoder

    directory = tmp_path_factory.mktemp("real") / "index"
    build(load_corpus().root, directory, make_encoder("e5"))
    return directory


@pytest.fixture(scope="session")
def e5_index(request) -> Path:
    """A current index built with the default encoder: the project's index/ when it is current, else the session build."""
    from bot.encoders import make_encoder
    from bot.index import Index, IndexError_

    try:
        Index.load(ROOT / "index", load_corpus().version, make_encoder("e5").name)
        return ROOT / "index"
    except IndexError_:
        return request.getfixturevalue("real_index_dir")


@pytest.fixture(scope="session")
def real_engine(real_index_dir):
    from bot.encoders import make_encoder

    engine = Engine.open(load_corpus().root, real_index_dir, make_encoder("e5"))
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def real_answerer(real_engine):
    from bot.answer import Answerer

    return Answerer(real_engine)
