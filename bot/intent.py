"""The intent classifier: question, report, greeting, out_of_scope, sensitive or self_involved.

A single similarity threshold cannot separate these (unrelated questions reach high cosine scores on
legal text), so a small softmax classifier combines the question's embedding with retrieval signals
(dense and BM25 maxima, overlap with the corpus vocabulary). It is trained at `bot build` on the labelled
phrasings in corpus/intents.yaml and stored with the index. What its probabilities mean for an answer is decided in
decide.py, with thresholds calibrated on eval/dev.yaml.
"""

from __future__ import annotations

import numpy as np

from .corpus import INTENT_LABELS as LABELS
from .retrieve import Retrieval

SIGNALS = ("dense_law_max", "dense_faq_max", "bm25_law_max", "bm25_faq_max", "vocab_overlap", "n_tokens")


def features(retrieval: Retrieval) -> np.ndarray:
    """Embedding plus retrieval signals, one row."""
    sig = np.array([retrieval.signals.get(s, 0.0) for s in SIGNALS], dtype=np.float32)
    sig[2:4] = np.log1p(sig[2:4])  # BM25 maxima are unbounded
    sig[5] = np.log1p(sig[5])
    return np.concatenate([retrieval.vector.astype(np.float32), sig])


class IntentClassifier:
    """Multinomial logistic regression (numpy only), standardised inputs, L2-regularised."""

    def __init__(self, weights: np.ndarray, bias: np.ndarray, mean: np.ndarray, scale: np.ndarray):
        self.weights, self.bias, self.mean, self.scale = weights, bias, mean, scale

    @classmethod
    def train(cls, x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 600, lr: float = 0.5) -> IntentClassifier:
        """Fit on rows x with label indices y (full-batch gradient descent; a few hundred rows take milliseconds)."""
        mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
        z = (x - mean) / scale
        n, d = z.shape
        k = len(LABELS)
        w, b = np.zeros((d, k), dtype=np.float64), np.zeros(k, dtype=np.float64)
        onehot = np.eye(k)[y]
        class_weight = n / (k * np.maximum(np.bincount(y, minlength=k), 1))  # balance the labels
        sample_w = class_weight[y][:, None]
        for _ in range(steps):
            p = _softmax(z @ w + b)
            grad = (p - onehot) * sample_w / n
            w -= lr * (z.T @ grad + l2 * w)
            b -= lr * grad.sum(axis=0)
        return cls(w.astype(np.float32), b.astype(np.float32), mean.astype(np.float32), scale.astype(np.float32))

    def probabilities(self, row: np.ndarray) -> dict[str, float]:
        """P(label) for one feature row."""
        p = _softmax(((row - self.mean) / self.scale) @ self.weights + self.bias)
        return {label: float(v) for label, v in zip(LABELS, p.ravel())}

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Arrays to store with the index."""
        return {"intent_w": self.weights, "intent_b": self.bias, "intent_mean": self.mean, "intent_scale": self.scale}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> IntentClassifier:
        """Rebuild from stored arrays."""
        return cls(arrays["intent_w"], arrays["intent_b"], arrays["intent_mean"], arrays["intent_scale"])


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = np.atleast_2d(logits)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
