"""Retrieval: a question → scored articles and FAQ entries, from BM25 (jieba tokens), dense vectors and
the FAQ phrasings, fused. Measures first: a fitting article of the primary document outranks national law.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .corpus import Corpus, Scope
from .encoders import EncoderWorker
from .fusion import fuse
from .index import Index
from .normalize import Glossary, normalize
from .segment import Segmenter

MODES = ("bm25", "dense", "hybrid", "hybrid+faq")


@dataclass(frozen=True)
class Weights:
    """Fusion weights, calibrated on eval/dev.yaml (see docs/benchmarks.md)."""

    bm25: float = 0.45
    dense: float = 0.55
    faq: float = 0.5  # how much a matching FAQ entry lifts the articles it cites
    faq_english: float = 1.5  # the same for an English question, whose articles are found through the glossary only (dev-en hit@1 0.855 → 0.891, holdout-en 0.826 → 0.87)
    faq_top: int = 3  # FAQ entries allowed to lift articles
    primary_bonus: float = 0.12  # measures first, when both fit


@dataclass(frozen=True)
class ArticleHit:
    """An article with its fused score and the paragraph that matched best (0: the article as a whole)."""

    doc_id: str
    article: int
    score: float
    paragraph: int = 0

    @property
    def key(self) -> tuple[str, int]:
        """(doc_id, article)."""
        return (self.doc_id, self.article)


@dataclass(frozen=True)
class FaqHit:
    """A FAQ entry, its fused score, its best phrasing and that phrasing's cosine similarity."""

    entry_id: str
    score: float
    question: str
    similarity: float


@dataclass(frozen=True)
class Retrieval:
    """What a question retrieved, plus the raw signals the intent decision uses."""

    query: str
    tokens: tuple[str, ...]
    articles: tuple[ArticleHit, ...]
    faq: tuple[FaqHit, ...]
    signals: dict[str, float] = field(default_factory=dict)
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)


class Groups:
    """Rows grouped by key (units of one article, phrasings of one FAQ entry), for fast per-key maxima."""

    def __init__(self, keys: list):
        self.order = np.argsort(np.array([str(k) for k in keys]), kind="stable")
        sorted_keys = [keys[i] for i in self.order]
        self.starts = np.array([i for i in range(len(sorted_keys)) if i == 0 or sorted_keys[i] != sorted_keys[i - 1]], dtype=np.int64)
        self.keys = [sorted_keys[i] for i in self.starts]

    def max(self, values: np.ndarray) -> dict:
        """The best value of each key."""
        if not len(values):
            return {}
        best = np.maximum.reduceat(values[self.order], self.starts)
        return dict(zip(self.keys, best.tolist()))

    def argmax(self, values: np.ndarray, key) -> int:
        """The row (in the original order) where a key has its best value."""
        i = self.keys.index(key)
        end = self.starts[i + 1] if i + 1 < len(self.starts) else len(self.order)
        rows = self.order[self.starts[i] : end]
        return int(rows[np.argmax(values[rows])])


class Retriever:
    """Searches one loaded index."""

    def __init__(self, index: Index, corpus: Corpus, segmenter: Segmenter, encoder: EncoderWorker, weights: Weights | None = None):
        self.index, self.corpus, self.segmenter, self.encoder = index, corpus, segmenter, encoder
        self.weights = weights or Weights()
        self.primary = corpus.primary.doc_id
        units = index.units
        self._matrix = index.vectors.reconstruct_n(0, index.vectors.ntotal)  # small: a matrix product beats a search
        self._law_rows = index.family_rows["law"]
        self._faq_rows = index.family_rows["faq"]
        self._law = Groups([units[i].key for i in self._law_rows])
        self._paras = Groups([(units[i].key, units[i].paragraph) for i in self._law_rows])
        self._paragraphs_of: dict[str, list[int]] = {}
        for i in self._law_rows:
            if units[i].paragraph:
                self._paragraphs_of.setdefault(units[i].key, []).append(units[i].paragraph)
        self._faq = Groups([units[i].key for i in self._faq_rows])
        self._faq_text = [units[i].text for i in self._faq_rows]
        # A Chinese question is matched against the Chinese phrasings only: the English ones (there for English
        # questions) otherwise lift entries by cross-language similarity (dev hit@1 0.94 → 0.925 when they were added).
        self._faq_english = np.array([t.isascii() for t in self._faq_text])
        self._vocab = set(index.bm25["law"].vocab_dict) | set(index.bm25["faq"].vocab_dict)
        self.glossary = Glossary(corpus.glossary)

    def query_text(self, question: str) -> str:
        """What BM25 searches for a question: its normalised text, English phrases' Chinese terms appended."""
        return normalize(self.glossary.expand(question))

    def embed(self, texts: list[str]) -> np.ndarray:
        """The questions' vectors, (n, dim), through the single encoder worker.

        The encoder gets the question as typed (normalised), without the glossary's terms: they doubled an English
        question's tokens, and so its encoding time (retrieval p95 dev 39 → 31 ms, holdout 42 → 34 ms), for no better hits."""
        return self.encoder.encode_queries([normalize(t) for t in texts])

    def _faq_lift(self, faq_ranked: list[tuple[str, float]], faq_dense: dict[str, float], english: bool = False) -> dict[str, float]:
        """How much the best-matching FAQ entries lift the articles they cite (earlier citations more)."""
        w = self.weights
        lift: dict[str, float] = {}
        for rank, (entry_id, fscore) in enumerate(faq_ranked[: w.faq_top]):
            entry = self.corpus.faq_by_id.get(entry_id)
            if entry is None:
                continue
            strength = (w.faq_english if english else w.faq) * fscore * faq_dense[entry_id] / (1 + rank)
            for pos, cite in enumerate(entry.citations):
                key = f"{cite.doc_id}/{cite.article}"
                lift[key] = lift.get(key, 0.0) + strength / (1 + 0.5 * pos)
        return lift

    def search(self, query: str, mode: str = "hybrid+faq", k: int = 10, vector: np.ndarray | None = None, within: Scope | None = None) -> Retrieval:
        """Rank articles and FAQ entries for a question; `within` a part of the corpus (Corpus.scope: what follows from
        breaking the rules, for "罚多少" after a question on a duty; one text, for a question naming it)."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
        w = self.weights
        text = self.query_text(query)
        encoding = self.encoder.submit_queries([normalize(query)]) if vector is None else None  # as embed(); runs while BM25 scores
        tokens = self.segmenter.tokens(text)
        law_bm25_raw = self.index.bm25["law"].get_scores(tokens) if tokens else np.zeros(len(self._law_rows))
        faq_bm25_raw = self.index.bm25["faq"].get_scores(tokens) if tokens else np.zeros(len(self._faq_rows))
        chinese_question = not _mostly_latin(query)
        if chinese_question:
            faq_bm25_raw = np.where(self._faq_english, 0.0, faq_bm25_raw)
        law_bm25, faq_bm25 = self._law.max(law_bm25_raw), self._faq.max(faq_bm25_raw)
        vec = encoding.result()[0] if encoding is not None else vector
        sims = self._matrix @ vec
        law_sims, faq_sims = sims[self._law_rows], sims[self._faq_rows]
        if chinese_question:
            faq_sims = np.where(self._faq_english, -1.0, faq_sims)
        law_dense, faq_dense = self._law.max(law_sims), self._faq.max(faq_sims)
        para_scores = self._paras.max(law_sims + 0.02 * law_bm25_raw)

        weights = {"bm25": w.bm25 if mode != "dense" else 1.0, "dense": w.dense if mode != "bm25" else 1.0}
        if mode == "bm25":
            weights["dense"] = 0.0
        if mode == "dense":
            weights["bm25"] = 0.0
        articles = dict(fuse({"bm25": law_bm25, "dense": law_dense}, weights))
        faq_ranked = fuse({"bm25": faq_bm25, "dense": faq_dense}, {"bm25": w.bm25, "dense": w.dense})
        if within is not None:
            keys, entries = within
            articles = {key: s for key, s in articles.items() if key in keys}
            faq_ranked = [(eid, s) for eid, s in faq_ranked if eid in entries]

        if mode == "hybrid+faq":
            for key, lift in self._faq_lift(faq_ranked, faq_dense, english=not chinese_question).items():
                if key in articles:
                    articles[key] += lift
        for key in articles:
            if key.startswith(self.primary + "/"):
                articles[key] += w.primary_bonus

        ranked = sorted(articles.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        hits = []
        for key, score in ranked:
            doc_id, _, number = key.rpartition("/")
            best_para = max(self._paragraphs_of.get(key, []), key=lambda p: para_scores[(key, p)], default=0)
            hits.append(ArticleHit(doc_id, int(number), round(score, 4), best_para))
        faq_hits = tuple(
            FaqHit(eid, round(s, 4), self._faq_text[self._faq.argmax(faq_sims, eid)], round(faq_dense[eid], 4))
            for eid, s in faq_ranked[:k]
        )
        in_vocab = [t for t in tokens if t in self._vocab]
        signals = {
            "dense_law_max": max(law_dense.values(), default=0.0),
            "dense_faq_max": max(faq_dense.values(), default=0.0),
            "bm25_law_max": float(law_bm25_raw.max()) if len(law_bm25_raw) else 0.0,
            "bm25_faq_max": float(faq_bm25_raw.max()) if len(faq_bm25_raw) else 0.0,
            "vocab_overlap": len(in_vocab) / len(tokens) if tokens else 0.0,
            "n_tokens": float(len(tokens)),
        }
        return Retrieval(query, tuple(tokens), tuple(hits), faq_hits, signals, vec)


def _mostly_latin(text: str) -> bool:
    """An English (or pinyin) question: more Latin letters than Chinese characters."""
    latin = sum(ch.isascii() and ch.isalpha() for ch in text)
    han = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    return latin > han
