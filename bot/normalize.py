"""Text normalisation, the one place for documents and questions alike.

Traditional → Simplified (OpenCC's maintained tables), full-width → half-width (NFKC), control characters
dropped, whitespace collapsed, and the corpus synonym list (citizen wording → corpus wording).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

# C0/C1 controls (not tab, newline), soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width and
# bidi marks, embeddings, overrides and isolates, invisible operators, BOM, lone surrogates.
_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ud800-\udfff]")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def strip_control(text: str) -> str:
    """Remove control, zero-width, bidi (marks, overrides, isolates) and lone-surrogate characters; keep newlines and tabs."""
    return _CONTROL.sub("", text)


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2tw")  # Taiwan's standard characters (為, not OpenCC's default 爲), no phrase changes


def to_simplified(text: str) -> str:
    """Traditional characters → Simplified (OpenCC t2s); nothing else changes."""
    return _t2s().convert(text)


_QUOTED = re.compile(r"(「[^」]*」)")


def to_traditional(text: str) -> str:
    """Simplified characters → Traditional, for answering a question typed in Traditional; text quoted from the law
    in 「」 stays as published."""
    return "".join(piece if piece.startswith("「") else _s2t().convert(piece) for piece in _QUOTED.split(text))


def normalize(text: str) -> str:
    """Canonical form used for matching: simplified, half-width, lower-case, single spaces."""
    text = unicodedata.normalize("NFKC", strip_control(text))
    text = to_simplified(text)
    return _SPACE.sub(" ", text).strip().lower()


class Synonyms:
    """Maps a token people type (国安局) to the corpus's term (国家安全机关)."""

    def __init__(self, table: dict[str, list[str]]):
        self.canonical: dict[str, str] = {}
        for term, variants in table.items():
            for variant in variants:
                self.canonical[normalize(variant)] = normalize(term)

    def terms(self) -> set[str]:
        """Every word on either side, so the segmenter keeps each one whole."""
        return set(self.canonical) | set(self.canonical.values())

    def __call__(self, token: str) -> str:
        return self.canonical.get(token, token)


class Glossary:
    """English wording → the legal texts' Chinese terms. An English question gets the terms of the phrases it
    contains appended, so BM25 meets the Chinese corpus (the multilingual encoder gets the question as typed).
    """

    def __init__(self, table: dict[str, list[str]]):
        self._term_of = {normalize(v): normalize(term) for term, variants in table.items() for v in variants if v.strip()}
        # longest phrases first: at each position the alternation takes the first that fits ("state security officer")
        phrases = sorted(self._term_of, key=len, reverse=True)
        self._pattern = re.compile(r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, phrases)) + r")(?![a-z0-9])") if phrases else None

    def expand(self, text: str) -> str:
        """The text with the Chinese terms of its English phrases appended (unchanged when none occur)."""
        if self._pattern is None:
            return text
        found = dict.fromkeys(self._term_of[m.group(0)] for m in self._pattern.finditer(normalize(text)))
        return f"{text} {' '.join(found)}" if found else text
