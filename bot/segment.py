"""Chinese segmentation with jieba: one tokenizer, the corpus user dictionary, shared by indexing and querying."""

from __future__ import annotations

import logging
import marshal
import os
import re
import tempfile
import threading
from pathlib import Path

import jieba
import jieba.posseg

from .normalize import Synonyms, normalize

jieba.setLogLevel(logging.WARNING)

# Function words that carry no meaning for retrieval (questions are full of them).
STOPWORDS = frozenset(
    "的 了 是 吗 呢 吧 啊 呀 么 嘛 和 与 及 或 或者 以及 等 在 对 把 被 让 给 向 从 到 就 都 也 还 又 而 但 "
    "我 你 他 她 它 我们 你们 他们 自己 这 那 这个 那个 这些 那些 这样 那样 什么 怎么 怎么办 怎样 如何 哪 哪些 哪里 "
    "谁 吗 请问 一下 一个 有 没有 会 要 能 可以 应该 需要 想 知道 问 请 下 上 中 里 个 些 之 其 所 为 为了 因为 "
    "所以 如果 如 则 即 并 并且 及其 以 于 由 按照 依照 根据 关于 有关 其他 规定 下列 本 该 "
    "多少 多少钱 多久 几 啥 咋 哪个 哪儿 为啥 干啥 做啥 干嘛 怎么样 是否 是不是 嘛 吧 具体 到底 究竟 一般 "
    "会不会 不会 能不能 要不要 不要 可不可以 除了 方面 要是 假如 万一 的话 还是 下来 起来 出来 过来 上来 下去 意思 含义 几次 几个 几种 几项".split()
)
EVERYDAY_FREQUENCY = 5000  # jieba's counts: 继续 14690, 考试 7815 are everyday; 厕所 906, 离婚 886, 闯红灯 4 are not
# jieba's tags of words that say when, how or which, not what: time, adverb, pronoun, conjunction, preposition, particle
_FUNCTION_TAGS = frozenset({"t", "d", "r", "c", "p", "u"})
_WORD = re.compile(r"[\w\u4e00-\u9fff]")


def default_cache_dir() -> Path:
    """A writable place for jieba's prefix-dictionary cache (the install directory may be read-only)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "zj-fanjiandie-bot"


def _writable(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("")
        probe.unlink()
        return path
    except OSError:
        return Path(tempfile.gettempdir())


class Segmenter:
    """Turns text into retrieval tokens: normalise, cut with jieba (precise mode, never paddle), map synonyms."""

    def __init__(self, userdict: Path | None, synonyms: Synonyms, cache_dir: Path | None = None):
        self.synonyms = synonyms
        self._jieba = jieba.Tokenizer()
        self._jieba.tmp_dir = str(_writable(cache_dir or default_cache_dir()))
        self._lock = threading.Lock()
        words = set(synonyms.terms())
        if userdict and userdict.exists():
            for line in userdict.read_text(encoding="utf-8").splitlines():
                parts = line.split()
                if parts and not line.startswith("#"):
                    words.add(normalize(parts[0]))
        self._words = words
        self._tagger: jieba.posseg.POSTokenizer | None = None  # built on first use: only the opt-in log needs it

    @property
    def added_words(self) -> frozenset[str]:
        """The words added to jieba's dictionary: the user dictionary's terms and both sides of the synonym list."""
        return frozenset(self._words)

    def _load_cached_prefix_dict(self) -> bool:
        """Load jieba's cached prefix dictionary ourselves: jieba unmarshals the 9 MB file straight from disk in small
        reads (~1.1 s here); reading the bytes first takes ~0.3 s, a second off the server's start. False: no usable cache."""
        path = Path(self._jieba.tmp_dir) / "jieba.cache"  # jieba's name for the default dictionary's cache
        if self._jieba.dictionary != jieba.DEFAULT_DICT or not path.is_file():
            return False
        try:
            self._jieba.FREQ, self._jieba.total = marshal.loads(path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return False
        self._jieba.initialized = True
        return True

    def _ready(self) -> None:
        # jieba builds its prefix dictionary lazily; add our words once it exists.
        with self._lock:
            if not self._jieba.initialized:
                if not self._load_cached_prefix_dict():
                    self._jieba.initialize()  # builds the dictionary and writes the cache for next time
                for word in sorted(self._words):
                    self._jieba.add_word(word, freq=max(2000, self._jieba.suggest_freq(word)))

    def common_words(self, n: int) -> dict[str, int]:
        """The n most frequent words of two to four Chinese characters in jieba's dictionary, with their frequencies."""
        self._ready()
        han = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
        ranked = sorted(((f, w) for w, f in self._jieba.FREQ.items() if f > 0 and han.match(w)), reverse=True)[:n]
        return {w: f for f, w in ranked}

    def is_specific(self, word: str) -> bool:
        """A word that is not an everyday one: rare in jieba's dictionary, or not in it (闯红灯 yes, 继续 no), and not
        a word that only says when, how or which (平时, 日常, 这些), however rare."""
        self._ready()
        return self._jieba.FREQ.get(word, 0) < EVERYDAY_FREQUENCY and self._tagger_table().get(word) not in _FUNCTION_TAGS

    def words(self, text: str) -> list[str]:
        """The text cut into dictionary words only (no guessing of unknown words), as written."""
        self._ready()
        return self._jieba.lcut(text, HMM=False)

    def tokens(self, text: str, guess_words: bool = True) -> list[str]:
        """Retrieval tokens of a text: meaningful words, canonical forms, no punctuation. `guess_words=False` keeps to
        dictionary words (jieba's HMM joins unknown pairs such as 我怕 into one 'word')."""
        self._ready()
        out = []
        for tok in self._jieba.lcut(normalize(text), HMM=guess_words):
            tok = tok.strip()
            if not tok or tok in STOPWORDS or not _WORD.search(tok):
                continue
            out.append(self.synonyms(tok))
        return out

    def _tagger_ready(self) -> jieba.posseg.POSTokenizer:
        if self._tagger is not None:  # is_specific asks for every word of every question: no lock once built
            return self._tagger
        self._ready()
        with self._lock:
            if self._tagger is None:
                self._tagger = jieba.posseg.POSTokenizer(self._jieba)
        return self._tagger

    def _tagger_table(self) -> dict[str, str]:
        """jieba's part-of-speech tag of each dictionary word."""
        return self._tagger_ready().word_tag_tab

    def _tags(self, text: str, hmm: bool = True) -> list:
        return list(self._tagger_ready().cut(text, HMM=hmm))

    def person_names(self, text: str) -> list[str]:
        """People's names in a text, as jieba's part-of-speech tagger finds them (nr*: 王小明, 李雷, 老王)."""
        return [w.word for w in self._tags(text) if w.flag.startswith("nr")]

    def proper_nouns(self, text: str) -> set[str]:
        """Names of places, organisations and people in a text (宁波, 团市委): where or who, not what is asked."""
        return {w.word for w in self._tags(text, hmm=False) if w.flag in ("ns", "nt", "nz", "nr", "nrt", "nrfg")}

    def parts_of(self, word: str) -> list[str]:
        """The shorter dictionary words inside a word (政府部门: 政府, 部门)."""
        self._ready()
        return [w for w in self._jieba.lcut_for_search(word) if len(w) > 1 and w != word]

    def names_a_thing(self, text: str) -> bool:
        """Whether a text names something (a noun, a nominal verb such as 奖励, a foreign word, a number such as 12339), not only an action
        and question words ("谁来认定", "怎么申请" leave out what they are about)."""
        return any(w.flag[:1] == "n" or w.flag in ("vn", "an", "eng") or w.word.isdigit() for w in self._tags(text, hmm=False))
