"""The classroom (办法第十七条): a lesson that steps through the measures by theme, and quizzes from the question bank.

Pure functions over a loaded Corpus. The theme → article mapping is data (corpus/lesson.yaml); the explanations
are FAQ answers and the check questions are items of corpus/quiz.yaml, both verbatim. `bot check-corpus`
validates lesson.yaml through check.check_lesson, which uses the loader and the selection rules below.
"""

from __future__ import annotations

import copy
import random
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .corpus import Citation, Corpus, CorpusError, FaqEntry, QuizItem, Source, parse_citation, read_yaml

# the audience tags of corpus/README.md, in the order a teacher picks from (check.AUDIENCES is the same set)
AUDIENCES = ("公众", "学生", "教师", "企业", "重点单位", "公务员", "媒体")
MAX_QUIZ = 50
LESSON_FILE = "lesson.yaml"
PREFERRED_AUDIENCE = "学生"  # when lesson.yaml names no FAQ entry or quiz item, prefer those written for students


# ---------------------------------------------------------------- quiz


def quiz_item(q: QuizItem) -> dict[str, Any]:
    """One bank item in the API shape: id, kind, question, options, answer, explanation, citation."""
    citation: dict[str, Any] = {"doc_id": q.citation.doc_id, "article": q.citation.article}
    if q.citation.paragraph is not None:
        citation["paragraph"] = q.citation.paragraph
    return {
        "id": q.id,
        "kind": q.kind,
        "question": q.question,
        "options": list(q.options),
        "answer": q.answer,
        "explanation": q.explanation,
        "citation": citation,
    }


def quiz_pool(corpus: Corpus, audience: str | None = None) -> list[QuizItem]:
    """The bank items a quiz for this audience draws from (all of them when audience is None or blank)."""
    audience = (audience or "").strip() or None
    if audience is not None and audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {' '.join(AUDIENCES)} (or left out for all), got {audience!r}")
    return [q for q in corpus.quiz if audience is None or audience in q.audience]


def make_quiz(corpus: Corpus, n: int, seed: str | int | None = None, audience: str | None = None) -> list[dict[str, Any]]:
    """n bank items in an order fixed by seed (a random seed when None); options keep bank order.

    Raises ValueError, naming the allowed range, when n is not between 1 and min(items for the audience, MAX_QUIZ),
    or when the audience is not one of AUDIENCES.
    """
    pool = quiz_pool(corpus, audience)
    limit = min(len(pool), MAX_QUIZ)
    who = f"audience {audience.strip()}" if audience and audience.strip() else "all audiences"
    if limit == 0:
        raise ValueError(f"the question bank has no items for {who}")
    if not 1 <= n <= limit:
        raise ValueError(
            f"n must be between 1 and {limit} (the bank has {len(pool)} items for {who}; at most {MAX_QUIZ} per quiz), got {n}"
        )
    if seed is None:
        seed = secrets.token_hex(8)
    # str() so that 7 and "7" give the same quiz; string seeding is stable across processes and Python versions
    chosen = random.Random(f"{seed}").sample(pool, n)
    return [quiz_item(q) for q in chosen]


# ---------------------------------------------------------------- lesson: reading corpus/lesson.yaml


@dataclass(frozen=True)
class LessonStep:
    """One theme of the lesson as written in lesson.yaml: the articles to show (the first is the main one)."""

    theme: str
    title: str
    articles: tuple[Citation, ...]
    faq_id: str | None
    quiz_id: str | None
    source: Source = field(compare=False)
    article_lines: tuple[int, ...] = field(default=(), compare=False)
    key_lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    @property
    def main(self) -> Citation | None:
        """The step's main article (the first listed): the explanation must rest on it."""
        return self.articles[0] if self.articles else None


def _key_lines(text: str) -> list[dict[str, int]]:
    """For each step mapping, the line of each of its keys (faq_id: → 12), for precise messages."""
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    steps = next((v for k, v in root.value if getattr(k, "value", None) == "steps"), None)
    if not isinstance(steps, yaml.SequenceNode):
        return []
    return [
        {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
        if isinstance(node, yaml.MappingNode) else {}
        for node in steps.value
    ]


def _article_ref(raw: Any, default_doc: str) -> Citation:
    """A step's article: a number, or {article, paragraph?, doc_id?} (a lesson shows whole 款, never a single 项)."""
    ref = parse_citation(raw, default_doc=default_doc)
    if ref.item is not None:
        raise ValueError(f"a lesson step shows an article or one 款, not an item: {raw.get('item')!r}")
    return ref


def load_lesson(root: Path | str) -> tuple[list[LessonStep], list[str]]:
    """Read corpus/lesson.yaml: the steps, and structural problems as "file:line: message"."""
    path = Path(root) / LESSON_FILE
    if not path.exists():
        return [], [f"{path}:1: missing: the classroom lesson (themes and their articles) must be data in corpus/"]
    try:
        data = read_yaml(path)
    except CorpusError as exc:
        return [], [str(exc)]
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        return [], [f"{path}:1: lesson.yaml must be a mapping with doc_id and a list of steps"]
    default_doc = str(data.get("doc_id") or "zhejiang-2019")
    key_lines = _key_lines(path.read_text(encoding="utf-8"))
    steps: list[LessonStep] = []
    problems: list[str] = []
    for i, raw in enumerate(data["steps"]):
        if not isinstance(raw, dict):
            problems.append(f"{path}:1: step {i + 1} must be a mapping with theme, title and articles, got {raw!r}")
            continue
        line = raw.get("__line__", 1)
        keys = key_lines[i] if i < len(key_lines) else {}
        theme = str(raw.get("theme") or "").strip()
        where = f"{path}:{line}: step {theme or i + 1}"
        unknown = sorted(k for k in raw if not k.startswith("__") and k not in {"theme", "title", "articles", "faq_id", "quiz_id"})
        if unknown:
            problems.append(f"{where}: unknown key(s) {', '.join(unknown)} (use theme, title, articles, faq_id, quiz_id)")
        if not theme:
            problems.append(f"{where}: theme is missing")
        if not str(raw.get("title") or "").strip():
            problems.append(f"{where}: title is missing")
        raw_articles = raw.get("articles")
        if not isinstance(raw_articles, list) or not raw_articles:
            problems.append(f"{path}:{keys.get('articles', line)}: step {theme or i + 1}: articles must be a non-empty list")
            raw_articles = []
        lines = raw.get("__lines__", {}).get("articles", [])
        refs, ref_lines = [], []
        for j, entry in enumerate(raw_articles):
            entry_line = lines[j] if j < len(lines) else keys.get("articles", line)
            try:
                refs.append(_article_ref(entry, default_doc))
                ref_lines.append(entry_line)
            except ValueError as exc:
                problems.append(f"{path}:{entry_line}: step {theme or i + 1}: {exc}")
        steps.append(
            LessonStep(
                theme=theme,
                title=str(raw.get("title") or "").strip(),
                articles=tuple(refs),
                faq_id=str(raw["faq_id"]).strip() if raw.get("faq_id") else None,
                quiz_id=str(raw["quiz_id"]).strip() if raw.get("quiz_id") else None,
                source=Source(str(path), line),
                article_lines=tuple(ref_lines),
                key_lines=keys,
            )
        )
    return steps, problems


# ---------------------------------------------------------------- lesson: choosing the explanation and the check


def shows(ref: Citation, cited: Citation) -> bool:
    """Whether the text shown for ref (a whole article, or one 款) contains what `cited` points at."""
    return (
        ref.doc_id == cited.doc_id
        and ref.article == cited.article
        and (ref.paragraph is None or ref.paragraph == cited.paragraph)
    )


def explanation_candidates(corpus: Corpus, step: LessonStep) -> list[FaqEntry]:
    """FAQ entries whose first citation is the step's main article, those for students first."""
    main = step.main
    if main is None:
        return []
    found = [e for e in corpus.faq if e.citations and shows(main, e.citations[0])]
    return sorted(found, key=lambda e: PREFERRED_AUDIENCE not in e.audience)


def check_candidates(corpus: Corpus, step: LessonStep) -> list[QuizItem]:
    """Quiz items citing text the step shows, those for students first."""
    found = [q for q in corpus.quiz if any(shows(ref, q.citation) for ref in step.articles)]
    return sorted(found, key=lambda q: PREFERRED_AUDIENCE not in q.audience)


def pick_explanation(corpus: Corpus, step: LessonStep) -> FaqEntry | None:
    """The named FAQ entry when it fits the step, else the first candidate."""
    named = corpus.faq_by_id.get(step.faq_id) if step.faq_id else None
    if named is not None and named.citations and step.main is not None and shows(step.main, named.citations[0]):
        return named
    candidates = explanation_candidates(corpus, step)
    return candidates[0] if candidates else None


def pick_check(corpus: Corpus, step: LessonStep) -> QuizItem | None:
    """The named quiz item when it cites text the step shows, else the first candidate."""
    named = next((q for q in corpus.quiz if q.id == step.quiz_id), None) if step.quiz_id else None
    if named is not None and any(shows(ref, named.citation) for ref in step.articles):
        return named
    candidates = check_candidates(corpus, step)
    return candidates[0] if candidates else None


# ---------------------------------------------------------------- lesson: the API shape


def _article_dict(corpus: Corpus, ref: Citation) -> dict[str, Any] | None:
    doc = corpus.documents.get(ref.doc_id)
    art = doc.article(ref.article) if doc else None
    if doc is None or art is None:
        return None
    if ref.paragraph is None:
        paragraphs = [p.text for p in art.paragraphs]
    else:
        para = art.paragraph(ref.paragraph)
        if para is None:
            return None
        paragraphs = [para.text]
    out: dict[str, Any] = {
        "doc_id": ref.doc_id,
        "article": ref.article,
        "label": ref.label,
        "title": doc.title,
        "text": "\n".join(paragraphs),
        "paragraphs": paragraphs,
    }
    if ref.paragraph is not None:
        out["paragraph"] = ref.paragraph
    return out


def _build_steps(corpus: Corpus) -> list[dict[str, Any]]:
    steps, _ = load_lesson(corpus.root)
    out = []
    for step in steps:
        articles = [a for a in (_article_dict(corpus, ref) for ref in step.articles) if a is not None]
        if not articles:
            continue  # nothing to show; `bot check-corpus` reports why
        faq = pick_explanation(corpus, step)
        check = pick_check(corpus, step)
        out.append(
            {
                "theme": step.theme,
                "title": step.title,
                "articles": articles,
                "explanation": faq.answer if faq else "",
                "faq_id": faq.id if faq else None,
                "check": quiz_item(check) if check else None,
            }
        )
    return out


_lesson_cache: dict[tuple[str, str], list[dict[str, Any]]] = {}
_lesson_lock = threading.Lock()


def lesson_steps(corpus: Corpus) -> list[dict[str, Any]]:
    """The lesson: per theme its articles (verbatim), a FAQ answer explaining the main one, and a check question.

    Lenient at run time (a reference that does not resolve is left out, a misfit faq_id/quiz_id falls back to the
    automatic choice); `bot check-corpus` is where such defects are reported.
    """
    key = (str(corpus.root), corpus.version)
    with _lesson_lock:
        if key not in _lesson_cache:
            _lesson_cache[key] = _build_steps(corpus)
        return copy.deepcopy(_lesson_cache[key])
