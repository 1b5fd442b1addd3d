"""`bot check-corpus`: every rule the corpus must keep, each defect as "file:line: message"."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from pathlib import Path

from .corpus import (
    COMMON_FIELDS, CURRENT, FORMS, INTENT_LABELS, REPORT_STEP_LISTS, RESPONSE_DATA, RESPONSE_FIELDS, STEP_KINDS, Citation, Corpus,
    CorpusError, Source, key_line, load_corpus, opens_with_verdict, parse_citation, read_yaml, template_fields,
)
from .normalize import normalize

AUDIENCES = {"公众", "学生", "教师", "企业", "重点单位", "公务员", "媒体"}
STATUSES = {CURRENT, "已修订", "已废止"}
MIN_PHRASINGS, MAX_PHRASINGS = 3, 8
MAX_ENGLISH_PHRASINGS = 4  # besides the Chinese ones: English questions are matched against these
MAX_ANSWER_CHARS = 160
MAX_VERDICT_CHARS = 12
MAX_GIST_CHARS = 40
MIN_INTENT_PHRASINGS = 20  # a label with fewer examples cannot be learned
MIN_ENTRIES_PER_ARTICLE = 3
_QUOTE = re.compile(r"「([^」]*)」")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _phrasing_key(text: str) -> str:
    """Phrasings that differ only in spacing, case or end punctuation count as the same."""
    return re.sub(r"[\s\u3000?？!！。.,，]+", "", text).casefold()


def _cite_problem(corpus: Corpus, c: Citation) -> str | None:
    """Why a citation does not resolve, or None."""
    doc = corpus.documents.get(c.doc_id)
    if doc is None:
        return f"cites unknown document {c.doc_id!r} (known: {', '.join(sorted(corpus.documents))})"
    art = doc.article(c.article)
    if art is None:
        return f"cites {c.doc_id} {c.label}, but that document has articles 1–{len(doc.articles)}"
    if c.paragraph is not None:
        para = art.paragraph(c.paragraph)
        if para is None:
            return f"cites {c.doc_id} {c.label}, but {art.label} has {len(art.paragraphs)} paragraph(s)"
        if c.item is not None and not 1 <= c.item <= len(para.items):
            return f"cites {c.doc_id} {c.label}, but that paragraph has {len(para.items)} item(s)"
    elif c.item is not None:
        return f"cites an item of {c.doc_id} {art.label} without saying which paragraph"
    if not doc.is_current:
        return f"cites {c.doc_id} ({doc.status}) as if current; cite the text in force instead"
    return None


def _in_text(fragment: str, text: str) -> bool:
    return fragment in text or fragment in text.replace("\n", "")


def check_documents(corpus: Corpus) -> list[str]:
    """Pinned text, metadata and structure of each legal document."""
    out = []
    primaries = [d for d in corpus.documents.values() if d.primary]
    if len(primaries) != 1:
        out.append(f"{corpus.root / 'documents'}:1: exactly one document must be primary: true (found {len(primaries)})")
    for doc in corpus.documents.values():
        src, meta = doc.source, doc.meta
        txt = Path(src.path).with_suffix(".txt")
        if doc.doc_id != Path(src.path).stem:
            out.append(f"{src}: doc_id {doc.doc_id!r} does not match the file name {Path(src.path).stem!r}")
        for key in ("title", "issuing_body", "status", "effective", "source", "text_sha256"):
            if not meta.get(key):
                out.append(f"{src}: metadata field {key!r} is missing or empty")
        if doc.status not in STATUSES:
            out.append(f"{src}: status {doc.status!r} is not one of {', '.join(sorted(STATUSES))}")
        if doc.effective and not _DATE.match(doc.effective):
            out.append(f"{src}: effective date {doc.effective!r} is not YYYY-MM-DD")
        if doc.is_current and meta.get("superseded_by"):
            out.append(f"{src}: marked {CURRENT} but also superseded_by {meta['superseded_by']}")
        if not doc.is_current and not meta.get("superseded_by") and doc.status == "已修订":
            out.append(f"{src}: status 已修订 needs superseded_by: <doc_id of the text in force>")
        actual = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
        if meta.get("text_sha256") and actual != meta["text_sha256"]:
            what = "the measures differ from the seed text" if doc.primary else "the legal text differs from its source"
            out.append(
                f"{txt}:1: {what} (sha256 {actual[:12]}… but {Path(src.path).name} pins {str(meta['text_sha256'])[:12]}…); "
                "legal wording must stay byte-for-byte"
            )
        listed = meta.get("liability_articles") or []
        if not isinstance(listed, list) or any(not isinstance(n, int) or doc.article(n) is None for n in listed):
            out.append(f"{src}: liability_articles {listed!r} must list article numbers of this text")
        expected = meta.get("articles")
        if expected is not None and int(expected) != len(doc.articles):
            out.append(f"{txt}:1: expected {expected} articles, parsed {len(doc.articles)}")
    return out


def check_faq(corpus: Corpus) -> list[str]:
    """Every FAQ rule: ids, phrasings, answer length, citations, verbatim quotes."""
    out = []
    seen_ids: dict[str, Source] = {}
    seen_phrasings: dict[str, tuple[str, Source]] = {}
    for e in corpus.faq:
        where = f"{e.source}: entry {e.id or '(no id)'}"
        if not _ID.match(e.id):
            out.append(f"{where}: id must be lowercase letters, digits and hyphens")
        elif e.id in seen_ids:
            out.append(f"{where}: id already used at {seen_ids[e.id]}")
        seen_ids.setdefault(e.id, e.source)
        if not e.topic:
            out.append(f"{where}: topic is missing")
        if not e.audience:
            out.append(f"{where}: audience is missing (any of {' '.join(sorted(AUDIENCES))})")
        for tag in e.audience:
            if tag not in AUDIENCES:
                out.append(f"{where}: unknown audience {tag!r} (use {' '.join(sorted(AUDIENCES))})")
        if len(e.questions) < MIN_PHRASINGS:
            out.append(f"{where}: has {len(e.questions)} phrasing(s); at least {MIN_PHRASINGS} are needed")
        chinese = [q for q in e.questions if q and not q.isascii()]
        english = [q for q in e.questions if q and q.isascii()]
        if len(chinese) > MAX_PHRASINGS:
            out.append(f"{where}: has {len(chinese)} Chinese phrasings; at most {MAX_PHRASINGS}")
        if len(english) > MAX_ENGLISH_PHRASINGS:
            out.append(f"{where}: has {len(english)} English phrasings; at most {MAX_ENGLISH_PHRASINGS}")
        for i, q in enumerate(e.questions):
            line = e.question_lines[i] if i < len(e.question_lines) else e.source.line
            qsrc = Source(e.source.path, line)
            if not q:
                out.append(f"{qsrc}: entry {e.id}: empty phrasing")
                continue
            key = _phrasing_key(q)
            if key in seen_phrasings and seen_phrasings[key][0] != e.id:
                other_id, other_src = seen_phrasings[key]
                out.append(f"{qsrc}: phrasing {q!r} is used by two entries: {e.id} and {other_id} ({other_src})")
            elif key in seen_phrasings:
                out.append(f"{qsrc}: phrasing {q!r} appears twice in entry {e.id}")
            seen_phrasings.setdefault(key, (e.id, qsrc))
        if not e.answer:
            out.append(f"{where}: answer is empty")
        elif len(e.answer) > MAX_ANSWER_CHARS:
            out.append(f"{where}: answer has {len(e.answer)} characters; keep it to {MAX_ANSWER_CHARS} or fewer")
        out += _form_problems(e, where)
        if not e.citations:
            out.append(f"{where}: no citations; every answer must rest on the articles it cites")
        texts = []
        for c in e.citations:
            problem = _cite_problem(corpus, c)
            if problem:
                out.append(f"{where}: {problem}")
            else:
                texts.append(corpus.resolve(c) or "")
        for quote in _QUOTE.findall(e.answer):
            if not quote.strip():
                out.append(f"{where}: empty 「」 quote")
            elif texts and not any(_in_text(quote, t) for t in texts):
                cited = ", ".join(f"{c.doc_id} {c.label}" for c in e.citations)
                out.append(f"{where}: quote 「{quote}」 is not found verbatim in the cited text ({cited})")
    return out


def _form_problems(e, where: str) -> list[str]:
    """The question forms an entry answers, its verdict and its gist (FAQ schema: see corpus/README.md)."""
    out = []
    if not e.forms:
        out.append(f"{where}: form is missing (the question forms it answers: {' '.join(FORMS)})")
    for form in e.forms:
        if form not in FORMS:
            out.append(f"{where}: unknown form {form!r} (use {' '.join(FORMS)})")
    if e.verdict:
        if "yesno" not in e.forms:
            out.append(f"{where}: has a verdict but its form does not include yesno (a verdict answers only a yes/no question)")
        if len(e.verdict) > MAX_VERDICT_CHARS or not e.verdict.endswith("。"):
            out.append(f"{where}: verdict {e.verdict!r} must be a short sentence (≤ {MAX_VERDICT_CHARS} characters) ending with 。")
    if e.answer and opens_with_verdict(e.answer):
        out.append(f"{where}: answer starts with a yes/no verdict ({e.answer[:6]}…); put it in `verdict:` so an open question gets the body alone")
    if e.coverage not in ("full", "partial"):
        out.append(f"{where}: coverage {e.coverage!r} must be full (the default) or partial")
    if not e.gist:
        out.append(f"{where}: gist is missing (one plain sentence for \"说简单点\")")
    elif len(e.gist) > MAX_GIST_CHARS or "「" in e.gist:
        out.append(f"{where}: gist must be one plain sentence of at most {MAX_GIST_CHARS} characters, without 「」 quotes")
    return out


_EN_ARTICLE = re.compile(r"\bArticles? (\d+)((?:\s*(?:,|and|or|to)\s*\d+)*)")
_CN_DATE = re.compile(r"(\d{1,2})月(\d{1,2})[日号]")
_EN_MONTHS = "january february march april may june july august september october november december".split()
_EN_DATE = re.compile(r"\b(\d{1,2}) (" + "|".join(_EN_MONTHS) + r")\b|\b(" + "|".join(_EN_MONTHS) + r") (\d{1,2})\b", re.I)


def _numbers_cn(text: str) -> tuple[set[tuple[int, int]], set[int]]:
    """Dates (month, day) and other Arabic numbers of a Chinese text (1万 = 10000); article labels aside."""
    dates = {(int(m), int(d)) for m, d in _CN_DATE.findall(text)}
    rest = _CN_DATE.sub(" ", text)
    numbers = {int(n) * 10000 if wan else int(n) for n, wan in re.findall(r"(\d+)(万)?", rest)}
    return dates, numbers


def _numbers_en(text: str) -> tuple[set[tuple[int, int]], set[int]]:
    dates = set()
    for d1, m1, m2, d2 in _EN_DATE.findall(text):
        month = _EN_MONTHS.index((m1 or m2).lower()) + 1
        dates.add((month, int(d1 or d2)))
    rest = _EN_DATE.sub(" ", text)
    return dates, {int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", rest)}


def check_faq_english(corpus: Corpus) -> list[str]:
    """Every FAQ entry's English: present for every Chinese text, naming no article the entry does not cite, with the
    Chinese text's dates and numbers (an entry whose Chinese or citations are broken is reported for that alone)."""
    out = []
    for e in corpus.faq:
        if e.answer and e.citations and not any(_cite_problem(corpus, c) for c in e.citations):
            out += _english_problems(e, f"{e.source}: entry {e.id}")
    return out


def _english_problems(e, where: str) -> list[str]:
    out = []
    for name in ("answer", "gist", "verdict"):
        chinese, english = getattr(e, name), e.english.get(name, "")
        if chinese and not english:
            out.append(f"{where}: {name}_en is missing (every FAQ text has an English version)")
        elif english and not chinese:
            out.append(f"{where}: {name}_en has no Chinese {name} to translate")
    cited = {c.article for c in e.citations}
    for name, english in e.english.items():
        for first, more in _EN_ARTICLE.findall(english):
            for n in [int(first), *(int(x) for x in re.findall(r"\d+", more))]:
                if n not in cited:
                    out.append(f"{where}: {name}_en names Article {n}, which the entry does not cite")
        cn_dates, cn_numbers = _numbers_cn(getattr(e, name))
        en_dates, en_numbers = _numbers_en(english)
        if cn_dates != en_dates:
            out.append(f"{where}: {name}_en has the dates {sorted(en_dates)} (month, day) but the Chinese {sorted(cn_dates)}")
        if missing := sorted(cn_numbers - en_numbers):
            out.append(f"{where}: {name}_en lacks the number(s) {missing} of the Chinese")
    return out


def check_responses(corpus: Corpus) -> list[str]:
    """responses.yaml: every reply present, each using only the fields it is given; the report steps, cue words and
    citations well formed."""
    path = corpus.root / "responses.yaml"
    data = corpus.responses
    if not data:
        return []  # reported by the loader
    lines = {k: data.get("__line__", 1) for k in data}
    out = []

    def at(key: str) -> str:
        return f"{path}:{key_line(path, key) or lines.get(key, 1)}"

    for key in data:
        if not str(key).startswith("__") and key not in RESPONSE_FIELDS and key not in RESPONSE_DATA:
            out.append(f"{at(key)}: unknown reply {key!r} (known: {', '.join(sorted(RESPONSE_FIELDS))}, {', '.join(RESPONSE_DATA)})")
    for key, allowed in RESPONSE_FIELDS.items():
        if not isinstance(data.get(key), str) or not data[key].strip():
            out.append(f"{path}:1: reply {key!r} is missing or empty")
            continue
        out += _template_problems(at(key), key, data[key], COMMON_FIELDS | allowed)
    steps = data.get("report_steps")
    if not isinstance(steps, dict):
        out.append(f"{at('report_steps')}: report_steps must map {', '.join(REPORT_STEP_LISTS)} to lists of steps")
    else:
        for kind in REPORT_STEP_LISTS:
            items = steps.get(kind)
            if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip() for i in items):
                out.append(f"{at('report_steps')}: report_steps.{kind} must be a non-empty list of steps")
                continue
            for i, step in enumerate(items, start=1):
                out += _template_problems(at("report_steps"), f"report_steps.{kind} step {i}", step, COMMON_FIELDS)
        for kind in steps:
            if not str(kind).startswith("__") and kind not in REPORT_STEP_LISTS:
                out.append(f"{at('report_steps')}: unknown step list {kind!r} (use {', '.join(REPORT_STEP_LISTS)})")
    cues = data.get("report_kinds") or {}
    for kind in cues:
        if not str(kind).startswith("__") and (kind not in STEP_KINDS or kind == "person" or not isinstance(cues[kind], list)):
            out.append(f"{at('report_kinds')}: report_kinds.{kind}: only online and object take cue words (a list); person is the default")
    for key in ("report_citations", "self_involved_citations"):
        if not data.get(key):
            out.append(f"{at(key)}: {key} must list at least one citation")
        out += _citation_list_problems(corpus, path, data.get(key) or [])
    starters = data.get("starter_questions")
    if not isinstance(starters, list) or len(starters) < 2:
        out.append(f"{at('starter_questions')}: starter_questions must list at least two questions to offer")
    return out + check_responses_en(corpus)


def check_responses_en(corpus: Corpus) -> list[str]:
    """responses-en.yaml: every reply in English too, with the same fields, the same number of report steps, and the
    note that the English is unofficial."""
    path = corpus.root / "responses-en.yaml"
    data, chinese = corpus.responses_en, corpus.responses
    if not path.exists():
        return [f"{path}:1: missing: the fixed replies in English (same keys as responses.yaml)"]
    out = []
    for key, allowed in {**RESPONSE_FIELDS, "english_note": frozenset()}.items():
        if not isinstance(data.get(key), str) or not data[key].strip():
            out.append(f"{path}:1: English reply {key!r} is missing or empty")
            continue
        out += _template_problems(f"{path}:{key_line(path, key) or 1}", key, data[key], COMMON_FIELDS | allowed)
    steps, zh_steps = data.get("report_steps") or {}, chinese.get("report_steps") or {}
    for kind in REPORT_STEP_LISTS:
        items = steps.get(kind) if isinstance(steps, dict) else None
        if not isinstance(items, list) or len(items) != len(zh_steps.get(kind) or []):
            out.append(f"{path}:{key_line(path, 'report_steps') or 1}: report_steps.{kind} must have as many steps as the Chinese")
            continue
        for i, step in enumerate(items, start=1):
            out += _template_problems(f"{path}:{key_line(path, 'report_steps') or 1}", f"report_steps.{kind} step {i}", str(step), COMMON_FIELDS)
    if not isinstance(data.get("starter_questions"), list) or len(data["starter_questions"]) < 2:
        out.append(f"{path}:1: starter_questions must list at least two questions to offer")
    return out


def _template_problems(where: str, name: str, template: str, allowed: frozenset[str]) -> list[str]:
    try:
        used = template_fields(template)
    except ValueError as exc:
        return [f"{where}: {name}: broken template ({exc}); write a literal brace as {{{{ or }}}}"]
    unknown = sorted(used - allowed)
    return [f"{where}: {name} uses {{{f}}}, which it is not given (it may use {', '.join('{' + a + '}' for a in sorted(allowed))})" for f in unknown]


def check_intents(corpus: Corpus) -> list[str]:
    """intents.yaml: every label present with enough phrasings, each phrasing once in the whole file."""
    path = corpus.root / "intents.yaml"
    if not path.exists():
        return [f"{path}:1: missing: the intent classifier's labelled phrasings must be data in corpus/"]
    out = []
    seen: dict[str, str] = {}
    for label in INTENT_LABELS:
        phrasings = corpus.intents.get(label, ())
        if len(phrasings) < MIN_INTENT_PHRASINGS:
            out.append(f"{path}:1: label {label!r} has {len(phrasings)} phrasing(s); at least {MIN_INTENT_PHRASINGS} are needed to learn it")
        for text in phrasings:
            key = _phrasing_key(text)
            if key in seen:
                where = "twice under" if seen[key] == label else f"under {seen[key]!r} and"
                out.append(f"{path}:{_line_of(path, text)}: phrasing {text!r} appears {where} {label!r}")
            seen.setdefault(key, label)
    return out


def _line_of(path: Path, text: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    return 1


def check_subjects(corpus: Corpus) -> list[str]:
    """subjects.yaml: audience tags known, liable_as a subject, no word under two subjects."""
    path = corpus.root / "subjects.yaml"
    out, owner = [], {}
    names = {s.name for s in corpus.subjects}
    for subject in corpus.subjects:
        if subject.audience and subject.audience not in AUDIENCES:
            out.append(f"{path}:{key_line(path, subject.name) or 1}: subject {subject.name}: unknown audience {subject.audience!r}")
        if subject.liable_as and subject.liable_as not in names:
            out.append(f"{path}:{key_line(path, subject.name) or 1}: subject {subject.name}: liable_as {subject.liable_as!r} is not a subject")
        for word in subject.words:
            key = normalize(word)
            if key in owner and owner[key] != subject.name:
                out.append(f"{path}:{key_line(path, subject.name) or 1}: word {word!r} is listed under {owner[key]} and {subject.name}")
            owner.setdefault(key, subject.name)
    return out


def check_facts(corpus: Corpus) -> list[str]:
    """facts.yaml: each fact's article exists and states its value; the statement says that value."""
    out = []
    for fact in corpus.facts:
        where = f"{fact.source}: fact {fact.id}"
        if problem := _cite_problem(corpus, fact.citation):
            out.append(f"{where}: {problem}")
            continue
        text = corpus.resolve(fact.citation) or ""
        if not _in_text(fact.values[0], text):
            out.append(f"{where}: its value {fact.values[0]!r} does not occur in {fact.citation.doc_id} {fact.citation.label}")
        if fact.values[0] not in fact.statement:
            out.append(f"{where}: the statement must say the value {fact.values[0]!r}")
    return out


def check_channels(corpus: Corpus) -> list[str]:
    """The reporting channels: a hotline present, their legal source resolvable and current."""
    path = corpus.root / "channels.yaml"
    out = []
    if not path.exists():
        return [f"{path}:1: missing: the reporting channels must be data in corpus/"]
    if not any(ch.kind == "hotline" for ch in corpus.channels):
        out.append(f"{path}:1: the channel list has no hotline (kind: hotline); every answer must show one")
    data = corpus.channels_source
    refs = [data.get("source")] + list(data.get("backed_by") or [])
    if not data.get("source"):
        out.append(f"{path}:1: `source:` must cite the article that prescribes these channels")
    return out + _citation_list_problems(corpus, path, filter(None, refs))


def _citation_list_problems(corpus: Corpus, path: Path, raws) -> list[str]:
    """Citations written as YAML mappings ({doc_id, article, paragraph?, item?}): each must parse and resolve."""
    out = []
    for raw in raws:
        line = raw.get("__line__", 1) if isinstance(raw, dict) else 1
        try:
            c = parse_citation(raw)
        except ValueError as exc:
            out.append(f"{path}:{line}: {exc}")
            continue
        if problem := _cite_problem(corpus, c):
            out.append(f"{path}:{line}: {problem}")
    return out


def check_glossary(corpus: Corpus) -> list[str]:
    """glossary-en.yaml: every Chinese term is the texts' own wording, and no English wording maps to two terms."""
    path = corpus.root / "glossary-en.yaml"
    texts = [normalize(doc.text) for doc in corpus.documents.values() if doc.is_current]
    out, owner = [], {}
    for term, variants in corpus.glossary.items():
        if not any(normalize(term) in t for t in texts):
            out.append(f"{path}: term {term!r} occurs in none of the current documents; use the legal texts' own wording")
        for v in variants:
            key = normalize(v)
            if key in owner and owner[key] != term:
                out.append(f"{path}: {v!r} is listed under both {owner[key]!r} and {term!r}")
            owner.setdefault(key, term)
    return out


def check_crossrefs(corpus: Corpus) -> list[str]:
    """2014 → 2023 rows point at articles that exist, and every old number the texts cite is mapped."""
    path = corpus.root / "crossrefs.yaml"
    out = []
    old_doc = corpus.documents.get("fanjiandiefa-2014")
    for ref in corpus.crossrefs.values():
        if old_doc and old_doc.article(ref.old) is None:
            out.append(f"{path}:1: row old: {ref.old} is not an article of fanjiandiefa-2014")
        for c in ref.new:
            if problem := _cite_problem(corpus, c):
                out.append(f"{path}:1: row old: {ref.old}: {problem}")
    for doc in corpus.documents.values():
        for art in doc.articles:
            for old in doc.old_law_refs(art.number):
                if old not in corpus.crossrefs:
                    out.append(
                        f"{art.source}: {doc.doc_id} {art.label} cites 《反间谍法》 (2014) article {old}, "
                        f"which has no row in {path.name}"
                    )
    return out


GUESSABLE_BY = 4  # characters: a right option this much longer than every wrong one gives itself away


def _guessable_by_length(options, answer: int) -> bool:
    lengths = [len(o) for o in options]
    others = lengths[:answer] + lengths[answer + 1 :]
    return bool(others) and lengths[answer] >= max(others) + GUESSABLE_BY


def check_quiz(corpus: Corpus) -> list[str]:
    """Quiz items: resolvable citation, verbatim support, a valid answer index not guessable by length, no repeated questions."""
    out = []
    seen: dict[str, str] = {}
    for q in corpus.quiz:
        where = f"{q.source}: quiz item {q.id}"
        if q.id in seen:
            out.append(f"{where}: id already used")
        if q.kind not in {"choice", "judge"}:
            out.append(f"{where}: kind must be choice or judge")
        if q.kind == "judge" and list(q.options) != ["正确", "错误"]:
            out.append(f"{where}: a judge item has exactly the options [正确, 错误]")
        if q.kind == "choice" and not 3 <= len(q.options) <= 4:
            out.append(f"{where}: a choice item has 3 or 4 options")
        if len(set(q.options)) != len(q.options):
            out.append(f"{where}: repeated option")
        if not 0 <= q.answer < len(q.options):
            out.append(f"{where}: answer {q.answer} is not an index into its {len(q.options)} options")
        elif q.kind == "choice" and _guessable_by_length(q.options, q.answer):
            out.append(f"{where}: the right option is the longest by {GUESSABLE_BY} or more characters; give the wrong ones similar length")
        if problem := _cite_problem(corpus, q.citation):
            out.append(f"{where}: {problem}")
        elif not q.support:
            out.append(f"{where}: `support:` must quote the words of the cited article that prove the answer")
        elif not _in_text(q.support, corpus.resolve(q.citation) or ""):
            out.append(f"{where}: support 「{q.support}」 is not found verbatim in {q.citation.doc_id} {q.citation.label}")
        for tag in q.audience:
            if tag not in AUDIENCES:
                out.append(f"{where}: unknown audience {tag!r}")
        key = _phrasing_key(q.question)
        if key in seen.values():
            out.append(f"{where}: the same question is asked by another item")
        seen[q.id] = key
    return out


def check_coverage(corpus: Corpus) -> list[str]:
    """Each article of the measures is looked at by at least three FAQ entries."""
    if not corpus.faq:
        return [f"{corpus.root / 'faq'}:1: no FAQ entries found"]
    if sum(d.primary for d in corpus.documents.values()) != 1:
        return []  # reported by check_documents
    return [
        f"{corpus.root / 'faq'}:1: {corpus.primary.doc_id} {corpus.primary.article(n).label} is cited by "
        f"{count} FAQ entr{'y' if count == 1 else 'ies'}; at least {MIN_ENTRIES_PER_ARTICLE} are needed"
        for n, count in coverage(corpus).items()
        if count < MIN_ENTRIES_PER_ARTICLE
    ]


def check_lesson(corpus_root: Corpus | Path | str) -> list[str]:
    """corpus/lesson.yaml: each step shows articles that exist, its explanation rests on its main article and its
    check question on an article it shows. Takes the corpus root (or an already loaded Corpus)."""
    from .classroom import check_candidates, explanation_candidates, load_lesson, shows

    if isinstance(corpus_root, Corpus):
        corpus = corpus_root
    else:
        try:
            corpus = load_corpus(corpus_root)
        except CorpusError as exc:
            return [str(exc)]

    def hint(what: str, ids: list[str]) -> str:
        return f" ({what}: {', '.join(ids)})" if ids else ""

    steps, out = load_lesson(corpus.root)
    if not steps and not out:
        out.append(f"{corpus.root / 'lesson.yaml'}:1: the lesson has no steps")
    seen: dict[str, Source] = {}
    for step in steps:
        path, line = step.source.path, step.source.line
        where = f"step {step.theme or '(no theme)'}"
        if step.theme in seen:
            out.append(f"{step.source}: {where}: theme already used at {seen[step.theme]}")
        seen.setdefault(step.theme, step.source)
        for ref, ref_line in zip(step.articles, step.article_lines):
            if problem := _cite_problem(corpus, ref):
                out.append(f"{path}:{ref_line}: {where}: {problem}")
        if step.main is None or _cite_problem(corpus, step.main):
            continue  # nothing to explain or check against
        main = f"{step.main.doc_id} {step.main.label}"

        faq_at = f"{path}:{step.key_lines.get('faq_id', line)}: {where}"
        fits = [e.id for e in explanation_candidates(corpus, step)]
        entry = corpus.faq_by_id.get(step.faq_id) if step.faq_id else None
        if step.faq_id and entry is None:
            out.append(f"{faq_at}: unknown faq_id {step.faq_id!r}" + hint(f"entries explaining {main}", fits))
        elif entry is not None and not (entry.citations and shows(step.main, entry.citations[0])):
            first = f"{entry.citations[0].doc_id} {entry.citations[0].label}" if entry.citations else "nothing"
            out.append(
                f"{faq_at}: FAQ entry {entry.id} first cites {first}, not the step's main article {main}"
                + hint("entries that do", fits)
            )
        elif not step.faq_id and not fits:
            out.append(f"{step.source}: {where}: no FAQ entry's first citation is {main}; write one, or name one with faq_id")

        quiz_at = f"{path}:{step.key_lines.get('quiz_id', line)}: {where}"
        checks = [q.id for q in check_candidates(corpus, step)]
        item = next((q for q in corpus.quiz if q.id == step.quiz_id), None) if step.quiz_id else None
        if step.quiz_id and item is None:
            out.append(f"{quiz_at}: unknown quiz_id {step.quiz_id!r}" + hint("items for this step", checks))
        elif item is not None and not any(shows(ref, item.citation) for ref in step.articles):
            out.append(
                f"{quiz_at}: quiz item {item.id} cites {item.citation.doc_id} {item.citation.label}, which the step "
                "does not show" + hint("items for this step", checks)
            )
        elif not step.quiz_id and not checks:
            out.append(f"{step.source}: {where}: no quiz item cites what the step shows; add one to quiz.yaml or name one with quiz_id")
    return out


def check_corpus(root: Path | str) -> list[str]:
    """All defects of the corpus at root; an empty list means it is valid."""
    try:
        corpus = load_corpus(root)
    except CorpusError as exc:
        return [str(exc)]
    defects = [
        *corpus.problems,
        *check_documents(corpus),
        *check_faq(corpus),
        *check_faq_english(corpus),
        *check_channels(corpus),
        *check_responses(corpus),
        *check_intents(corpus),
        *check_subjects(corpus),
        *check_facts(corpus),
        *check_glossary(corpus),
        *check_crossrefs(corpus),
        *check_quiz(corpus),
        *check_coverage(corpus),
    ]
    # the lesson names articles, FAQ entries and quiz items: it is checked once those are sound, so that one broken
    # entry is reported once, at its own line, and not again by every lesson step that names it
    return defects or check_lesson(corpus)


def coverage(corpus: Corpus) -> dict[int, int]:
    """How many FAQ entries cite each article of the measures."""
    counts: dict[int, int] = defaultdict(int)
    primary = corpus.primary.doc_id
    for e in corpus.faq:
        for n in {c.article for c in e.citations if c.doc_id == primary}:
            counts[n] += 1
    return {a.number: counts.get(a.number, 0) for a in corpus.primary.articles}
