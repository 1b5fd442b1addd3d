"""The assembled search engine: corpus + segmenter + encoder worker + index + retriever + intent classifier.

`build` makes an index from a corpus; `Engine.open` loads one and refuses a stale or damaged index.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from .corpus import Corpus, Scope, load_corpus
from .decide import Coverage, Thresholds
from .encoders import Encoder, EncoderWorker
from .index import Index, IndexError_, build_index, save_atomically
from .intent import LABELS, IntentClassifier, features
from .normalize import Synonyms, normalize
from .retrieve import Retrieval, Retriever, Weights
from .segment import Segmenter
from .spelling import Speller, build_tables
from .understand import Understander


def make_segmenter(corpus: Corpus, cache_dir: Path | None = None) -> Segmenter:
    """The one segmenter for a corpus: its user dictionary and synonym list."""
    return Segmenter(corpus.root / "userdict.txt", Synonyms(corpus.synonyms), cache_dir)


def intent_examples(corpus: Corpus) -> list[tuple[str, str]]:
    """(text, label) pairs from corpus/intents.yaml."""
    return [(t, label) for label in LABELS for t in corpus.intents.get(label, ())]


COMMON_WORDS = 20_000  # everyday words a whole pinyin sentence is read into ("dianhua" → 电话)


def speller_terms(corpus: Corpus, segmenter: Segmenter) -> set[str]:
    """The words typos are corrected towards: the domain's own terms (user dictionary, synonyms, subjects, the English
    glossary's Chinese terms), not everyday words, so a typo is only ever read as one of those."""
    terms = set(segmenter.added_words) | {normalize(w) for s in corpus.subjects for w in s.words} | {normalize(t) for t in corpus.glossary}
    return {t for t in terms if 2 <= len(t) <= 4}


@dataclass
class Engine:
    """Everything needed to retrieve and classify a question."""

    corpus: Corpus
    segmenter: Segmenter
    encoder: EncoderWorker
    index: Index
    retriever: Retriever
    classifier: IntentClassifier | None
    thresholds: Thresholds
    understander: Understander
    coverage: Coverage

    @classmethod
    def open(cls, corpus_dir: Path, index_dir: Path, encoder: Encoder, cache_dir: Path | None = None) -> Engine:
        """Load a built index and check it matches the corpus and the encoder."""
        corpus = load_corpus(corpus_dir)
        index = Index.load(index_dir, corpus_version=corpus.version, encoder_name=encoder.name)
        return cls.assemble(corpus, index, encoder, cache_dir)

    @classmethod
    def assemble(cls, corpus: Corpus, index: Index, encoder: Encoder, cache_dir: Path | None = None, segmenter: Segmenter | None = None) -> Engine:
        """Wire the parts around an index already in memory."""
        # Our matrix products are small (one question against ~2k vectors). Threaded, OpenBLAS's workers spin on both
        # cores after each one while the encoder's OpenMP team needs them: encoding took twice as long (17.7 → 39 ms p50).
        threadpool_limits(1, user_api="blas")
        worker = encoder if isinstance(encoder, EncoderWorker) else EncoderWorker(encoder)
        segmenter = segmenter or make_segmenter(corpus, cache_dir)
        retriever = Retriever(index, corpus, segmenter, worker, Weights())
        classifier = IntentClassifier.from_arrays(index.extra) if "intent_w" in index.extra else None
        english = {w for variants in corpus.glossary.values() for v in variants for w in normalize(v).split()}
        speller = Speller(index.extra, segmenter.words, english)
        vocabulary = set(index.bm25["law"].vocab_dict) | set(index.bm25["faq"].vocab_dict)
        understander = Understander(corpus, segmenter, speller, vocabulary, retriever.glossary)
        coverage = Coverage(corpus, index, segmenter)
        return cls(corpus, segmenter, worker, index, retriever, classifier, Thresholds(), understander, coverage)

    def retrieve(self, text: str, mode: str = "hybrid+faq", within: Scope | None = None) -> Retrieval:
        """Search for a question (`within` a part of the corpus: Corpus.scope)."""
        return self.retriever.search(text, mode=mode, within=within)

    def probabilities(self, retrieval: Retrieval) -> dict[str, float]:
        """The intent classifier's probabilities for the question behind a retrieval (every label present)."""
        if self.classifier is None:
            return {label: float(label == "question") for label in LABELS}
        probs = self.classifier.probabilities(features(retrieval))
        return {label: probs.get(label, 0.0) for label in LABELS}

    def close(self) -> None:
        """Stop the encoder worker."""
        self.encoder.close()


def train_intents(engine: Engine) -> IntentClassifier | None:
    """Fit the intent classifier on corpus/intents.yaml using the engine's own retrieval signals."""
    examples = intent_examples(engine.corpus)
    if not examples:
        return None
    vectors = engine.retriever.embed([t for t, _ in examples])
    rows = [features(engine.retriever.search(t, vector=v)) for (t, _), v in zip(examples, vectors)]
    labels = np.array([LABELS.index(label) for _, label in examples])
    return IntentClassifier.train(np.stack(rows), labels)


def build(corpus_dir: Path, index_dir: Path, encoder: Encoder, cache_dir: Path | None = None, progress=None) -> dict:
    """Build the index for a corpus and swap it in atomically; returns the manifest."""
    corpus = load_corpus(corpus_dir)
    if corpus.problems:
        raise IndexError_("the corpus has defects; run `bot check-corpus` first:\n  " + "\n  ".join(corpus.problems[:5]))
    worker = encoder if isinstance(encoder, EncoderWorker) else EncoderWorker(encoder)
    segmenter = make_segmenter(corpus, cache_dir)
    index = build_index(corpus, segmenter, worker, progress=progress)
    index.extra.update(build_tables(speller_terms(corpus, segmenter), segmenter.common_words(COMMON_WORDS)))
    engine = Engine.assemble(corpus, index, worker, segmenter=segmenter)
    classifier = train_intents(engine)
    if classifier is not None:
        index.extra.update(classifier.to_arrays())
        index.manifest["counts"]["intent_examples"] = len(intent_examples(corpus))
    save_atomically(index, index_dir)
    return index.manifest
