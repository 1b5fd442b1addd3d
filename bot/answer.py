"""Answers: turn a message (and the conversation so far) into the answer object of SPEC.md.

FAQ match → its plain-language answer; otherwise the best article paragraphs. Reports lead with what to do
now; out-of-scope questions say so. Citations are always verbatim from the corpus, primary document first,
and every answer carries the reporting channels.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from .corpus import Citation, Corpus, read_yaml
from .engine import Engine
from .intent import greeting_kind
from .normalize import normalize, strip_control
from .numerals import NUMERAL, article_label, parse_number
from .retrieve import FaqHit

FAQ_MIN_SIMILARITY = 0.86  # below this a FAQ answer is not trusted to fit; articles are quoted instead
FAQ_CANDIDATES = 3  # close FAQ matches considered for the answer
# A report answer also gives the FAQ answer this close to the message ("我举报了会不会被报复", "拍军港照片违法吗"):
# on the dev set's report descriptions the entry matched from 0.92 up was on topic each time, below it often not.
REPORT_FAQ_MIN_SIMILARITY = 0.92
# Two FAQ answers sharing this share of their character pairs say the same thing (m19-anonymous / n-report-anonymous
# 0.64, m21-leak-secret / n-leak-cj-secret 0.88); different questions on one article stay below it.
TWIN_ANSWERS = 0.6
_ARTICLE_REF = re.compile(rf"第\s*({NUMERAL}|\d+)\s*条(?:\s*第\s*({NUMERAL}|\d+)\s*款)?")
_LOOKUP_WORDS = re.compile(r"是什么|讲(了)?什么|说(了)?什么|内容|原文|全文|规定了?什么|怎么说|写的什么|^\s*(本办法|办法)?\s*第")
_THIS_ARTICLE = re.compile(r"(这|该|那|上面的?|刚才的?)(一)?条")
_CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u9fff\uff00-\uffef])")
_FOLLOW_UP = re.compile(r"^(那|那么|还有|如果|要是|假如|换成|对于)|呢[？?]?$|^(为什么|具体)")
# Names people use for each document in a lookup such as "反间谍法第四条"; the primary document is the default.
_OTHER_SUBJECT = re.compile(r"^(?:(?:那么?|如果是|要是|换成|对于)\s*([^\s怎为什么哪吗]{1,8}?)\s*呢?|([^\s怎为什么哪吗]{1,8}?)呢)[？?。!！]*$")
# Who a question is about, longest first so 重点单位 wins over 单位.
_SUBJECTS = ("重点单位", "公务员", "学校", "学生", "老师", "教师", "企业", "公司", "媒体", "公民", "个人", "单位", "我们", "我")
_DOC_NAMES = (
    ("jubao-jiangli-2022", ("举报奖励办法", "奖励办法")),
    ("shishixize-2017", ("实施细则",)),
    ("guojiaanquanfa-2015", ("国家安全法",)),
    ("fanjiandiefa-2023", ("反间谍法",)),
)
# Every name stripped before judging whether a message is only a lookup; longest first (奖励办法 before 办法).
_ALL_DOC_NAMES = sorted({n for _, names in _DOC_NAMES for n in names} | {"浙江省反间谍安全防范办法", "本办法", "办法", "《", "》"}, key=len, reverse=True)


@dataclass(frozen=True)
class CitationView:
    """A citation as the API shows it: verbatim text and a link to the article page."""

    doc_id: str
    title: str
    article: int
    label: str
    paragraph: int | None
    text: str
    url: str
    score: float
    current_law: str | None = None  # for texts citing the 2014 numbering: the 2023 counterpart
    items: tuple[int, ...] = ()  # the 项 quoted, when the citation quotes items of its paragraph


@dataclass(frozen=True)
class Answer:
    """The answer object of SPEC.md."""

    intent: str
    answer: str
    citations: list[CitationView]
    channels: list[dict]
    suggestions: list[str]
    confidence: float
    corpus_version: str
    coverage: str | None = None  # partial: the texts only partly answer the question
    lang: str = "zh-Hans"
    steps: tuple[str, ...] = ()  # report answers: what to do now, one step each
    source: str = field(default="", compare=False)  # faq:<id> | articles | lookup | report | … (for metrics, not shown)

    def to_dict(self) -> dict:
        """JSON-ready form (without the internal source tag)."""
        data = asdict(self)
        data.pop("source")
        return data


@dataclass(frozen=True)
class Turn:
    """One earlier turn of the conversation."""

    role: str  # user | bot
    text: str
    citations: tuple[Citation, ...] = ()  # bot turns: the articles that answer showed


class Answerer:
    """Answers messages from one engine."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.corpus: Corpus = engine.corpus
        path = self.corpus.root / "responses.yaml"
        self.responses = read_yaml(path) if path.exists() else {}
        primary = self.corpus.primary
        hotline = next((c for c in self.corpus.channels if c.kind == "hotline"), None)
        website = next((c for c in self.corpus.channels if c.kind == "website"), None)
        self._fill = {
            "title": primary.title,
            "hotline": f"{hotline.label}{hotline.value}" if hotline else "",
            "website": f"{website.label}{website.value}" if website else "",
        }
        self.channels = [asdict(c) for c in self.corpus.channels]
        self.starters = [str(q) for q in self.responses.get("starter_questions") or []]
        # FAQ entries by the articles they cite (all citations / first citation), so no question scans the FAQ
        self._citing: dict[tuple[str, int], list] = {}
        self._resting_on: dict[tuple[str, int], list] = {}
        for entry in self.corpus.faq:
            for key in dict.fromkeys((c.doc_id, c.article) for c in entry.citations):
                self._citing.setdefault(key, []).append(entry)
            if entry.citations:
                self._resting_on.setdefault((entry.citations[0].doc_id, entry.citations[0].article), []).append(entry)
        self._twins = _twins(self.corpus.faq)
        self._report_citations = [
            self._cite(Citation(str(r["doc_id"]), int(r["article"]), r.get("paragraph"))) for r in self.responses.get("report_citations") or []
        ]

    # ------------------------------------------------------------ helpers

    def _text(self, key: str, **extra) -> str:
        template = _CJK_GAP.sub("", str(self.responses.get(key, "")))  # YAML folding puts spaces between lines
        return template.format(**self._fill, **extra).strip()

    def _cite(self, c: Citation, score: float = 1.0) -> CitationView | None:
        doc = self.corpus.documents.get(c.doc_id)
        text = self.corpus.resolve(c)
        if doc is None or text is None or not doc.is_current:
            return None
        notes = [
            self._text("old_numbering", old=article_label(old), new="、".join(n.label for n in ref.new))
            for old, ref in self.corpus.current_counterparts(c.doc_id, c.article)
        ]
        return CitationView(
            doc_id=c.doc_id,
            title=doc.title,
            article=c.article,
            label=article_label(c.article),
            paragraph=c.paragraph,
            text=text,
            url=f"/docs/{c.doc_id}/{c.article}",
            score=round(float(score), 4),
            current_law=" ".join(notes) or None,
        )

    def _ordered(self, views: list[CitationView | None]) -> list[CitationView]:
        """Drop unresolvable and repeated citations (a 款 of an article already quoted whole, too); primary document
        first, otherwise in given order."""
        seen, out = set(), []
        for v in views:
            if v is None or (v.doc_id, v.article, v.paragraph) in seen or (v.doc_id, v.article, None) in seen:
                continue
            seen.add((v.doc_id, v.article, v.paragraph))
            out.append(v)
        primary = self.corpus.primary.doc_id
        return sorted(out, key=lambda v: v.doc_id != primary)

    def _suggest(self, faq_hits, answered: str | None = None, n: int = 3) -> list[str]:
        """Related FAQ questions to tap: never the entry just answered, nor a twin of it or of another suggestion."""
        out: list[str] = []
        skip = {answered, *self._twins.get(answered, ())}
        for hit in faq_hits:
            entry = self.corpus.faq_by_id[hit.entry_id]
            if entry.id in skip or entry.headline in out:
                continue
            out.append(entry.headline)
            skip |= {entry.id, *self._twins.get(entry.id, ())}
            if len(out) >= n:
                break
        for q in self.starters:  # never fewer than two taps to offer
            if len(out) >= 2:
                break
            if q not in out:
                out.append(q)
        return out[:4]

    def _answer(self, intent, text, citations, suggestions, confidence, source) -> Answer:
        notes = [c.current_law for c in citations if c.current_law]
        if notes:
            text = text + "\n" + "\n".join(dict.fromkeys(notes))
        return Answer(intent, text, citations, self.channels, suggestions, round(float(confidence), 3), self.corpus.version, source=source)

    # ------------------------------------------------------------ direct lookups and follow-ups

    def _lookup(self, message: str) -> Answer | None:
        """"第九条是什么" / "第十九条第二款" / "反间谍法第四条": that article, verbatim."""
        match = _ARTICLE_REF.search(message)
        if not match:
            return None
        rest = _ARTICLE_REF.sub("", message)
        doc_id = next((d for d, names in _DOC_NAMES if any(name in rest for name in names)), self.corpus.primary.doc_id)
        for name in _ALL_DOC_NAMES:
            rest = rest.replace(name, "")
        if len(re.sub(r"[\W\s]", "", rest)) > 6 and not _LOOKUP_WORDS.search(message):
            return None  # an article number inside a real question: let retrieval answer it
        doc = self.corpus.documents[doc_id]
        try:
            number = parse_number(match.group(1))
            para = parse_number(match.group(2)) if match.group(2) else None
        except ValueError:
            return None
        art = doc.article(number)
        label = article_label(number) if 1 <= number <= 9999 else f"第{match.group(1)}条"  # 第0条, 第99999条: no numeral
        if art is None or (para is not None and art.paragraph(para) is None):
            missing = label + (f"第{match.group(2)}款" if para is not None else "")
            text = self._text(
                "lookup_missing", doc_title=doc.title, count=len(doc.articles), label=missing, last=article_label(len(doc.articles))[1:-1]
            )
            return self._answer("question", text, [], self.starters[:3], 1.0, "lookup-missing")
        view = self._cite(Citation(doc_id, number, para))
        text = self._text("lookup_lead", doc_title=doc.title, label=label + (art.paragraph(para).label if para else ""))
        if explain := self._explainer(doc_id, number, para):
            text += "\n" + self._text("plain_words") + explain.answer
        return self._answer("question", text, self._ordered([view]), self._related_to(doc_id, number), 1.0, "lookup")

    def _explainer(self, doc_id: str, article: int, paragraph: int | None = None):
        """The FAQ entry that rests first on an article (on that 款, when one is asked for): its plain explanation.
        For a whole article, one resting on that article alone is preferred (a wider entry answers a narrower question)."""
        firsts = self._resting_on.get((doc_id, article), [])
        if paragraph is None:
            alone = (e for e in firsts if all((c.doc_id, c.article) == (doc_id, article) for c in e.citations))
            return next(alone, next(iter(firsts), None))
        return next((e for e in firsts if e.citations[0].paragraph == paragraph), None)

    def _related_to(self, doc_id: str, article: int, exclude: str | None = None) -> list[str]:
        related = [e.headline for e in self._citing.get((doc_id, article), []) if e.id != exclude]
        return related[:3] or self.starters[:3]

    def _contextual(self, message: str, history: list[Turn]) -> str:
        """Resolve a short follow-up ("那学生呢？") against the previous question."""
        previous = next((t.text for t in reversed(history) if t.role == "user"), None)
        if not previous:
            return message
        if len(message) > 14 or not (_FOLLOW_UP.search(message) or _THIS_ARTICLE.search(message)):
            return message
        # "那X呢？" asks the previous question about someone else: swap the subject when we can see it.
        if (swap := _OTHER_SUBJECT.match(message)) and (old := next((w for w in _SUBJECTS if w in previous), None)):
            return previous.replace(old, swap.group(1) or swap.group(2), 1)
        return f"{previous} {message}"

    def _explain_previous(self, message: str, history: list[Turn]) -> Answer | None:
        """"这条是什么意思": explain the article the previous answer rested on."""
        if not _THIS_ARTICLE.search(message) or not history:
            return None
        previous = next((t.text for t in reversed(history) if t.role == "user"), None)
        if not previous:
            return None
        prior = self._lookup(previous) or self._answer_question(previous)
        if not prior.citations:
            return None
        top = prior.citations[0]
        entry = self._explainer(top.doc_id, top.article)
        text = self._text("lookup_lead", doc_title=top.title, label=top.label)
        if entry:
            text += "\n" + self._text("plain_words") + entry.answer
        view = self._cite(Citation(top.doc_id, top.article))
        return self._answer("question", text, self._ordered([view]), self._related_to(top.doc_id, top.article, entry.id if entry else None), 1.0, "explain")

    # ------------------------------------------------------------ the main path

    def _best_faq(self, retrieval) -> FaqHit | None:
        """The FAQ entry to answer with: among the close matches, the best one that cites the top-ranked article
        (the ranking weighs every signal; a close phrasing about a neighbouring article is the usual mistake)."""
        close = [f for f in retrieval.faq[:FAQ_CANDIDATES] if f.similarity >= FAQ_MIN_SIMILARITY]
        if not close or not retrieval.articles:
            return close[0] if close else None
        top = retrieval.articles[0].key
        agreeing = (f for f in close if any((c.doc_id, c.article) == top for c in self.corpus.faq_by_id[f.entry_id].citations))
        return next(agreeing, close[0])

    def _answer_question(self, query: str, retrieval=None) -> Answer:
        retrieval = retrieval or self.engine.retrieve(query)
        faq = self._best_faq(retrieval)
        if faq is not None:
            entry = self.corpus.faq_by_id[faq.entry_id]
            top = retrieval.articles[0].key if retrieval.articles else None
            # the article the whole ranking puts first leads, when the entry cites it
            citations = sorted(entry.citations, key=lambda c: (c.doc_id, c.article) != top)
            views = self._ordered([self._cite(c, faq.similarity) for c in citations])
            return self._answer("question", entry.answer, views, self._suggest(retrieval.faq, entry.id), faq.similarity, f"faq:{entry.id}")
        views = []
        for hit in retrieval.articles[:2]:
            views.append(self._cite(Citation(hit.doc_id, hit.article, hit.paragraph or None), hit.score))
        views = self._ordered(views)
        confidence = retrieval.signals.get("dense_law_max", 0.0)
        return self._answer("question", self._text("article_lead"), views, self._suggest(retrieval.faq), confidence, "articles")

    def _report(self, retrieval, confidence: float) -> Answer:
        """What to do now and the reporting articles; plus the answer of a FAQ entry very close to the message."""
        cites = list(self._report_citations)
        text, source, answered = self._text("report"), "report", None
        faq = self._best_faq(retrieval)
        if faq is not None and faq.similarity >= REPORT_FAQ_MIN_SIMILARITY:
            entry = self.corpus.faq_by_id[faq.entry_id]
            text += "\n" + self._text("report_and_answer") + entry.answer
            cites += [self._cite(c, faq.similarity) for c in entry.citations]
            source, answered = f"report+faq:{entry.id}", entry.id
        return self._answer("report", text, self._ordered(cites), self._suggest(retrieval.faq, answered), confidence, source)

    def answer(self, message: str, history: list[Turn] | None = None) -> Answer:
        """Answer one message, using earlier turns for follow-ups."""
        history = history or []
        message = strip_control(message).strip()
        if direct := (self._lookup(message) or self._explain_previous(message, history)):
            return direct
        query = self._contextual(message, history)
        retrieval = self.engine.retrieve(query)
        intent, probs = self.engine.intent(retrieval)
        if query != message and intent == "out_of_scope":
            intent = "question"  # a follow-up inherits the topic of the question it follows
        if intent == "greeting":
            kind = greeting_kind(message)
            return self._answer("greeting", self._text(kind) or self._text("greeting"), [], self.starters[:4], probs["greeting"], kind)
        if intent == "out_of_scope":
            return self._answer("out_of_scope", self._text("out_of_scope"), [], self.starters[:3], probs["out_of_scope"], "out_of_scope")
        if intent == "report":
            return self._report(retrieval, probs["report"])
        return self._answer_question(query, retrieval)


def _twins(entries) -> dict[str, set[str]]:
    """FAQ entries that say the same thing: they share a cited article and most of their answer's wording (the FAQ
    grew in parts: 能匿名举报吗 and 可以匿名举报吗 are two entries). Suggesting one after the other repeats an answer."""
    grams = {e.id: _char_pairs(e.answer) for e in entries}
    articles = {e.id: {(c.doc_id, c.article) for c in e.citations} for e in entries}
    twins: dict[str, set[str]] = {}
    for i, a in enumerate(entries):
        for b in entries[i + 1 :]:
            if articles[a.id] & articles[b.id] and _overlap(grams[a.id], grams[b.id]) >= TWIN_ANSWERS:
                twins.setdefault(a.id, set()).add(b.id)
                twins.setdefault(b.id, set()).add(a.id)
    return twins


def _char_pairs(text: str) -> set[str]:
    letters = re.sub(r"\W", "", text)
    return {letters[i : i + 2] for i in range(len(letters) - 1)}


def _overlap(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def cache_key(message: str) -> str:
    """The normalised form of a single question, for the answer cache and ETags."""
    return normalize(message)
