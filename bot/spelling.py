"""Near-miss spelling: the corpus's own terms recovered from homophone typos ("间碟" → 间谍) and pinyin ("jubao" → 举报,
"jubao dianhua duoshao" → 举报电话多少).

Pinyin input methods make one kind of typo above all: a character with the same sound. So a stretch of the message
that is not a word, but sounds like a domain term and differs from it in one character, is taken for that term. A run
of Latin letters that spells a term's pinyin is taken for the term; a run made of pinyin syllables only is read as
Chinese typed without the input method, word by word. The tables (toneless readings of every common character, the
domain terms and the common words by their pinyin) are made at `bot build` with pypinyin and stored with the index,
so answering needs no pinyin library.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np

MAX_READINGS = 3  # readings kept per character (polyphones): enough for the common ones, bounded work per window
TERM_LENGTHS = (4, 3, 2)  # longest first, so 国家安全机关's parts are not fixed one by one
MAX_SYLLABLE = 6  # letters in the longest pinyin syllable (zhuang, shuang)
# Single syllables typed as pinyin are mostly function words; the common character for each (grammar, like stopwords).
SINGLE_SYLLABLES = {
    "de": "的", "le": "了", "ma": "吗", "ne": "呢", "ba": "吧", "a": "啊", "shi": "是", "you": "有", "wo": "我", "ni": "你",
    "ta": "他", "zai": "在", "yao": "要", "neng": "能", "hui": "会", "he": "和", "ye": "也", "dou": "都", "jiu": "就",
    "hai": "还", "mei": "没", "bu": "不", "gei": "给", "bei": "被", "qu": "去", "shuo": "说", "wen": "问", "zhao": "找",
    "da": "打", "fa": "罚", "qian": "钱", "shei": "谁", "shui": "谁", "na": "哪", "ji": "几", "sha": "啥", "za": "咋",
    "tiao": "条", "zhe": "这", "nei": "那", "suan": "算", "gai": "该", "dui": "对", "xiang": "想", "kan": "看", "pai": "拍",
}
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_LATIN_RUN = re.compile(r"[a-z]+(?:\s+[a-z]+)*")
_TONE_MARKS = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")


def toneless(reading: str) -> str:
    """jiān → jian, lǜ → lv."""
    return reading.translate(_TONE_MARKS)


def build_tables(terms: Iterable[str], common_words: Mapping[str, int]) -> dict[str, np.ndarray]:
    """The speller's arrays for the index: every common character's toneless readings; the domain terms by their
    pinyin (phrase-aware, so 重点 is zhongdian); and for reading whole pinyin sentences, the most frequent of the common
    words (and of the terms) for each pinyin. Needs pypinyin, which only `bot build` imports."""
    from pypinyin import Style, lazy_pinyin
    from pypinyin.pinyin_dict import pinyin_dict

    def key(word: str) -> str:
        return "".join(lazy_pinyin(word, style=Style.NORMAL)).replace("ü", "v")

    chars, readings = [], []
    for code, value in pinyin_dict.items():
        if 0x4E00 <= code <= 0x9FFF:
            chars.append(chr(code))
            readings.append("|".join(list(dict.fromkeys(toneless(r) for r in value.split(",")))[:MAX_READINGS]))
    han = [t for t in sorted(set(terms)) if len(t) >= 2 and all("\u4e00" <= ch <= "\u9fff" for ch in t)]
    best: dict[str, tuple[float, str]] = {}
    for word, freq in common_words.items():
        k = key(word)
        if (freq, word) > best.get(k, (-1, "")):
            best[k] = (freq, word)
    for term in han:  # the domain's own words win over everyday homophones
        best[key(term)] = (float("inf"), term)
    return {
        "speller_chars": np.array(chars),
        "speller_readings": np.array(readings),
        "speller_keys": np.array([key(t) for t in han]),
        "speller_terms": np.array(han),
        "pinyin_keys": np.array(list(best)),
        "pinyin_words": np.array([w for _, w in best.values()]),
    }


class Speller:
    """Fixes homophone typos and pinyin in a (normalised) message, towards the corpus's terms."""

    def __init__(self, arrays: Mapping[str, np.ndarray], words_of, english_words: set[str] | frozenset[str] = frozenset()):
        """`words_of(text)`: the text cut into dictionary words (a character of a known word of two or more is never
        'fixed': 哪个部门 is not 哪干部门, 做什么 not 做事么); `english_words`: Latin words that are English, not pinyin."""
        self.readings = {str(c): tuple(str(r).split("|")) for c, r in zip(arrays.get("speller_chars", ()), arrays.get("speller_readings", ()))}
        self.terms_by_key: dict[str, list[str]] = {}
        for key, term in zip(arrays.get("speller_keys", ()), arrays.get("speller_terms", ())):
            self.terms_by_key.setdefault(str(key), []).append(str(term))
        self.terms = {t for ts in self.terms_by_key.values() for t in ts}
        self.words = {str(k): str(w) for k, w in zip(arrays.get("pinyin_keys", ()), arrays.get("pinyin_words", ()))}
        self.syllables = {r for rs in self.readings.values() for r in rs if r.isalpha()}
        self.words_of = words_of
        # English words that are pinyin too (the glossary's "zhejiang", "ningbo") don't make a run English
        self.english_words = {w for w in english_words if self._split(w) is None}

    @property
    def enabled(self) -> bool:
        """False for an index built before the speller existed: then messages pass unchanged."""
        return bool(self.readings and self.terms_by_key)

    def correct(self, text: str) -> str:
        """The text with typos and pinyin turned into the corpus's terms (unchanged when nothing fits)."""
        if not self.enabled:
            return text
        text = _LATIN_RUN.sub(lambda m: self._latin(m.group(0)), text)
        return _HAN_RUN.sub(lambda m: self._homophones(m.group(0)), text)

    # ------------------------------------------------------------ Latin letters: pinyin

    def _latin(self, run: str) -> str:
        words = run.split()
        if self._is_pinyin(words):
            return "".join(self._pinyin_word(w) for w in words)
        return _join(self._terms_in(words))

    def _is_pinyin(self, words: list[str]) -> bool:
        """Every word is made of pinyin syllables, none is an English word we know, and there is more than one
        syllable in all ("xiexie", "jubao dianhua"): Chinese typed without the input method."""
        if any(w in self.english_words for w in words):
            return False
        parts = [self._split(w) for w in words]
        return all(p is not None for p in parts) and sum(len(p) for p in parts) >= 2 and any(len(p) >= 2 for p in parts)

    def _split(self, word: str) -> list[str] | None:
        """A word as pinyin syllables (the fewest), or None when it is not pinyin."""
        best: list[list[str] | None] = [[]] + [None] * len(word)
        for end in range(1, len(word) + 1):
            for start in range(max(0, end - MAX_SYLLABLE), end):
                if best[start] is not None and word[start:end] in self.syllables:
                    candidate = best[start] + [word[start:end]]
                    if best[end] is None or len(candidate) < len(best[end]):
                        best[end] = candidate
        return best[len(word)]

    def _pinyin_word(self, word: str) -> str:
        """One pinyin word in Chinese: the whole as a known word, else its syllables in the longest known pieces."""
        if word in self.words:
            return self.words[word]
        syllables = self._split(word) or [word]
        out, i = [], 0
        while i < len(syllables):
            for j in range(len(syllables), i, -1):
                key = "".join(syllables[i:j])
                piece = self.words.get(key) if j - i > 1 else self.words.get(key) or SINGLE_SYLLABLES.get(key)
                if piece:
                    out.append(piece)
                    i = j
                    break
            else:
                out.append(syllables[i])
                i += 1
        return "".join(out)

    def _terms_in(self, words: list[str]) -> list[str]:
        """"jubao" or "ju bao" inside other Latin text → 举报 when the letters spell one domain term exactly."""
        out, i = [], 0
        while i < len(words):
            for j in range(len(words), i, -1):  # the longest stretch of words that spells a term
                key = "".join(words[i:j])
                if len(key) >= 4 and not any(w in self.english_words for w in words[i:j]) and key in self.terms_by_key:
                    out.append(self.terms_by_key[key][0])
                    i = j
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    # ------------------------------------------------------------ Chinese characters: homophone typos

    def _homophones(self, run: str) -> str:
        in_word = []  # for each character: whether it belongs to a known word of two or more characters
        for word in self.words_of(run):
            in_word += [len(word) > 1] * len(word)
        chars = list(run)
        i = 0
        while i < len(chars):
            for length in TERM_LENGTHS:
                window = "".join(chars[i : i + length])
                if len(window) < length or any(in_word[i : i + length]):
                    continue  # a character of a known word ("什" of 什么) is spelled right
                fixed = self._fix(window)
                if fixed:
                    chars[i : i + length] = list(fixed)
                    i += length - 1
                    break
            i += 1
        return "".join(chars)

    def _fix(self, window: str) -> str | None:
        """The term this window is a one-character homophone typo of, or None."""
        if window in self.terms:
            return None
        options = [self.readings.get(ch, ()) for ch in window]
        if not all(options):
            return None
        for key in _spellings(options):
            for term in self.terms_by_key.get(key, ()):
                if len(term) == len(window) and sum(a != b for a, b in zip(term, window)) == 1:
                    return term
        return None


def _join(pieces: list[str]) -> str:
    """No space between Chinese and its neighbours, one between Latin words."""
    joined = ""
    for piece in pieces:
        joined += piece if not joined or not (joined[-1].isascii() and piece[0].isascii()) else " " + piece
    return joined


def _spellings(options: list[tuple[str, ...]]) -> list[str]:
    """Every pinyin spelling of a window from its characters' readings (bounded: ≤ 3 readings each, ≤ 4 characters)."""
    keys = [""]
    for readings in options:
        keys = [k + r for k in keys for r in readings]
    return keys
