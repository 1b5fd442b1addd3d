"""Composing the answer object of SPEC.md from decisions: the words (from the FAQ and corpus/responses.yaml, never
from code), the verbatim citations, the reporting channels, suggestions, and the asker's language and script.
"""

from __future__ import annotations

import copy
import re
from dataclasses import asdict, dataclass, field, replace

from .corpus import REPORT_STEP_LISTS, STEP_KINDS, Citation, Corpus, Document, FaqEntry
from .decide import Decision
from .normalize import normalize, to_simplified, to_traditional
from .numerals import article_label, item_label, paragraph_label
from .retrieve import ArticleHit, FaqHit
from .understand import ENGLISH_FUNCTION_WORDS, ArticleRef, Understanding, question_form

# Two FAQ answers sharing this share of their character pairs say the same thing (m19-anonymous / n-report-anonymous
# 0.64, m21-leak-secret / n-leak-cj-secret 0.88); different questions on one article stay below it.
TWIN_ANSWERS = 0.6
MAX_REPORT_CITATIONS = 3
MAX_CITATIONS = 5
FIRST_STEP = re.compile(r"第一步|先做什么|先干嘛|先干什么|先怎么办|现在(该|要)?(怎么办|干嘛|做什么|咋办)|what (do|should) i do (first|now)|first step")
# An FAQ answer saying what the texts leave out: 办法没有规定具体金额 / 没有写明 / 并未… (answers are Chinese first)
GAP = re.compile(r"没有(直接|具体|明确|专门|单独|给出|作出|对)?.{0,8}?(规定|写明|写|定义|列出|提到|明确|涉及|说明)|未(规定|明确|写明|列出|说明)|并未|不涉及")
_CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u9fff\uff00-\uffef])")
_CLAUSE_BREAK = re.compile(r"[，,；;：:]")
_POINTS_BACK = re.compile(r"[这那它]|\b(this|that|it|they|them)\b", re.I)
_QUESTION_TAIL = re.compile(r"(?:[吗呢吧啊呀嘛？?。!！，,\s]|(?<![什怎那这多])么)+$")  # not the 么 of 什么
_QUESTION_HEAD = re.compile(r"^(请问|我想问(一下)?|想问(一下)?|那么?|还有|另外|麻烦问一下)[，,\s]*")


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
    items: tuple[int, ...] = ()  # the 项 quoted (with their 款's lead sentence)
    label_en: str = ""  # "Zhejiang Measures, Article 12(1) (official text in Chinese)": shown beside the Chinese in English


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
    source: str = field(default="", compare=False)  # faq:<id> | articles | partial | report | … (for metrics, not shown)

    def to_dict(self) -> dict:
        """JSON-ready form (without the internal source tag)."""
        data = asdict(self)
        data.pop("source")
        return data


@dataclass(frozen=True)
class Reply:
    """The answer to one question of a message, before the parts are joined and the language applied."""

    intent: str
    text: str
    citations: tuple[CitationView, ...] = ()
    steps: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    confidence: float = 0.0
    coverage: str | None = None
    source: str = ""
    entry_id: str | None = None


class Composer:
    """Writes answers for one corpus, in one language (`in_language` gives the others: they share everything else)."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self._speak("zh-Hans")
        self._citing: dict[tuple[str, int], list[FaqEntry]] = {}
        self._resting_on: dict[tuple[str, int], list[FaqEntry]] = {}
        for entry in corpus.faq:
            for key in dict.fromkeys((c.doc_id, c.article) for c in entry.citations):
                self._citing.setdefault(key, []).append(entry)
            if entry.citations:
                self._resting_on.setdefault((entry.citations[0].doc_id, entry.citations[0].article), []).append(entry)
        self._twins = _twins(corpus.faq)
        self._report_citations = tuple(self.cite(c) for c in _citations(self.responses.get("report_citations")))
        self._self_involved_citations = tuple(self.cite(c) for c in _citations(self.responses.get("self_involved_citations")))
        self._purpose = self.cite(Citation(corpus.primary.doc_id, 1))
        cues = self.responses.get("report_kinds") or {}
        self._report_cues = {kind: [str(w).lower() for w in cues.get(kind) or []] for kind in STEP_KINDS}
        self._languages = {"zh-Hans": self}

    def _speak(self, lang: str) -> None:
        """Set the wording of one language: fixed replies, channel labels, the fields every reply may use."""
        corpus, english = self.corpus, lang == "en"
        self.lang = lang
        self.responses = {**corpus.responses, **corpus.responses_en} if english else corpus.responses
        channels = [c.in_language(lang) for c in corpus.channels]
        hotline = next((c for c in channels if c.kind == "hotline"), None)
        website = next((c for c in channels if c.kind == "website"), None)
        if english:
            title = "the " + str(corpus.primary.meta.get("title_en") or corpus.primary.title)
            fill = {"title": title, "hotline": f"the {hotline.label[:1].lower()}{hotline.label[1:]} {hotline.value}" if hotline else "",
                    "website": f"the {website.label[:1].lower()}{website.label[1:]} {website.value}" if website else ""}
        else:
            fill = {"title": corpus.primary.title, "hotline": f"{hotline.label}{hotline.value}" if hotline else "",
                    "website": f"{website.label}{website.value}" if website else ""}
        self._fill = fill
        self.channels = [asdict(c) for c in channels]
        self.starters = tuple(str(q) for q in self.responses.get("starter_questions") or [])

    def in_language(self, lang: str) -> Composer:
        """This composer speaking lang (zh-Hans, zh-Hant or en); Traditional is written as Simplified, then converted."""
        if lang not in self._languages:
            other = copy.copy(self)
            other._speak(lang if lang == "en" else "zh-Hans")
            other.lang = lang
            self._languages[lang] = other
        return self._languages[lang]

    def entry_text(self, entry: FaqEntry, field_name: str = "answer") -> str:
        """An FAQ entry's answer, verdict or gist in this language (the Chinese where no English is written)."""
        chinese = getattr(entry, field_name)
        return (entry.english.get(field_name) or chinese) if self.lang == "en" else chinese

    @property
    def english(self) -> bool:
        return self.lang == "en"

    # ------------------------------------------------------------ wording

    def text(self, key: str, **extra) -> str:
        """A fixed reply from responses.yaml with its fields filled."""
        template = _CJK_GAP.sub("", str(self.responses.get(key, "")))  # YAML folding puts spaces between lines
        return template.format(**self._fill, **extra).strip()

    def steps(self, kind: str) -> tuple[str, ...]:
        """The report steps for a kind of situation (person, object, online)."""
        steps = (self.responses.get("report_steps") or {}).get(kind) or []
        return tuple(_CJK_GAP.sub("", str(s)).format(**self._fill).strip() for s in steps)

    # ------------------------------------------------------------ citations

    def cite(self, c: Citation, score: float = 1.0) -> CitationView | None:
        """The verbatim text a citation points at, as shown (Corpus.quoted)."""
        doc = self.corpus.documents.get(c.doc_id)
        art = doc.article(c.article) if doc else None
        if doc is None or art is None or not doc.is_current:
            return None
        items: tuple[int, ...] = ()
        if c.paragraph is None:
            text = art.text
        else:
            para = art.paragraph(c.paragraph)
            if para is None:
                return None
            if c.item is not None and 1 <= c.item <= len(para.items):
                items = (c.item,)
            text = self.corpus.quoted(c) if items else para.text
        if self.english:
            notes = [
                self.text("old_numbering", old=f"Article {old}", new=", ".join(english_label(n.article, n.paragraph) for n in ref.new))
                for old, ref in self.corpus.current_counterparts(c.doc_id, c.article)
            ]
        else:
            notes = [
                self.text("old_numbering", old=article_label(old), new="、".join(n.label for n in ref.new))
                for old, ref in self.corpus.current_counterparts(c.doc_id, c.article)
            ]
        return CitationView(
            doc_id=c.doc_id, title=doc.title, article=c.article, label=article_label(c.article), paragraph=c.paragraph,
            text=text, url=f"/docs/{c.doc_id}/{c.article}", score=round(float(score), 4), current_law=" ".join(notes) or None,
            items=items, label_en=f"{english_name(doc, capital=True)}, {english_label(c.article, c.paragraph, items)} (official text in Chinese)",
        )

    def ordered(self, views, limit: int = MAX_CITATIONS) -> tuple[CitationView, ...]:
        """Drop unresolvable and repeated citations (a 款 or 项 of something already quoted whole, too), join two 项 of
        one 款 into one quote; primary document first, otherwise in the given order."""
        out: list[CitationView] = []
        for v in views:
            if v is None:
                continue
            same = next((i for i, o in enumerate(out) if (o.doc_id, o.article) == (v.doc_id, v.article)), None)
            if same is None:
                out.append(v)
                continue
            o = out[same]
            if o.paragraph is None or (o.paragraph == v.paragraph and not o.items):
                continue  # already quoted whole
            if v.paragraph is None or (o.paragraph == v.paragraph and not v.items):
                out[same] = v  # the wider quote replaces the narrower one
            elif o.paragraph == v.paragraph:
                out[same] = self._with_items(o, tuple(sorted(set(o.items) | set(v.items))))
            elif all((x.doc_id, x.article, x.paragraph) != (v.doc_id, v.article, v.paragraph) for x in out):
                out.append(v)
        primary = self.corpus.primary.doc_id
        return tuple(sorted(out, key=lambda v: v.doc_id != primary)[:limit])

    def source(self, views) -> str:
        """How an answer names the article it quotes: 《办法》第十二条第一款 / Article 12(1) of the Zhejiang Measures."""
        if not views:
            return ""
        v = views[0]
        if self.english:
            return f"{english_label(v.article, v.paragraph, v.items)} of {english_name(self.corpus.documents[v.doc_id])}"
        return f"《{v.title}》{v.label}" + (paragraph_label(v.paragraph) if v.paragraph else "") + (item_label(v.items[0]) if v.items else "")

    def _with_items(self, view: CitationView, items: tuple[int, ...]) -> CitationView:
        para = self.corpus.article(view.doc_id, view.article).paragraph(view.paragraph)
        text = "\n".join(x for x in (para.lead, *(para.items[i - 1] for i in items)) if x)
        doc = self.corpus.documents[view.doc_id]
        label_en = f"{english_name(doc, capital=True)}, {english_label(view.article, view.paragraph, items)} (official text in Chinese)"
        return CitationView(**{**asdict(view), "text": text, "items": items, "label_en": label_en})

    # ------------------------------------------------------------ suggestions

    def suggest(self, faq_hits, answered: str | None = None, n: int = 3) -> tuple[str, ...]:
        """Related FAQ questions to tap: never the entry just answered, nor a twin of it or of another suggestion."""
        out: list[str] = []
        skip = {answered, *self._twins.get(answered, ())}
        for hit in faq_hits:
            entry = self.corpus.faq_by_id.get(hit.entry_id)
            if entry is None or entry.id in skip:
                continue
            headline = headline_for(entry, self.lang)
            if headline in out:
                continue
            out.append(headline)
            skip |= {entry.id, *self._twins.get(entry.id, ())}
            if len(out) >= n:
                break
        for q in self.starters:  # never fewer than two taps to offer
            if len(out) >= 2:
                break
            if q not in out:
                out.append(q)
        return tuple(out[:4])

    def related_to(self, doc_id: str, article: int, exclude: str | None = None) -> tuple[str, ...]:
        """Questions the FAQ answers from an article."""
        related = [headline_for(e, self.lang) for e in self._citing.get((doc_id, article), []) if e.id != exclude]
        return tuple(related[:3]) or self.starters[:3]

    def explainer(self, doc_id: str, article: int, paragraph: int | None = None) -> FaqEntry | None:
        """The FAQ entry that rests first on an article (on that 款, when one is asked for): its plain explanation.
        For a whole article, one resting on that article alone is preferred (a wider entry answers a narrower question)."""
        firsts = self._resting_on.get((doc_id, article), [])
        if paragraph is None:
            alone = (e for e in firsts if all((c.doc_id, c.article) == (doc_id, article) for c in e.citations))
            return next(alone, next(iter(firsts), None))
        return next((e for e in firsts if e.citations[0].paragraph == paragraph), next(iter(firsts), None))

    # ------------------------------------------------------------ replies, one per kind of decision

    def faq_reply(self, d: Decision) -> Reply:
        """A FAQ entry's answer: its verdict only for a yes/no question about the same thing; the top-ranked article leads.
        An answer that says what the texts do not say ("办法没有规定具体多久查一次") is a partial answer."""
        entry = d.faq
        top = d.articles[0].key if d.articles else None
        liability = self.corpus.liability[0] if d.part.asks_penalty else frozenset()
        # what follows is said by the liability articles: they lead an answer to "有什么后果", then the top-ranked one
        citations = sorted(entry.citations, key=lambda c: (f"{c.doc_id}/{c.article}" not in liability, (c.doc_id, c.article) != top))
        body = self.entry_text(entry)
        text = f"{self.entry_text(entry, 'verdict')}{' ' if self.english else ''}{body}" if d.verdict else body
        views = self.ordered([self.cite(c, d.confidence) for c in citations])
        faq_hits = d.retrieval.faq if d.retrieval else ()
        coverage = "partial" if GAP.search(entry.answer) else None
        return Reply("question", text, views, suggestions=self.suggest(faq_hits, entry.id), confidence=d.confidence, coverage=coverage, source=f"faq:{entry.id}", entry_id=entry.id)

    def articles_reply(self, d: Decision, lead: str = "article_lead") -> Reply:
        """No FAQ entry fits, but an article covers the question: quote it, with its plain explanation when there is one."""
        views = self.ordered([self.cite(Citation(h.doc_id, h.article, h.paragraph or None), h.score) for h in d.articles])
        text = self.text(lead, source=self.source(views)) + self._plainly(views)
        faq_hits = d.retrieval.faq if d.retrieval else ()
        return Reply("question", text, views, suggestions=self.suggest(faq_hits), confidence=d.confidence, source="articles")

    def _plainly(self, views: list[CitationView]) -> str:
        """"简单地说：…": what the first article quoted says, in plain words, when an entry explains it ('' if none)."""
        entry = self.explainer(views[0].doc_id, views[0].article) if views else None
        return "\n" + self.text("plain_words") + self._space + self.entry_text(entry, "gist") if entry and entry.gist else ""

    def partial_reply(self, d: Decision, answers: tuple[str, ...] = ()) -> Reply:
        """The texts do not directly answer it: say so, then what comes nearest (the closest FAQ entry's answer, or the
        closest article), not as if it answered. Soon after what-to-do-now steps (`answers`: the earlier answers), the
        question is about that situation: whom to tell about it."""
        faq_hits = d.retrieval.faq if d.retrieval else ()
        your_case = (self._space + self.text("partial_your_case")) if self._steps_given(answers[-2:]) else ""
        if d.faq is not None:
            views = self.ordered([self.cite(c, d.confidence) for c in d.faq.citations])
            text = self.text("partial_nearest", asked=asked(d.part.text)) + self._space + self.entry_text(d.faq) + your_case
            return Reply("question", text, views, suggestions=self.suggest(faq_hits, d.faq.id), confidence=d.confidence, coverage="partial", source=f"partial:{d.faq.id}", entry_id=d.faq.id)
        views = self.ordered([self.cite(Citation(h.doc_id, h.article, h.paragraph or None), h.score) for h in d.articles[:1]])
        text = self.text("partial", asked=asked(d.part.text), source=self.source(views)) + self._plainly(views) + your_case
        return Reply("question", text, views, suggestions=self.suggest(faq_hits), confidence=d.confidence, coverage="partial", source="partial")

    def why_reply(self, d: Decision, shown: tuple[Citation, ...]) -> Reply:
        """"为什么" when no entry explains why: the texts do not give reasons article by article; the measures' purpose
        (第一条) and what was shown."""
        views = self.ordered([self._purpose, *(self.cite(c) for c in shown[:1])])
        text = self.text("why_purpose", source=self.source(views))
        return Reply("question", text, views, suggestions=self.starters[:3], confidence=d.confidence, coverage="partial", source="why")

    def out_of_scope_reply(self, confidence: float = 0.0) -> Reply:
        return Reply("out_of_scope", self.text("out_of_scope"), suggestions=self.starters[:3], confidence=confidence, source="out_of_scope")

    def sensitive_reply(self, confidence: float = 0.0) -> Reply:
        """One neutral reply: what the bot is for; no verdict on anything."""
        return Reply("out_of_scope", self.text("sensitive"), suggestions=self.starters[:3], confidence=confidence, source="sensitive")

    def greeting_reply(self, kind: str, confidence: float = 1.0) -> Reply:
        text = self.text(kind) or self.text("greeting")
        return Reply("greeting", text, suggestions=self.starters[:4], confidence=confidence, source=kind)

    def report_reply(self, d: Decision, message: str) -> Reply:
        """What to do now, as steps that fit the situation; the reporting article; a FAQ answer when one fits closely."""
        kind = self.report_kind(message)
        steps = self.steps(kind)
        text = "\n".join((self.text("report_intro"), *steps, self.text("report_footer")))
        cites = list(self._report_citations)
        answered = None
        faq_hits = d.retrieval.faq if d.retrieval else ()
        if d.faq is not None:
            text += "\n" + self.text("report_and_answer") + self._space + self.entry_text(d.faq)
            cites = [cites[0], *(self.cite(c, d.confidence) for c in d.faq.citations), *cites[1:]]
            answered = d.faq.id
        views = self.ordered(cites, limit=MAX_REPORT_CITATIONS)
        source = f"report+faq:{answered}" if answered else f"report:{kind}"
        return Reply("report", text, views, steps, self.suggest(faq_hits, answered), d.confidence, source=source, entry_id=answered)

    def self_involved_reply(self, d: Decision) -> Reply:
        """Someone who did something: the law's way back (反间谍法第五十五条) first, calmly, then how to come forward."""
        steps = self.steps("self_involved")
        text = "\n".join((self.text("self_involved_intro"), *steps, self.text("report_footer")))
        views = self.ordered(self._self_involved_citations, limit=MAX_REPORT_CITATIONS)
        faq_hits = d.retrieval.faq if d.retrieval else ()
        return Reply(d.intent, text, views, steps, self.suggest(faq_hits), d.confidence, source="self_involved")

    def report_kind(self, message: str) -> str:
        """person, object or online: which advice fits (cue words in responses.yaml `report_kinds`)."""
        lowered = message.lower()
        hits = {kind: sum(cue in lowered for cue in self._report_cues.get(kind, ())) for kind in ("online", "object")}
        kind = max(hits, key=hits.get)  # "渔网上挂了个东西" is an object though 网上 is an online cue
        return kind if hits[kind] else "person"

    def premise_reply(self, d: Decision) -> Reply:
        """是 or 不是 for a fact asked about with a value, and the fact(s) with their articles."""
        fact, value = d.part.premise

        def states(f) -> bool:
            return any(normalize(v) in value or value in normalize(v) for v in f.values)

        if states(fact):
            text, facts = self.text("premise_yes", statement=self._statement(fact)), [fact]
        else:
            other = next((f for f in self.corpus.facts if f is not fact and states(f)), None)
            facts = [fact, other] if other else [fact]
            text = self.text("premise_no", statement=self._space.join(self._statement(f) for f in facts))
        views = self.ordered([self.cite(f.citation) for f in facts])
        return Reply("question", text, views, suggestions=self.starters[:3], confidence=1.0, source=f"premise:{fact.id}")

    def _statement(self, fact) -> str:
        return (fact.statement_en or fact.statement) if self.english else fact.statement

    @property
    def _space(self) -> str:
        """Between two sentences: nothing in Chinese, a space in English."""
        return " " if self.english else ""

    def lookup_reply(self, ref: ArticleRef) -> Reply:
        """"第九条是什么": that article verbatim, with its plain explanation."""
        doc = self.corpus.documents[ref.doc_id]
        art = doc.article(ref.number)
        if art is None or (ref.paragraph is not None and art.paragraph(ref.paragraph) is None):
            label = ref.written  # as asked: 第0条 and 第99999条 have no numeral to write them with
            if 1 <= ref.number <= 9999 and (ref.paragraph is None or 1 <= ref.paragraph <= 99):
                label = article_label(ref.number) + (paragraph_label(ref.paragraph) if ref.paragraph is not None else "")
            if self.english:
                label = f"Article {ref.number}" + (f"({ref.paragraph})" if ref.paragraph is not None else "")
                text = self.text("lookup_missing", doc_title=english_name(doc), count=len(doc.articles), label=label, last=len(doc.articles))
            else:
                text = self.text("lookup_missing", doc_title=doc.title, count=len(doc.articles), label=label, last=article_label(len(doc.articles))[1:-1])
            return Reply("question", text, suggestions=self.starters[:3], confidence=1.0, source="lookup-missing")
        reply = self._explain(Citation(ref.doc_id, ref.number, ref.paragraph), source="lookup")
        return self._against_claim(ref, doc, art, reply) if ref.claim else reply

    def _title(self, doc: Document) -> str:
        return english_name(doc) if self.english else doc.title

    def _label(self, article: int, paragraph: int | None = None) -> str:
        if self.english:
            return english_label(article, paragraph)
        return article_label(article) + (paragraph_label(paragraph) if paragraph else "")

    def _against_claim(self, ref: ArticleRef, doc: Document, art, reply: Reply) -> Reply:
        """"第二十七条是讲自首的吧": when the article never says it and others of the text do, say which (and that an
        earlier version said it under this number: the 2014 law's 第二十七条 was on 自首), quoting those first."""
        claim = normalize(ref.claim)
        if claim in normalize(art.text):
            return reply
        elsewhere = [a for a in doc.articles if claim in normalize(a.text)][:3]
        if not elsewhere:
            return reply
        earlier = self._earlier_version(doc)
        old = earlier.article(ref.number) if earlier else None
        said_before = ""
        if old is not None and claim in normalize(old.text):
            said_before = self.text("claim_earlier_version", claim=ref.claim, old_title=self._title(earlier), label=self._label(old.number))
        others = (", " if self.english else "、").join(self._label(a.number) for a in elsewhere)
        lead = self.text("claim_elsewhere", doc_title=self._title(doc), label=self._label(art.number), claim=ref.claim, others=others, earlier=said_before)
        views = self.ordered([self.cite(Citation(doc.doc_id, a.number, None)) for a in elsewhere]) + reply.citations
        return replace(reply, text=f"{lead}\n{reply.text}", citations=views)

    def _explain(self, c: Citation, source: str, simpler: bool = False) -> Reply:
        """An article quoted, with the plain words of the FAQ entry resting on it (its one-sentence gist when simpler)."""
        doc = self.corpus.documents[c.doc_id]
        art = doc.article(c.article)
        paragraph = c.paragraph if c.paragraph and art.paragraph(c.paragraph) else None
        entry = self.explainer(c.doc_id, c.article, c.paragraph)
        if self.english:
            text = self.text("lookup_lead", doc_title=english_name(doc), label=english_label(c.article, paragraph))
        else:
            text = self.text("lookup_lead", doc_title=doc.title, label=art.label + (paragraph_label(paragraph) if paragraph else ""))
        if entry:
            plain = self.entry_text(entry, "gist") if simpler and entry.gist else self.entry_text(entry)
            text += "\n" + self.text("plain_words") + self._space + plain
        view = self.cite(Citation(c.doc_id, c.article, c.paragraph))
        return Reply("question", text, self.ordered([view]), suggestions=self.related_to(c.doc_id, c.article, entry.id if entry else None), confidence=1.0, source=source)

    def this_article_reply(self, shown: tuple[Citation, ...]) -> Reply:
        """"这条是什么意思": the article the previous answer showed first, explained."""
        first = shown[0]
        return self._explain(Citation(first.doc_id, first.article, first.paragraph), source="this-article")

    def which_article_reply(self, shown: tuple[Citation, ...]) -> Reply:
        """"具体是哪一条": the articles the previous answer showed, named and quoted again."""
        views = self.ordered([self.cite(c) for c in shown])
        labels = ", ".join(self.source([v]) for v in views) if self.english else "、".join(self.source([v]) for v in views)
        return Reply("question", self.text("which_article", labels=labels), views, suggestions=self.starters[:3], confidence=1.0, source="which-article")

    def simpler_reply(self, shown: tuple[Citation, ...], answers: tuple[str, ...], asked_text: str = "") -> Reply:
        """"说简单点": the one-sentence gist of what was answered, with the same first article; "第一步干嘛" after
        what-to-do-now steps given earlier: the first of them, and whom to call."""
        report = self._steps_given(answers if FIRST_STEP.search(normalize(asked_text)) else answers[-1:])
        if report and not shown:
            shown = tuple(Citation(v.doc_id, v.article, v.paragraph) for v in self._report_citations if v)
        if report:  # after what-to-do-now steps: the first thing to do, and whom to call
            views = self.ordered([self.cite(c) for c in shown[:2]])
            return Reply("question", self.text("plain_words") + self._space + self._space.join((report[0], report[-1])), views,
                         suggestions=self.starters[:3], confidence=1.0, source="simpler:report")
        entry = self.corpus.entry_in(answers[-1:])  # what the last answer gave: an earlier entry is not "that"
        if entry is not None and entry.gist:
            views = self.ordered([self.cite(c) for c in entry.citations[:2]])
            return Reply("question", self.text("plain_words") + self._space + self.entry_text(entry, "gist"), views, suggestions=self.related_to(entry.citations[0].doc_id, entry.citations[0].article, entry.id), confidence=1.0, source=f"simpler:{entry.id}", entry_id=entry.id)
        first = shown[0]
        return self._explain(Citation(first.doc_id, first.article, first.paragraph), source="simpler", simpler=True)

    def obligation_reply(self, shown: tuple[Citation, ...]) -> Reply | None:
        """"是强制的吗" after an answer: whether the provision it rests on (the first it showed) says 应当 (a duty) or
        only 可以 (allowed); None when it says neither (the question is then searched with the topic)."""
        view = self.cite(shown[0])
        text = view.text if view else ""
        key = "obligation_must" if "应当" in text or "必须" in text else "obligation_may" if "可以" in text else None
        if key is None:
            return None
        views = self.ordered([view])
        return Reply("question", self.text(key, labels=self.source(views)), views, suggestions=self.starters[:3], confidence=1.0, source=key.replace("_", ":"))

    def _steps_given(self, answers: tuple[str, ...]) -> tuple[str, ...] | None:
        """The what-to-do-now steps the most recent of these answers gave, if any."""
        earlier = [to_simplified(a) for a in reversed(answers)]  # a Traditional page sends its answers back in Traditional
        return next((steps for a in earlier for steps in map(self.steps, REPORT_STEP_LISTS) if steps and steps[0] in a), None)

    def step_reply(self, answers: tuple[str, ...], focus: tuple[str, ...], is_specific) -> Reply | None:
        """"聊天记录要不要删" soon after what-to-do-now steps (one of the last three answers): the step that speaks of
        it, and whom to call. Matched on specific words (`is_specific`: not 不要, 可以), never on the last step, which
        every question about reporting would match."""
        steps = self._steps_given(answers[-3:])
        if not steps:
            return None
        words = [w for w in focus if len(w) >= 2 and w not in ENGLISH_FUNCTION_WORDS and is_specific(w)]
        step = next((s for s in steps[:-1] if any(w in normalize(s) for w in words)), None)
        if step is None:
            return None
        views = self.ordered([v for v in self._report_citations if v])
        # advice, not what a provision says: a partial answer
        return Reply("question", self.text("step_again", step=step) + self._space + steps[-1], views, suggestions=self.starters[:3], confidence=1.0, coverage="partial", source="step")

    def nothing_more_reply(self, faq_hits) -> Reply:
        return Reply("question", self.text("nothing_more"), suggestions=self.suggest(faq_hits), confidence=1.0, source="nothing-more")

    def doc_fact_reply(self, doc_id: str, facts: tuple[str, ...]) -> Reply:
        """Who issued a document, its order number, article count, status or date in force: from its metadata."""
        doc = self.corpus.documents[doc_id]
        meta = {k[:-3]: v for k, v in doc.meta.items() if k.endswith("_en")} if self.english else doc.meta
        title = self._title(doc)
        effective = _date_en(doc.effective) if self.english else _date_cn(doc.effective)
        current = self.corpus.documents.get(str(doc.meta.get("superseded_by", "")))
        earlier = self._earlier_version(doc)
        sentences = {
            "issuer": lambda: self.text("doc_issuer", doc_title=title, issuer=meta.get("issuing_body", ""), order_no=meta.get("order_no", "")),
            "order_no": lambda: self.text("doc_order_no", doc_title=title, order_no=meta.get("order_no", "")),
            "count": lambda: self.text("doc_count", doc_title=title, count=len(doc.articles)),
            "status": lambda: self.text("doc_current", doc_title=title, effective=effective) if doc.is_current else self.text(
                "doc_superseded", doc_title=title, current_title=self._title(current) if current else ""
            ),
            "effective": lambda: self.text("doc_effective", doc_title=title, effective=effective),
            "revised": lambda: self.text("doc_revised", doc_title=title, effective=effective, old_title=self._title(earlier)) if earlier else self.text(
                "doc_no_revision", doc_title=title, effective=effective
            ),
            "changes": lambda: (sentences["revised"]() + self._space if "revised" not in facts else "") + self.text("doc_changes_not_compared"),
        }
        text = self._space.join(sentences[f]() for f in dict.fromkeys(facts))
        if {"status", "revised", "changes"} & set(facts) and any(doc.old_law_refs(a.number) for a in doc.articles):
            text += self._space + self.text("doc_old_numbering", doc_title=title)  # why its article numbers look wrong
        views = self.ordered([self.cite(c) for f in facts for c in _fact_citations(doc, f)])
        # no record of amendments is not a statement that there were none
        coverage = "partial" if "changes" in facts or ("revised" in facts and earlier is None) else None
        return Reply("question", text, views, suggestions=self.starters[:3], confidence=1.0, coverage=coverage, source="doc:" + "+".join(facts))

    def _earlier_version(self, doc: Document) -> Document | None:
        """The version of a text that this one replaced (its superseded_by names this one)."""
        return next((d for d in self.corpus.documents.values() if d.meta.get("superseded_by") == doc.doc_id), None)

    def mentions_reply(self, doc_id: str, what: str, words: tuple[str, ...]) -> Reply | None:
        """"跟学校有关的是哪几条": the 款 of a text that use one of the words for it, quoted (at most six); None when
        none does."""
        doc = self.corpus.documents[doc_id]
        found = [p for a in doc.articles for p in a.paragraphs if any(w in normalize(p.text) for w in words)]
        views = self.ordered([self.cite(Citation(doc_id, p.article, p.number if len(doc.article(p.article).paragraphs) > 1 else None)) for p in found[:6]])
        if not views:
            return None  # no article uses the words: the question is searched as any other
        labels = (", " if self.english else "、").join(dict.fromkeys(self._label(p.article) for p in found))
        return Reply("question", self.text("mentions", doc_title=self._title(doc), what=what, labels=labels), views, suggestions=self.starters[:3], confidence=1.0, source="mentions")

    # ------------------------------------------------------------ the whole answer

    def finish(self, replies: list[tuple[str, Reply]], u: Understanding) -> Answer:
        """Join the replies to the parts of a message (report first), add the channels, answer in the asker's script."""
        if len(replies) == 1:
            reply = replies[0][1]
            text, views, steps = reply.text, reply.citations, reply.steps
        else:
            ordered = sorted(replies, key=lambda pr: pr[1].intent != "report")
            seen_sources: set[str] = set()
            blocks, all_views, steps = [], [], ()
            for asked_text, reply in ordered:
                if reply.source in seen_sources:
                    continue  # two questions answered by the same entry: once is enough
                seen_sources.add(reply.source)
                blocks.append(reply.text if reply.intent == "report" else self.text("part_lead", asked=asked(asked_text)) + reply.text)
                all_views.append(reply.citations)
                steps = steps or reply.steps
            text = "\n\n".join(blocks)
            views = self.ordered([v for group in _interleave(all_views) for v in group])
            reply = ordered[0][1]
        notes = [v.current_law for v in views if v.current_law]
        if notes:
            text = text + "\n" + "\n".join(dict.fromkeys(notes))
        intents = [r.intent for _, r in replies]
        intent = "report" if "report" in intents else intents[0]
        coverage = "partial" if any(r.coverage == "partial" for _, r in replies) else ("full" if intent == "question" else None)
        suggestions = list(reply.suggestions)
        lang = self.lang
        if lang == "zh-Hant":
            text, suggestions, steps = to_traditional(text), [to_traditional(s) for s in suggestions], tuple(to_traditional(s) for s in steps)
        elif lang == "en" and intent != "greeting":
            text += "\n" + self.text("english_note")  # the quoted law stays Chinese: say once which text counts
        source = "+".join(r.source for _, r in replies)
        confidence = min(r.confidence for _, r in replies)
        return Answer(intent, text, list(views), self.channels, suggestions, round(float(confidence), 3), self.corpus.version,
                      coverage=coverage, lang=lang, steps=tuple(steps), source=source)


# ---------------------------------------------------------------- helpers


def headline_for(entry: FaqEntry, lang: str) -> str:
    """The phrasing to offer as a tappable suggestion, in the asker's language."""
    if lang == "en":
        return next((q for q in entry.questions if q.isascii()), entry.headline)
    return entry.headline


def asked(text: str) -> str:
    """A question as quoted back to the asker: a long message by the clause that asks ("老师让我们查查反间谍法，间谍
    到底是什么意思" by 间谍到底是什么意思), without 请问 / 吗 / the question mark."""
    text = text.strip()
    clauses = [c.strip() for c in _CLAUSE_BREAK.split(text) if c.strip()]
    asking = [c for c in clauses if question_form(c) != "none"]
    # not a clause pointing back at the rest ("…技能考核，这是哪里规定的")
    if len(text) > 20 and len(clauses) > 1 and asking and len(asking[-1]) >= 4 and not _POINTS_BACK.search(asking[-1]):
        text = asking[-1]
    return _QUESTION_TAIL.sub("", _QUESTION_HEAD.sub("", text)) or text


def english_name(doc: Document, capital: bool = False) -> str:
    """the Zhejiang Measures / Zhejiang Measures: a document's short English name (its title where none is given)."""
    name = str(doc.meta.get("short_title_en") or doc.meta.get("title_en") or doc.title)
    return name.removeprefix("the ") if capital else name


def english_label(article: int, paragraph: int | None = None, items: tuple[int, ...] = ()) -> str:
    """Article 12, Article 12(1), Article 12(1), item (2)."""
    label = f"Article {article}" + (f"({paragraph})" if paragraph else "")
    return label + (", item " + ", ".join(f"({i})" for i in items) if items else "")


def _date_en(date: str) -> str:
    """2019-09-01 → 1 September 2019."""
    months = "January February March April May June July August September October November December".split()
    try:
        y, m, d = (int(x) for x in date.split("-"))
    except ValueError:
        return date
    return f"{d} {months[m - 1]} {y}"


def _date_cn(date: str) -> str:
    """2019-09-01 → 2019年9月1日."""
    try:
        y, m, d = (int(x) for x in date.split("-"))
    except ValueError:
        return date
    return f"{y}年{m}月{d}日"


_IN_FORCE = re.compile(r"自.{4,16}起施行")


def _fact_citations(doc: Document, fact: str) -> list[Citation]:
    """The article stating a document's date in force (本办法自…起施行), for the facts that rest on it."""
    if fact not in ("effective", "status", "revised", "changes"):
        return []
    art = next((a for a in reversed(doc.articles) if _IN_FORCE.search(a.text)), None)
    return [Citation(doc.doc_id, art.number)] if art else []


def _citations(raws) -> list[Citation]:
    from .corpus import parse_citation

    out = []
    for raw in raws or []:
        try:
            out.append(parse_citation(raw))
        except ValueError:
            continue  # reported by `bot check-corpus`
    return out


def _interleave(groups: list[tuple[CitationView, ...]]) -> list[tuple[CitationView, ...]]:
    """The first citation of every part, then the second of every part…: each part keeps its main article."""
    out = []
    for i in range(max((len(g) for g in groups), default=0)):
        out.append(tuple(g[i] for g in groups if i < len(g)))
    return out


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


__all__ = ["Answer", "ArticleHit", "CitationView", "Composer", "FaqHit", "Reply"]
