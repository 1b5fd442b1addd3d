"""The corpus: legal documents parsed into 章/条/款/项, FAQ entries, reporting channels and cross-references.

Everything here is read from corpus/ (data only). Loading is lenient and records where each thing came from
(file and line) so that `bot check-corpus` (bot/check.py) can point at defects precisely.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from .numerals import NUMERAL, article_label, cn_to_int, item_label, paragraph_label
from .paths import shipped

DEFAULT_CORPUS_DIR = shipped("corpus")
CURRENT = "现行有效"
# The fixed replies (keys of responses.yaml) and the fields each may use; `bot check-corpus` refuses any other field,
# so a typo such as {hotlne} is caught before it reaches a visitor. Every reply may use {title}, {hotline}, {website}.
COMMON_FIELDS = frozenset({"title", "hotline", "website"})
RESPONSE_FIELDS: dict[str, frozenset[str]] = {
    "greeting": frozenset(), "thanks": frozenset(), "goodbye": frozenset(), "ack": frozenset(),
    "out_of_scope": frozenset(), "sensitive": frozenset(),
    "report_intro": frozenset(), "report_footer": frozenset(), "report_and_answer": frozenset(),
    "self_involved_intro": frozenset(),
    "article_lead": frozenset({"source"}), "more_lead": frozenset({"source"}), "partial": frozenset({"asked", "source"}), "partial_nearest": frozenset({"asked"}), "partial_your_case": frozenset(), "why_purpose": frozenset({"source"}),
    "lookup_lead": frozenset({"doc_title", "label"}), "plain_words": frozenset(),
    "lookup_missing": frozenset({"doc_title", "count", "label", "last"}),
    "old_numbering": frozenset({"old", "new"}),
    "step_again": frozenset({"step"}),
    "obligation_must": frozenset({"labels"}), "obligation_may": frozenset({"labels"}),
    "mentions": frozenset({"doc_title", "what", "labels"}),
    "claim_elsewhere": frozenset({"doc_title", "label", "claim", "others", "earlier"}), "claim_earlier_version": frozenset({"claim", "old_title", "label"}),
    "which_article": frozenset({"labels"}), "nothing_more": frozenset(),
    "premise_yes": frozenset({"statement"}), "premise_no": frozenset({"statement"}),
    "part_lead": frozenset({"asked"}),
    "doc_issuer": frozenset({"doc_title", "issuer", "order_no"}), "doc_order_no": frozenset({"doc_title", "order_no"}),
    "doc_count": frozenset({"doc_title", "count"}),
    "doc_revised": frozenset({"doc_title", "effective", "old_title"}), "doc_no_revision": frozenset({"doc_title", "effective"}),
    "doc_old_numbering": frozenset({"doc_title"}), "doc_changes_not_compared": frozenset(), "doc_effective": frozenset({"doc_title", "effective"}),
    "doc_current": frozenset({"doc_title", "effective"}), "doc_superseded": frozenset({"doc_title", "current_title"}),
}
# The other keys of responses.yaml: lists and mappings rather than texts.
RESPONSE_DATA = ("report_steps", "report_kinds", "report_citations", "self_involved_citations", "starter_questions")
STEP_KINDS = ("person", "object", "online")  # report_steps: advice for someone approached, an object found, a request online
REPORT_STEP_LISTS = (*STEP_KINDS, "self_involved")  # every list report_steps must have
FORMS = ("yesno", "what", "how", "why", "howmany", "when", "who")  # question forms a FAQ entry can answer
_VERDICT_OPENER = re.compile(r"^(可能)?(不)?(算|要|需要|有|会|能|可以|属于|是|应当|必须|允许|行)[。，！]")


def opens_with_verdict(text: str) -> bool:
    """Whether a text starts with a bare yes/no verdict (算。/ 要。/ 有。…): a FAQ body must not, so that an open
    question never gets one."""
    return bool(_VERDICT_OPENER.match(text))


def template_fields(template: str) -> set[str]:
    """The {fields} a template of responses.yaml uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# What a message can be, as labelled in intents.yaml. The API shows question | report | greeting | out_of_scope:
# a sensitive message is answered as out of scope (with its own neutral reply), a self-involved one as a report.
INTENT_LABELS = ("question", "report", "greeting", "out_of_scope", "sensitive", "self_involved")

_HEADING = re.compile(rf"^(?:#+\s*)?第({NUMERAL})(章|节)[\s\u3000]*(.*)$")
_ARTICLE = re.compile(rf"^第({NUMERAL})条(?:[\s\u3000]+(.*)|$)")
_ITEM = re.compile(rf"^[（(]({NUMERAL})[）)]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_OLD_LAW_REF = re.compile(rf"《(?:中华人民共和国)?反间谍法》第({NUMERAL})条")


# ---------------------------------------------------------------- records


# part of the corpus to search: article keys ("doc/number") and FAQ entry ids
Scope = tuple[frozenset[str], frozenset[str]]


@dataclass(frozen=True)
class Source:
    """Where a record was read from, for error messages."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Paragraph:
    """One 款: its lead sentence and its 项 (items), verbatim."""

    doc_id: str
    article: int
    number: int
    lead: str
    items: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """Stable id such as zhejiang-2019/19/2."""
        return f"{self.doc_id}/{self.article}/{self.number}"

    @property
    def text(self) -> str:
        """The whole 款 with its items, one per line, as in the source."""
        return "\n".join((self.lead, *self.items)) if self.lead else "\n".join(self.items)

    @property
    def label(self) -> str:
        """第二款."""
        return paragraph_label(self.number)


@dataclass(frozen=True)
class Article:
    """One 条 with its paragraphs, chapter and section."""

    doc_id: str
    number: int
    paragraphs: tuple[Paragraph, ...]
    chapter: str = ""
    section: str = ""
    source: Source | None = field(default=None, compare=False)

    @property
    def id(self) -> str:
        """Stable id such as zhejiang-2019/19."""
        return f"{self.doc_id}/{self.number}"

    @property
    def label(self) -> str:
        """第十九条."""
        return article_label(self.number)

    @property
    def text(self) -> str:
        """The article's full text, paragraphs and items one per line."""
        return "\n".join(p.text for p in self.paragraphs)

    def paragraph(self, number: int) -> Paragraph | None:
        """The numbered 款, or None."""
        return self.paragraphs[number - 1] if 1 <= number <= len(self.paragraphs) else None


LIABILITY = "法律责任"  # the chapter title, and the FAQ topic, of what follows from breaking the rules


@dataclass(frozen=True)
class Document:
    """A legal text with its metadata."""

    doc_id: str
    title: str
    short_title: str
    status: str
    effective: str
    primary: bool
    articles: tuple[Article, ...]
    meta: dict[str, Any]
    text: str
    source: Source

    @property
    def is_current(self) -> bool:
        """Whether the text is in force (a superseded text is kept only for mapping old numbers)."""
        return self.status == CURRENT

    @cached_property
    def liability(self) -> frozenset[int]:
        """The articles on what follows from breaking the rules: its 法律责任 chapter, or for a text without chapters
        the numbers its metadata lists (liability_articles)."""
        listed = self.meta.get("liability_articles") or ()
        return frozenset(int(n) for n in listed) or frozenset(a.number for a in self.articles if LIABILITY in a.chapter)

    @cached_property
    def _by_number(self) -> dict[int, Article]:
        return {a.number: a for a in self.articles}

    def article(self, number: int) -> Article | None:
        """The numbered 条, or None."""
        return self._by_number.get(number)

    def old_law_refs(self, article: int) -> list[int]:
        """2014 反间谍法 article numbers that this article cites as 《反间谍法》第X条."""
        art = self.article(article)
        if art is None or not self.meta.get("cites_old_numbering"):
            return []
        return sorted({cn_to_int(m) for m in _OLD_LAW_REF.findall(art.text)})


@dataclass(frozen=True)
class Citation:
    """A pointer into a document: article, optionally 款 and 项."""

    doc_id: str
    article: int
    paragraph: int | None = None
    item: int | None = None

    @property
    def label(self) -> str:
        """第十九条第二款第（一）项."""
        parts = [article_label(self.article)]
        if self.paragraph:
            parts.append(paragraph_label(self.paragraph))
        if self.item:
            parts.append(item_label(self.item))
        return "".join(parts)


@dataclass(frozen=True)
class FaqEntry:
    """A plain-language answer with the phrasings people use and the articles it rests on.

    `answer` is the body, which reads on its own; `verdict` (算。/ 要。…) is given before it only to a yes/no question
    about the same thing; `forms` are the question forms the entry answers; `gist` is one plain sentence for "说简单点".
    """

    id: str
    topic: str
    audience: tuple[str, ...]
    questions: tuple[str, ...]
    answer: str
    citations: tuple[Citation, ...]
    source: Source = field(compare=False)
    question_lines: tuple[int, ...] = field(default=(), compare=False)
    forms: tuple[str, ...] = ()
    verdict: str = ""
    gist: str = ""
    coverage: str = "full"  # partial: the texts do not settle the question it is asked; its answer gives what they do say
    english: dict[str, str] = field(default_factory=dict, compare=False, hash=False)  # answer / verdict / gist in English

    @property
    def headline(self) -> str:
        """The phrasing to offer as a tappable suggestion: the first Chinese one, since the bot answers in Chinese."""
        return next((q for q in self.questions if _CJK.search(q)), self.questions[0])


@dataclass(frozen=True)
class Channel:
    """An official reporting channel (data, never a string in code)."""

    kind: str
    label: str
    value: str
    href: str = ""
    how: str = ""  # what to do to use it (a letter, a visit), for the pages
    english: dict[str, str] = field(default_factory=dict, compare=False, hash=False)  # label / value / how in English

    def in_language(self, lang: str) -> Channel:
        """The channel with its English label, value and how-to when lang is en (the Chinese where none is given)."""
        if lang != "en":
            return self
        return Channel(self.kind, self.english.get("label", self.label), self.english.get("value", self.value), self.href, self.english.get("how", self.how))


@dataclass(frozen=True)
class Subject:
    """Who a question can be about (学生, 企业…): the words people use for it and the FAQ audience tag it matches."""

    name: str
    audience: str
    words: tuple[str, ...]
    liable_as: str = ""  # who the penalty provisions name for them (a school answers as a 单位), if anyone


@dataclass(frozen=True)
class Fact:
    """A fact people get wrong ("11月1日是全民国家安全教育日吧"): its names, its values, and the article stating it."""

    id: str
    names: tuple[str, ...]  # the first is used in answers
    values: tuple[str, ...]  # the first is used in answers
    statement: str
    citation: Citation
    source: Source = field(compare=False)
    statement_en: str = ""


@dataclass(frozen=True)
class CrossRef:
    """A 2014 反间谍法 article and its current 2023 counterpart(s)."""

    old: int
    new: tuple[Citation, ...]
    note: str = ""


@dataclass(frozen=True)
class QuizItem:
    """A classroom quiz item whose answer is supported by a verbatim fragment of the cited article."""

    id: str
    kind: str
    question: str
    options: tuple[str, ...]
    answer: int
    explanation: str
    citation: Citation
    support: str
    audience: tuple[str, ...]
    source: Source = field(compare=False)


# ---------------------------------------------------------------- YAML with line numbers


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader that remembers the line of every mapping (`__line__`) and of list items (`__lines__`)."""

    def construct_mapping(self, node, deep=False):  # noqa: D401 - PyYAML hook
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        mapping["__lines__"] = {
            k.value: [item.start_mark.line + 1 for item in v.value]
            for k, v in node.value
            if isinstance(v, yaml.SequenceNode) and isinstance(k, yaml.ScalarNode)
        }
        return mapping


def read_yaml(path: Path) -> Any:
    """Parse a YAML file keeping line numbers; raise CorpusError with file:line on a syntax error."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise CorpusError(f"{path}:{line}: YAML syntax error: {getattr(exc, 'problem', exc)}") from exc
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}:1: not UTF-8 text ({exc.reason})") from exc


class CorpusError(Exception):
    """The corpus cannot be read at all (missing file, broken YAML)."""


# ---------------------------------------------------------------- parsing


def _squeeze(name: str) -> str:
    """Drop the spacing some sources put inside headings (总　　则 → 总则)."""
    return re.sub(r"[\s\u3000]+", "", name)


def parse_articles(doc_id: str, text: str, path: str = "") -> tuple[list[Article], list[str]]:
    """Split a law's text into articles, paragraphs (款) and items (项).

    Returns the articles in source order and a list of structural problems ("file:line: message").
    """
    articles: list[Article] = []
    problems: list[str] = []
    chapter = section = ""
    current: dict[str, Any] | None = None

    def close() -> None:
        if current is None:
            return
        paras = tuple(
            Paragraph(doc_id, current["number"], i, lead, tuple(items))
            for i, (lead, items) in enumerate(current["paras"], start=1)
        )
        articles.append(
            Article(doc_id, current["number"], paras, current["chapter"], current["section"], Source(path, current["line"]))
        )

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if heading := _HEADING.match(line):
            if heading.group(2) == "章":
                chapter, section = f"第{heading.group(1)}章", ""
                chapter = f"{chapter} {_squeeze(heading.group(3))}".strip()
            else:
                section = f"第{heading.group(1)}节 {_squeeze(heading.group(3))}".strip()
            continue
        if art := _ARTICLE.match(line):
            close()
            number = cn_to_int(art.group(1))
            rest = (art.group(2) or "").strip()
            current = {"number": number, "line": lineno, "chapter": chapter, "section": section, "paras": []}
            if rest:
                current["paras"].append((rest, []))
            continue
        if current is None:
            continue  # title, 题注 and table of contents before the first article
        if _ITEM.match(line) and current["paras"]:
            current["paras"][-1][1].append(line)
        else:
            current["paras"].append((line, []))
    close()

    expected = 1
    for art in articles:
        if art.number != expected:
            kind = "repeat" if art.number < expected else "gap"
            problems.append(
                f"{art.source}: article numbering {kind}: found {art.label} ({art.number}) where "
                f"{article_label(expected) if expected > 0 else '?'} ({expected}) was expected"
            )
        expected = art.number + 1
    return articles, problems


# ---------------------------------------------------------------- the corpus


CITATION_KEYS = ("doc_id", "article", "paragraph", "item")


def parse_citation(raw: Any, default_doc: str | None = None) -> Citation:
    """The one reader of citations written in YAML: {doc_id, article, paragraph?, item?}, or a bare article number when
    a default document is given (lesson.yaml). Raises ValueError saying what is wrong."""
    if isinstance(raw, int) and not isinstance(raw, bool) and default_doc:
        return Citation(default_doc, raw)
    if not isinstance(raw, dict):
        shape = "an article is a number or {article: N, paragraph: P}" if default_doc else "a citation must be a mapping with doc_id and article"
        raise ValueError(f"{shape}, got {raw!r}")
    unknown = sorted(k for k in raw if not str(k).startswith("__") and k not in CITATION_KEYS)
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(map(str, unknown))} in a citation (use {', '.join(CITATION_KEYS)})")
    doc_id = raw.get("doc_id") or default_doc
    numbers = [raw.get(k) for k in CITATION_KEYS[1:]]
    if not doc_id or raw.get("article") is None or any(isinstance(n, bool) or (n is not None and not str(n).isdigit()) for n in numbers):
        raise ValueError(f"a citation needs doc_id and a numeric article (paragraph, item optional), got {_plain(raw)}")
    article, paragraph, item = (int(n) if n is not None else None for n in numbers)
    return Citation(str(doc_id), article, paragraph, item)


def _plain(raw: dict) -> dict:
    return {k: v for k, v in raw.items() if not str(k).startswith("__")}


@dataclass
class Corpus:
    """Everything in corpus/, parsed. `problems` collects what could be read but is malformed."""

    root: Path
    documents: dict[str, Document]
    faq: list[FaqEntry]
    channels: list[Channel]
    channels_source: dict[str, Any]
    crossrefs: dict[int, CrossRef]
    synonyms: dict[str, list[str]]
    glossary: dict[str, list[str]]
    quiz: list[QuizItem]
    problems: list[str]
    version: str
    responses: dict[str, Any] = field(default_factory=dict)  # responses.yaml: the bot's fixed wording (not law)
    responses_en: dict[str, Any] = field(default_factory=dict)  # responses-en.yaml: the same in English
    intents: dict[str, tuple[str, ...]] = field(default_factory=dict)  # intents.yaml: labelled phrasings
    subjects: tuple[Subject, ...] = ()
    facts: tuple[Fact, ...] = ()
    sensitive: dict[str, tuple[str, ...]] = field(default_factory=dict)  # sensitive.yaml: subjects (all categories), asking

    @property
    def primary(self) -> Document:
        """The measures (the one document marked primary)."""
        return next(d for d in self.documents.values() if d.primary)

    def article(self, doc_id: str, number: int) -> Article | None:
        """Look up an article by document id and number."""
        doc = self.documents.get(doc_id)
        return doc.article(number) if doc else None

    def resolve(self, citation: Citation) -> str | None:
        """The verbatim text a citation points at, or None when it does not exist."""
        art = self.article(citation.doc_id, citation.article)
        if art is None:
            return None
        if citation.paragraph is None:
            return art.text
        para = art.paragraph(citation.paragraph)
        if para is None:
            return None
        if citation.item is None:
            return para.text
        return para.items[citation.item - 1] if 1 <= citation.item <= len(para.items) else None

    def quoted(self, citation: Citation) -> str | None:
        """The text a citation shows: a 项 comes with its 款's lead sentence, which often holds what the item means
        (the penalty of 反间谍法第六十条 is in the lead, not in the items; 第六条's 协调和指导 is in its lead)."""
        text = self.resolve(citation)
        if text is None or citation.item is None:
            return text
        lead = self.article(citation.doc_id, citation.article).paragraph(citation.paragraph).lead
        return "\n".join(x for x in (lead, text) if x)

    def current_counterparts(self, doc_id: str, article: int) -> list[tuple[int, CrossRef]]:
        """For an article citing the 2014 反间谍法 by number: (old article, its 2023 counterpart) pairs."""
        doc = self.documents.get(doc_id)
        if doc is None:
            return []
        return [(old, self.crossrefs[old]) for old in doc.old_law_refs(article) if old in self.crossrefs]

    @cached_property
    def faq_by_id(self) -> dict[str, FaqEntry]:
        """FAQ entries by id."""
        return {e.id: e for e in self.faq}

    @cached_property
    def liability(self) -> Scope:
        """What answers "what happens if not" ("罚多少", "不做会怎样"): the current documents' liability articles (as
        "doc/number" keys), and the FAQ entries on 法律责任 or citing one of them."""
        keys = frozenset(f"{d.doc_id}/{n}" for d in self.documents.values() if d.is_current for n in d.liability)
        entries = frozenset(e.id for e in self.faq if e.topic == LIABILITY or any(f"{c.doc_id}/{c.article}" in keys for c in e.citations))
        return keys, entries

    @cached_property
    def _document_scopes(self) -> dict[str, Scope]:
        """What a question about one text is answered from ("浙江办法里对奖励怎么说的"): its articles, and the FAQ
        entries citing one of them; built once, not per question."""
        return {
            doc_id: (frozenset(f"{doc_id}/{a.number}" for a in doc.articles), frozenset(e.id for e in self.faq if any(c.doc_id == doc_id for c in e.citations)))
            for doc_id, doc in self.documents.items()
        }

    def scope(self, document: str | None = None, liability: bool = False) -> Scope | None:
        """What to search among: the liability provisions, one text's, both, or everything (None)."""
        scopes = ([self.liability] if liability else []) + ([self._document_scopes[document]] if document else [])
        if not scopes:
            return None
        return frozenset.intersection(*(k for k, _ in scopes)), frozenset.intersection(*(e for _, e in scopes))

    def entry_in(self, answers: tuple[str, ...]) -> FaqEntry | None:
        """The FAQ entry whose answer the most recent of these answer texts gave (the page sends the texts back)."""
        for text in reversed(answers):
            entry = next((e for e in self.faq if any(a and a[:40] in text for a in (e.answer, e.english.get("answer")))), None)
            if entry is not None:
                return entry
        return None


def corpus_version(root: Path) -> str:
    """A short content hash of every data file in corpus/ (the index records it to detect staleness)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in {".txt", ".yaml", ".yml"}):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _load_documents(root: Path, problems: list[str]) -> dict[str, Document]:
    docs: dict[str, Document] = {}
    for meta_path in sorted((root / "documents").glob("*.yaml")):
        meta = read_yaml(meta_path) or {}
        src = Source(str(meta_path), 1)
        doc_id = str(meta.get("doc_id") or meta_path.stem)
        text_path = meta_path.with_suffix(".txt")
        if not text_path.exists():
            problems.append(f"{src}: no text file {text_path.name} next to the metadata of {doc_id}")
            continue
        try:
            text = text_path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(f"{text_path}:1: not UTF-8 text ({exc.reason} at byte {exc.start})")
            continue
        articles, structural = parse_articles(doc_id, text, str(text_path))
        problems.extend(structural)
        docs[doc_id] = Document(
            doc_id=doc_id,
            title=str(meta.get("title", doc_id)),
            short_title=str(meta.get("short_title") or meta.get("title", doc_id)),
            status=str(meta.get("status", "")),
            effective=str(meta.get("effective") or ""),
            primary=bool(meta.get("primary", False)),
            articles=tuple(articles),
            meta={k: v for k, v in meta.items() if not k.startswith("__")},
            text=text,
            source=src,
        )
    return docs


def _load_faq(root: Path, problems: list[str]) -> list[FaqEntry]:
    entries: list[FaqEntry] = []
    for path in sorted((root / "faq").glob("*.yaml")):
        data = read_yaml(path) or []
        if not isinstance(data, list):
            problems.append(f"{path}:1: a FAQ file must be a list of entries")
            continue
        for raw in data:
            src = Source(str(path), raw.get("__line__", 1) if isinstance(raw, dict) else 1)
            if not isinstance(raw, dict):
                problems.append(f"{src}: a FAQ entry must be a mapping, got {raw!r}")
                continue
            try:
                citations = tuple(parse_citation(c) for c in raw.get("citations") or [])
            except ValueError as exc:
                problems.append(f"{src}: entry {raw.get('id')!r}: {exc}")
                citations = ()
            questions = raw.get("questions") or []
            forms = raw.get("form") or []
            entries.append(
                FaqEntry(
                    id=str(raw.get("id", "")),
                    topic=str(raw.get("topic", "")),
                    audience=tuple(str(a) for a in raw.get("audience") or []),
                    questions=tuple(str(q).strip() for q in questions),
                    answer=_text(raw.get("answer")),
                    citations=citations,
                    source=src,
                    question_lines=tuple(raw.get("__lines__", {}).get("questions", [])),
                    forms=tuple(str(f).strip() for f in (forms if isinstance(forms, list) else [forms])),
                    verdict=_text(raw.get("verdict")),
                    gist=_text(raw.get("gist")),
                    coverage=_text(raw.get("coverage")) or "full",
                    english={k: _text(raw.get(f"{k}_en")) for k in ("answer", "verdict", "gist") if raw.get(f"{k}_en")},
                )
            )
    return entries


def _text(value: Any) -> str:
    """A text field of the YAML, trimmed ('' when absent)."""
    return str(value).strip() if value is not None else ""


def _load_channels(root: Path, problems: list[str]) -> tuple[list[Channel], dict[str, Any]]:
    path = root / "channels.yaml"
    if not path.exists():
        problems.append(f"{path}:1: missing: the reporting channels must be data in corpus/")
        return [], {}
    data = read_yaml(path) or {}
    channels = []
    for raw in (data.get("channels") or []) + (data.get("local") or []):
        if not isinstance(raw, dict) or not raw.get("kind") or not raw.get("value"):
            problems.append(f"{path}:{raw.get('__line__', 1) if isinstance(raw, dict) else 1}: a channel needs kind, label and value")
            continue
        english = {k: _text(raw.get(f"{k}_en")) for k in ("label", "value", "how") if raw.get(f"{k}_en")}
        channels.append(
            Channel(str(raw["kind"]), str(raw.get("label", "")), str(raw["value"]), str(raw.get("href", "")), str(raw.get("how", "")).strip(), english)
        )
    return channels, data


def _load_crossrefs(root: Path, problems: list[str]) -> dict[int, CrossRef]:
    path = root / "crossrefs.yaml"
    if not path.exists():
        return {}
    data = read_yaml(path) or {}
    to_doc = str(data.get("to_doc", "fanjiandiefa-2023"))
    refs: dict[int, CrossRef] = {}
    for raw in data.get("map") or []:
        try:
            new = tuple(parse_citation(n, default_doc=to_doc) for n in raw["new"])
            refs[int(raw["old"])] = CrossRef(int(raw["old"]), new, str(raw.get("note", "")))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append(f"{path}:{raw.get('__line__', 1) if isinstance(raw, dict) else 1}: bad cross-reference row: {exc}")
    return refs


def _load_quiz(root: Path, problems: list[str]) -> list[QuizItem]:
    path = root / "quiz.yaml"
    if not path.exists():
        return []
    items = []
    for raw in read_yaml(path) or []:
        src = Source(str(path), raw.get("__line__", 1) if isinstance(raw, dict) else 1)
        try:
            items.append(
                QuizItem(
                    id=str(raw["id"]),
                    kind=str(raw["kind"]),
                    question=str(raw["question"]).strip(),
                    options=tuple(str(o) for o in raw["options"]),
                    answer=int(raw["answer"]),
                    explanation=str(raw.get("explanation", "")).strip(),
                    citation=parse_citation(raw["citation"]),
                    support=str(raw.get("support", "")).strip(),
                    audience=tuple(str(a) for a in raw.get("audience") or []),
                    source=src,
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append(f"{src}: malformed quiz item: {exc}")
    return items


def _load_term_table(path: Path) -> dict[str, list[str]]:
    """A {term: [other wordings]} table (synonyms.yaml, glossary-en.yaml); empty when the file is absent."""
    raw = read_yaml(path) if path.exists() else {}
    return {str(k): [str(v) for v in (vs or [])] for k, vs in (raw or {}).items() if not str(k).startswith("__")}


def _load_responses(root: Path, problems: list[str], name: str = "responses.yaml") -> dict[str, Any]:
    path = root / name
    if not path.exists():
        problems.append(f"{path}:1: missing: the bot's fixed replies (greeting, out of scope, report steps…) must be data in corpus/")
        return {}
    data = read_yaml(path)
    if not isinstance(data, dict):
        problems.append(f"{path}:1: responses.yaml must be a mapping of reply names to texts")
        return {}
    return data


def key_line(path: Path, key: str) -> int | None:
    """The line of a top-level key in a YAML file, for precise messages."""
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.startswith(f"{key}:"):
                return number
    except OSError:
        pass
    return None


def _load_intents(root: Path, problems: list[str]) -> dict[str, tuple[str, ...]]:
    path = root / "intents.yaml"
    if not path.exists():
        return {}
    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        problems.append(f"{path}:1: intents.yaml must map each label ({', '.join(INTENT_LABELS)}) to a list of phrasings")
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for label, phrasings in data.items():
        if str(label).startswith("__"):
            continue
        where = f"{path}:{key_line(path, str(label)) or 1}"
        if label not in INTENT_LABELS:
            problems.append(f"{where}: unknown label {label!r}; the labels are {', '.join(INTENT_LABELS)}")
        elif not isinstance(phrasings, list) or not all(isinstance(p, str) and p.strip() for p in phrasings):
            problems.append(f"{where}: label {label!r} must be a list of non-empty phrasings")
        else:
            out[label] = tuple(p.strip() for p in phrasings)
    return out


def _load_subjects(root: Path, problems: list[str]) -> tuple[Subject, ...]:
    path = root / "subjects.yaml"
    if not path.exists():
        return ()
    out = []
    for name, raw in (read_yaml(path) or {}).items():
        if str(name).startswith("__"):
            continue
        if not isinstance(raw, dict) or not isinstance(raw.get("words"), list) or not raw["words"]:
            problems.append(f"{path}:{raw.get('__line__', 1) if isinstance(raw, dict) else 1}: subject {name!r} needs a list of words")
            continue
        words = tuple(str(w).strip() for w in raw["words"] if str(w).strip())
        out.append(Subject(str(name), _text(raw.get("audience")), words, _text(raw.get("liable_as"))))
    return tuple(out)


def _load_facts(root: Path, problems: list[str]) -> tuple[Fact, ...]:
    path = root / "facts.yaml"
    if not path.exists():
        return ()
    out = []
    for raw in read_yaml(path) or []:
        src = Source(str(path), raw.get("__line__", 1) if isinstance(raw, dict) else 1)
        try:
            names, values = [tuple(str(v).strip() for v in raw[key]) for key in ("names", "values")]
            if not names or not values:
                raise ValueError("names and values must be non-empty lists")
            out.append(Fact(str(raw["id"]), names, values, _text(raw["statement"]), parse_citation(raw["citation"]), src, _text(raw.get("statement_en"))))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append(f"{src}: malformed fact: {exc}")
    return tuple(out)


def _load_sensitive(root: Path, problems: list[str]) -> dict[str, tuple[str, ...]]:
    path = root / "sensitive.yaml"
    if not path.exists():
        return {}
    data = read_yaml(path) or {}
    subjects = data.get("subjects") if isinstance(data, dict) else None
    asking = data.get("asking") if isinstance(data, dict) else None
    if not isinstance(subjects, dict) or not all(isinstance(v, list) and v for k, v in subjects.items() if not str(k).startswith("__")) or not isinstance(asking, list) or not asking:
        problems.append(f"{path}:1: sensitive.yaml needs `subjects:` (categories, each a non-empty list of words) and `asking:` (a non-empty list)")
        return {}
    words = [str(w).strip() for k, v in subjects.items() if not str(k).startswith("__") for w in v if str(w).strip()]
    return {"subjects": tuple(words), "asking": tuple(str(w).strip() for w in asking if str(w).strip())}


def load_corpus(root: Path | str = DEFAULT_CORPUS_DIR) -> Corpus:
    """Read and parse everything under corpus/."""
    root = Path(root)
    if not (root / "documents").is_dir():
        raise CorpusError(f"{root}: no documents/ folder here; is this a corpus directory?")
    problems: list[str] = []
    documents = _load_documents(root, problems)
    faq = _load_faq(root, problems)
    channels, channels_source = _load_channels(root, problems)
    crossrefs = _load_crossrefs(root, problems)
    synonyms = _load_term_table(root / "synonyms.yaml")
    glossary = _load_term_table(root / "glossary-en.yaml")
    quiz = _load_quiz(root, problems)
    return Corpus(
        root, documents, faq, channels, channels_source, crossrefs, synonyms, glossary, quiz, problems, corpus_version(root),
        responses=_load_responses(root, problems),
        responses_en=_load_responses(root, problems, "responses-en.yaml"),
        intents=_load_intents(root, problems),
        subjects=_load_subjects(root, problems),
        facts=_load_facts(root, problems),
        sensitive=_load_sensitive(root, problems),
    )
