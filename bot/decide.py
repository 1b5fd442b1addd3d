"""Deciding what a question gets: its intent, and whether what was found actually covers it.

Three outcomes for a question, not two: an answer, a partial answer ("the texts do not directly say X; the closest
is…"), or out of scope. The coverage signal: the share of the question's focus terms (IDF-weighted) that the best
candidate's own text contains (a FAQ entry's phrasings, answer and cited articles; or an article's text). A phrasing
that shares two words with an article is no longer enough: the words that make the question specific must be there.
Thresholds are calibrated on eval/dev.yaml and checked on the holdout and hard out-of-scope sets (docs/benchmarks.md).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .corpus import Corpus, FaqEntry
from .index import Index
from .normalize import normalize
from .retrieve import ArticleHit, FaqHit, Retrieval
from .segment import Segmenter
from .understand import ENGLISH_FUNCTION_WORDS, OPEN_FORMS, Part, Understanding, language, question_form


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds (calibrated on eval/dev.yaml; see docs/benchmarks.md)."""

    report: float = 0.45  # below an even split: a missed report costs more than a report answer to a question
    report_in_conversation: float = 0.85  # a question asked after others is a new report only when the classifier is sure
    out_of_scope_in_conversation: float = 0.85  # and refused only then: the conversation so far was about the domain
    out_of_scope: float = 0.6
    sensitive: float = 0.6  # and the most likely label: a question that merely names a place or a policy is not
    sensitive_sure: float = 0.9  # for a message very like an FAQ phrasing
    self_involved: float = 0.5
    faq_similarity: float = 0.86  # below this a FAQ phrasing is not close enough to answer with its entry
    faq_similarity_english: float = 0.89  # English sentences sit closer together in the encoder's space
    faq_same_question: float = 0.96  # a phrasing this close is the question as typed: its entry comes first
    faq_very_close: float = 0.95  # a phrasing this close answers whatever the coverage (paraphrases share few words)
    faq_keeps_in_scope: float = 0.92  # a FAQ phrasing this close overrides an out_of_scope vote
    covered: float = 0.6  # share of the focus a candidate must contain to answer
    fully_covered: float = 0.99  # contains every focus term: preferred to one missing a specific word
    partly_covered: float = 0.3  # below this the closest article is unrelated: out of scope, not a partial answer
    article_similarity: float = 0.84  # an article answers on its own only from this similarity up
    report_faq: float = 0.92  # a report answer also gives a FAQ answer this close to the message


@dataclass(frozen=True)
class Answerability:
    """Whether a FAQ entry answers a question, from how close its phrasing is (sim), how much of the question's focus
    its text contains (coverage; None for a question with no Chinese terms to judge by), and the classifier's P(question).
    A logistic score, fitted on eval/dev.yaml and eval/calibration.yaml (`bot eval --calibrate` prints a fresh fit)."""

    weights: tuple[float, float, float] = (1.0, 1.6, 0.6)  # sim, coverage, P(question), each standardised below
    mean: tuple[float, float, float] = (0.934, 0.62, 0.87)
    scale: tuple[float, float, float] = (0.023, 0.29, 0.235)
    bias: float = 1.8
    threshold: float = 0.55
    coverage_unknown: float = 0.75  # what an English question without glossary terms counts as

    def probability(self, sim: float, coverage: float | None, p_question: float) -> float:
        """P(the entry answers the question)."""
        x = (sim, self.coverage_unknown if coverage is None else coverage, p_question)
        z = sum(w * (v - m) / s for w, v, m, s in zip(self.weights, x, self.mean, self.scale)) + self.bias
        return 1 / (1 + math.exp(-z))


FAQ_CANDIDATES = 4  # close FAQ matches considered for the answer
COVERING_ARTICLES = 5  # top-ranked articles searched for one containing what an entry leaves out
NUMBER = re.compile(r"\d|[一二两三四五六七八九十百千万]+[年月日天个条次元倍项级档周小时分钟]|半年|每年|每月")
_AMOUNT = r"(?:\d+|[一二两三四五六七八九十百千万]+)\s*(?:万|千)?\s*"
# What a how-many / how-long question asks for, by the word after 多少 / 几, and the units an answer must give it in.
_UNITS = (
    (re.compile(r"(多少|几)(钱|块|元|万|经费|罚款|奖金|奖励|费用|补偿|赔偿)|罚多少|how much|amount|fine|reward"), re.compile(_AMOUNT + "元")),
    (re.compile(r"多久|多长时间|多长|几天|多少天|几个月|几年|多少年|how long"), re.compile(_AMOUNT + "(个)?(小时|日|天|工作日|月|年)|半年")),
    (re.compile(r"(多少|几)(个)?(课时|学时|小时)"), re.compile(_AMOUNT + "(课时|学时|小时)")),
    (re.compile(r"(多少|几)(个)?(人|名)"), re.compile(_AMOUNT + "(个)?(人|名)")),
    (re.compile(r"(多少|几)(次|回)|how often|how many times"), re.compile(_AMOUNT + "次|每年|每月|定期")),
)
_SALUTATIONS = ENGLISH_FUNCTION_WORDS | {"hi", "hello", "hey", "thanks", "thank", "bye"}
LENIENCY = ("fanjiandiefa-2023", 55)  # 自首、立功…可以从轻、减轻或者免除处罚；受胁迫或者受诱骗…可以不予追究


@dataclass(frozen=True)
class Decision:
    """What one question gets."""

    outcome: str  # answer | articles | partial | out_of_scope | sensitive | report | self_involved | greeting | premise
    # partial: `faq` (when set) is the closest entry, given with the caveat that it does not directly answer
    intent: str  # the API's intent: question | report | greeting | out_of_scope
    part: Part
    faq: FaqEntry | None = None
    verdict: bool = False  # give the entry's yes/no verdict before its body
    articles: tuple[ArticleHit, ...] = ()
    coverage: float | None = None
    confidence: float = 0.0
    retrieval: Retrieval | None = field(default=None, compare=False, repr=False)


class Coverage:
    """How much of a question's focus a FAQ entry or an article contains, IDF-weighted over the corpus."""

    def __init__(self, corpus: Corpus, index: Index, segmenter: Segmenter):
        self.segmenter = segmenter
        self.entry_tokens: dict[str, set[str]] = {}
        self.entry_text: dict[str, str] = {}
        for entry in corpus.faq:
            cited = [corpus.quoted(c) or "" for c in entry.citations]  # what the answer shows
            text = " ".join((*entry.questions, entry.answer, *cited))
            self.entry_text[entry.id] = normalize(text)
            self.entry_tokens[entry.id] = set(segmenter.tokens(text))
        self.article_tokens: dict[tuple[str, int], set[str]] = {}
        self.article_text: dict[tuple[str, int], str] = {}
        for doc in corpus.documents.values():
            if not doc.is_current:
                continue
            for art in doc.articles:
                self.article_text[(doc.doc_id, art.number)] = normalize(art.text)
                self.article_tokens[(doc.doc_id, art.number)] = set(segmenter.tokens(art.text))
        df: dict[str, int] = {}
        for tokens in (*self.entry_tokens.values(), *self.article_tokens.values()):
            for t in tokens:
                df[t] = df.get(t, 0) + 1
        self.n = len(self.entry_tokens) + len(self.article_tokens)
        # English words the corpus's English (FAQ phrasings and answers, the glossary) uses: an English follow-up made
        # of none of them is about something else ("where's the restroom")
        english = [q for e in corpus.faq for q in e.questions if q.isascii()] + [t for e in corpus.faq for t in e.english.values()]
        english += [v for variants in corpus.glossary.values() for v in variants]
        self.english_words = {w for text in english for w in re.findall(r"[a-z]{4,}", text.lower())}
        self.idf = {t: self._idf(d) for t, d in df.items()}
        self.unseen_idf = self._idf(0)

    def _idf(self, df: int) -> float:
        return math.log(1 + self.n / (df + 0.5))

    def weight(self, token: str) -> float:
        """How specific a term is: rare in the corpus weighs more; a term the corpus never uses weighs most."""
        return self.idf.get(token, self.unseen_idf)

    def known(self, token: str) -> bool:
        """Whether any text of the corpus uses the term."""
        return token in self.idf

    def _share(self, focus: tuple[str, ...], tokens: set[str], text: str) -> float | None:
        terms = [t for t in focus if not t.isascii() or t.isdigit()]
        if not terms:
            return None  # nothing to judge by (an English question without glossary terms): similarity decides
        total = sum(self.weight(t) for t in terms)
        got = sum(self.weight(t) for t in terms if t in tokens or (len(t) > 1 and t in text))
        return got / total

    def of_entry(self, focus: tuple[str, ...], entry_id: str) -> float | None:
        """Share of the focus a FAQ entry (phrasings, answer, cited articles) contains; None when there is no focus."""
        return self._share(focus, self.entry_tokens.get(entry_id, set()), self.entry_text.get(entry_id, ""))

    def of_article(self, focus: tuple[str, ...], key: tuple[str, int]) -> float | None:
        """Share of the focus an article contains."""
        return self._share(focus, self.article_tokens.get(key, set()), self.article_text.get(key, ""))

    def missing(self, focus: tuple[str, ...], entry_id: str | None = None, key: tuple[str, int] | None = None) -> tuple[str, ...]:
        """The focus terms a candidate does not contain, most specific first."""
        tokens = self.entry_tokens.get(entry_id, set()) if entry_id else self.article_tokens.get(key, set())
        text = self.entry_text.get(entry_id, "") if entry_id else self.article_text.get(key, "")
        out = [t for t in focus if (not t.isascii() or t.isdigit()) and t not in tokens and t not in text]
        return tuple(sorted(out, key=lambda t: -self.weight(t)))


class Decider:
    """Turns an understood question and what it retrieved into a Decision."""

    def __init__(self, corpus: Corpus, coverage: Coverage, thresholds: Thresholds | None = None, answerability: Answerability | None = None):
        self.corpus, self.coverage = corpus, coverage
        self.segmenter = coverage.segmenter  # is_specific: a word is specific rather than everyday (dictionary frequency)
        self.t = thresholds or Thresholds()
        self.answerability = answerability or Answerability()
        self.subject_audience = {s.name: s.audience for s in corpus.subjects}
        self.subject_words = {s.name: [normalize(w) for w in s.words] for s in corpus.subjects}
        self._any_subject_word = frozenset(w for words in self.subject_words.values() for w in words)
        self._channel_numbers = tuple(c.value for c in corpus.channels if c.value.isascii())

    def decide(self, u: Understanding, part: Part, retrieval: Retrieval, probs: dict[str, float]) -> Decision:
        """Intent first (sensitive, self-involved, report, premise, greeting, out of scope), then coverage."""
        t = self.t
        if u.injection or u.sensitive:
            return Decision("sensitive", "out_of_scope", part, confidence=1.0, retrieval=retrieval)
        if u.confesses:
            return Decision("self_involved", _self_involved_intent(u, part), part, confidence=1.0, retrieval=retrieval)
        if u.report_now:
            return Decision("report", "report", part, confidence=1.0, retrieval=retrieval)
        if u.threatened:  # to report now, with what protects them (a story's words cover no entry: the closest)
            entry, sim, _ = self.best_entry(part, retrieval, gate=False)
            return Decision("report", "report", part, faq=entry if sim >= self.t.report_faq else None, confidence=1.0, retrieval=retrieval)
        if part.premise is not None:
            return Decision("premise", "question", part, confidence=1.0, retrieval=retrieval)
        if part.follow_up and not u.retaliation and self._about_something_else(part):  # "他会不会找我麻烦" is about the topic
            return Decision("out_of_scope", "out_of_scope", part, confidence=1.0, retrieval=retrieval)
        if part.follow_up:
            # Read with the topic, the classifier votes on the topic's words too: a follow-up is a question about it.
            if u.self_involved:  # "我会坐牢吗" after saying what they did: the law's way back, from the FAQ or in full
                entry, sim, cov = self.best_entry(part, retrieval)
                if entry is None or not any((c.doc_id, c.article) == LENIENCY for c in entry.citations):
                    return Decision("self_involved", _self_involved_intent(u, part), part, confidence=1.0, retrieval=retrieval)
            # "那学校呢" after an answer about students asks for another answer than the one just given
            answered = self.corpus.entry_in(u.state.answers[-1:]) if part.follow_up == "subject" else None
            return self._question(part, retrieval, probs, conversing=True, exclude=frozenset({answered.id} if answered else ()))
        top = max(probs, key=probs.get)
        # A question very like an FAQ phrasing is in scope unless the classifier is sure ("协助国安以后被人威胁了怎么办").
        # So is one asked in a conversation about the law so far (provocations name their subject: u.sensitive above).
        near_faq = retrieval.signals.get("dense_faq_max", 0.0) >= t.faq_keeps_in_scope
        # English: its sensitive phrasings are few, and ordinary English questions drift towards them
        sure_needed = near_faq or not u.state.is_empty or u.lang == "en"
        if top == "sensitive" and probs["sensitive"] >= (t.sensitive_sure if sure_needed else t.sensitive):
            return Decision("sensitive", "out_of_scope", part, confidence=probs["sensitive"], retrieval=retrieval)
        # The classifier alone over-reads worry ("我怕被报复" may come from a witness): it must also speak of something
        # done. After a confession, only a question about punishment gets this reply again (u.self_involved); the
        # rest ("我家人会受牵连吗") is answered as a question.
        if u.self_involved or (probs["self_involved"] >= t.self_involved and u.past and not u.state.self_involved and not u.retaliation):
            return Decision("self_involved", _self_involved_intent(u, part), part, confidence=max(probs["self_involved"], float(u.self_involved)), retrieval=retrieval)
        # not about themselves after all: a situation to act on is a report ("猎头要我们单位的内部组织架构")
        # the self-involvement vote adds to a report only for a message telling of an act, done or not ("I haven't
        # sent anything yet": a supposition, "要是我举报错了呢", reports nothing), and wins alone only for what espionage
        # is about (material, money, a foreign counterpart…: "出钱让我写单位内部情况" does, "公务员受了记过处分" does not)
        # ("公务员受了记过处分，多久以后才能晋升" tells of an act that involves none of it: no report)
        report = probs["report"] + (probs["self_involved"] if (u.past or u.denies) and u.involving else 0.0)
        asks = not u.state.is_empty  # a message in a conversation, about what was said ("我怕他们报复我")
        settled = (asks and report < t.report_in_conversation) or u.retaliation  # a witness asking what protects them
        # "12339晚上也有人接吗" asks about the hotline, and tells of nothing seen or done
        settled = settled or (part.form != "none" and self._names_channel(u.text) and not (u.past or u.involving))
        if (report >= t.report or top == "report" or (top == "self_involved" and u.involving)) and not settled:
            entry, sim, _ = self.best_entry(part, retrieval)
            close = entry if entry is not None and sim >= t.report_faq else None
            return Decision("report", "report", part, faq=close, confidence=report, retrieval=retrieval)
        if top == "greeting" and not self._has_content(part):
            return Decision("greeting", "greeting", part, confidence=probs["greeting"], retrieval=retrieval)
        close = retrieval.signals.get("dense_faq_max", 0.0) >= t.faq_keeps_in_scope
        refuse_from = t.out_of_scope_in_conversation if not u.state.is_empty else t.out_of_scope
        if not close and (probs["out_of_scope"] >= refuse_from or not retrieval.tokens and probs["question"] < 0.5):
            return Decision("out_of_scope", "out_of_scope", part, confidence=probs["out_of_scope"], retrieval=retrieval)
        return self._question(part, retrieval, probs, conversing=not u.state.is_empty)

    def _names_channel(self, text: str) -> bool:
        """Names a reporting channel by its number or address (12339, www.12339.gov.cn)."""
        return any(number in text for number in self._channel_numbers)

    def _about_something_else(self, part: Part) -> bool:
        """A short message in a conversation whose own words the corpus never uses ("闯红灯罚多少", "厕所在哪"): not
        a follow-up on the topic, however the topic's words pulled the search."""
        if part.follow_up not in ("context", "confirm", "consequence") or part.tied:
            return False
        own = [t for t in part.focus if t not in self._any_subject_word and (not t.isascii() or t.isdigit())]
        if own:  # an everyday word the corpus lacks ("继续", "不敢") says nothing; a specific one ("闯红灯") does
            return not any(self.coverage.known(t) for t in own) and any(self.segmenter.is_specific(t) for t in own)
        # an adverb ("concretely", "exactly") says how, not what about
        english = [w for w in re.findall(r"[a-z]{4,}", normalize(part.text)) if w not in ENGLISH_FUNCTION_WORDS and not w.endswith("ly")]
        return bool(english) and not any(w in self.coverage.english_words for w in english)

    def _names_what_no_text_does(self, part: Part) -> bool:
        """The question names something specific that no text of the corpus uses: not an everyday word, not a place
        or an organisation or a subject (where or who), not a question word (哪几种), not a compound of words the texts use (政府部门)."""
        candidates = [
            tok for tok in part.focus
            if len(tok) >= 2 and not tok.isascii() and not self.coverage.known(tok) and self.segmenter.is_specific(tok) and question_form(tok) == "none"
        ]
        if not candidates:
            return False
        names = self.segmenter.proper_nouns(part.text) | self._any_subject_word
        return any(tok not in names and not self._compound_of_known(tok) for tok in candidates)

    def _compound_of_known(self, word: str) -> bool:
        covered = set()
        for sub in self.segmenter.parts_of(word):
            if self.coverage.known(sub):
                start = word.find(sub)
                covered |= set(range(start, start + len(sub)))
        return len(word) - len(covered) <= 1  # an affix may be left over (省政府)

    def _has_content(self, part: Part) -> bool:
        """Says something beyond a greeting ("Hi, what can you do?" says nothing: hi and function words)."""
        return any(self.coverage.known(t) and self.coverage.weight(t) > 2.0 and t not in _SALUTATIONS for t in part.focus)

    def _question(
        self, part: Part, retrieval: Retrieval, probs: dict[str, float], conversing: bool = False, exclude: frozenset[str] = frozenset()
    ) -> Decision:
        """Answer, answer from articles, partial or out of scope. In a conversation about the law, a message the
        classifier has not refused is about the law too: only its out-of-scope vote counts against it, not a
        greeting vote for a terse "上报了能给钱不"."""
        t = self.t
        p_domain = max(in_domain(probs), 1.0 - probs.get("out_of_scope", 0.0)) if conversing else in_domain(probs)
        entry, sim, cov = self.best_entry(part, retrieval, exclude, p_question=p_domain)
        # "举报拿到的奖金还要交个人所得税吗": close to 举报奖励 and half covered, but what makes it specific (个人所得税)
        # no text ever says: the entry is the nearest, not the answer
        if entry is not None and sim < t.faq_very_close and cov is not None and cov < t.covered and self._names_what_no_text_does(part):
            entry = None
        if entry is not None and entry.coverage == "partial":  # written for the question, which the texts leave open
            return Decision("partial", "question", part, faq=entry, articles=retrieval.articles[:1], coverage=cov, confidence=sim, retrieval=retrieval)
        # "国安会不会同其他单位会商…": an entry that leaves out what makes the question specific (会商) does not answer
        # it when a top-ranked article says it (第十三条)
        uncovered = entry is not None and sim < t.faq_very_close and cov is not None and cov < t.covered
        covering, covering_cov = self._covering_article(part, retrieval, than=cov) if uncovered else (None, None)
        if covering is not None:
            return Decision("articles", "question", part, articles=(covering,), coverage=covering_cov, confidence=sim, retrieval=retrieval)
        if entry is not None:
            # the verdict answers the entry's own question: only said when the question is surely that one (a yes/no
            # question it covers well), not for "有没有修改过" matched to "是不是全省都适用"
            sure = sim >= t.faq_very_close or cov is None or cov >= t.covered
            verdict = bool(entry.verdict) and part.form == "yesno" and sure and self._asked_as_yesno(retrieval, entry)
            return Decision("answer", "question", part, faq=entry, verdict=verdict, articles=retrieval.articles, coverage=cov, confidence=sim, retrieval=retrieval)
        nearest, near_sim, near_cov = self.best_entry(part, retrieval, exclude, p_question=p_domain, gate=False)
        top = retrieval.articles[0] if retrieval.articles else None
        law_sim = retrieval.signals.get("dense_law_max", 0.0)
        if top is None:
            return Decision("out_of_scope", "out_of_scope", part, confidence=probs["out_of_scope"], retrieval=retrieval)
        cov = self.coverage.of_article(part.focus, top.key)
        text = self.coverage.article_text.get(top.key, "")
        if (cov is None or cov >= t.covered) and law_sim >= t.article_similarity and self._gives_number(part, text) and nearest is None:
            return Decision("articles", "question", part, articles=retrieval.articles[:2], coverage=cov, confidence=law_sim, retrieval=retrieval)
        # an English question's coverage is judged through the glossary's Chinese terms only: when the classifier is
        # sure it is about the law, a low share says little, and the nearest article is shown as a partial answer
        english_in_domain = language(part.text) == "en" and p_domain >= 0.9
        near_faq = retrieval.signals.get("dense_faq_max", 0.0) >= t.faq_keeps_in_scope
        if part.follow_up or near_faq or (self._in_domain(part, p_domain, conversing) and (cov is None or cov >= t.partly_covered or nearest is not None or english_in_domain)):
            # the nearest is what contains most of the question: an article saying its words before an entry that does not
            covering, covering_cov = self._covering_article(part, retrieval, than=near_cov if nearest and near_cov is not None else cov or 0.0)
            if covering is not None:
                nearest, near_cov, cov = None, None, covering_cov
            articles = (covering,) if covering is not None else retrieval.articles[:1]
            return Decision("partial", "question", part, faq=nearest, articles=articles, coverage=near_cov if nearest else cov, confidence=max(near_sim, law_sim), retrieval=retrieval)
        return Decision("out_of_scope", "out_of_scope", part, coverage=cov, confidence=probs["out_of_scope"], retrieval=retrieval)

    def best_entry(
        self, part: Part, retrieval: Retrieval, exclude: frozenset[str] = frozenset(), p_question: float = 1.0, gate: bool = True
    ) -> tuple[FaqEntry | None, float, float | None]:
        """The FAQ entry to answer with, its similarity and its coverage. Among the close matches that answer the
        question (gate=False: that come nearest, for a partial answer): one that answers the question's form and is
        about its subject, covering the question, citing the top-ranked article, and nearest in meaning (the fused rank
        favours a phrasing sharing the question's frame: "举报奖金多久内要领" is nearest the entry on claiming in time)."""
        t = self.t
        top = retrieval.articles[0].key if retrieval.articles else None
        english = language(part.text) == "en"
        best, best_key = None, None
        for rank, hit in enumerate(retrieval.faq[:FAQ_CANDIDATES]):
            entry = self.corpus.faq_by_id.get(hit.entry_id)
            if entry is None or entry.id in exclude or not self._answers_form(entry, part.form):
                continue
            cites_top = any((c.doc_id, c.article) == top for c in entry.citations)
            # an English phrasing must be closer to answer; as the nearest, for a partial answer, one on the top-ranked
            # article may be as close as a Chinese one
            floor = t.faq_similarity if not english or (not gate and cites_top) else t.faq_similarity_english
            if hit.similarity < floor:
                continue
            cov = self.coverage.of_entry(part.focus, entry.id)
            # very close answers whatever the coverage, but not when the closeness is the topic's glued on a follow-up
            very_close = hit.similarity >= t.faq_very_close and part.query == part.text
            answers = self._gives_number(part, entry.answer) and (
                very_close or self.answerability.probability(hit.similarity, cov, p_question) >= self.answerability.threshold
            )
            if gate and (not answers or self._for_another_subject(entry, part)):
                continue
            # covering the question comes first; then being written for whom it asks about, covering every word of
            # it, and answering its form (an English question's coverage is only its glossary terms': too little to
            # rank by)
            covers = english or cov is None or cov >= t.covered
            key = (
                hit.similarity >= t.faq_same_question,  # a phrasing that is the question itself, as typed
                covers, self.about_subject(entry, part), covers and (english or cov is None or cov >= t.fully_covered),
                part.form in entry.forms, cites_top, hit.similarity,
            )
            if best_key is None or key > best_key:
                best, best_key = (entry, hit.similarity, cov), key
        return best if best else (None, 0.0, None)

    def _covering_article(self, part: Part, retrieval: Retrieval, than: float) -> tuple[ArticleHit | None, float | None]:
        """The first of the top-ranked articles that contains the question's focus (covered) and more of it than `than`,
        with its coverage; only the top one for a question of one term ("不做的话会被罚款吗": 罚款), too little to prefer
        a lower one by; none for an English question, whose coverage is only its glossary terms'."""
        if language(part.text) == "en":
            return None, None
        one_term = sum(not t.isascii() for t in part.focus) < 2
        for hit in retrieval.articles[:1 if one_term else COVERING_ARTICLES]:
            cov = self.coverage.of_article(part.focus, hit.key)
            if cov is not None and cov >= self.t.covered and cov > than:
                return hit, cov
        return None, None

    @staticmethod
    def _gives_number(part: Part, text: str) -> bool:
        """A question asking how many, how much, how long or when is answered only by a text with a number or date in
        it, in the unit asked for ("多少课时" is not answered by "每年至少一次")."""
        if part.form not in ("howmany", "when"):
            return True
        asked = normalize(part.text)
        unit = next((answer for question, answer in _UNITS if question.search(asked)), None)
        return bool((unit or NUMBER).search(text))

    @staticmethod
    def _answers_form(entry: FaqEntry, form: str) -> bool:
        """An open question is not answered by an entry written only for yes/no questions (its body would be a
        side remark): "国家安全机关有哪些职权" must not get 「有约束。」's entry."""
        if not entry.forms or form not in OPEN_FORMS:
            return True
        return form in entry.forms or not set(entry.forms) <= {"yesno"}

    def about_subject(self, entry: FaqEntry, part: Part) -> int:
        """How surely the entry is about who the question asks about: 2 written for them (or the question names
        nobody), 1 names them in its text ("学校…对学生进行行前教育" names students but is for schools), 0 neither."""
        if not part.subjects:
            return 2
        subject = part.subjects[0]
        audience = self.subject_audience.get(subject)
        if audience and audience in entry.audience and len(entry.audience) <= 4:  # not an entry tagged for everyone
            return 2
        text = self.coverage.entry_text.get(entry.id, "")
        return int(any(w in text for w in self.subject_words.get(subject, ())))

    def _for_another_subject(self, entry: FaqEntry, part: Part) -> bool:
        """The entry is written about another subject than the one asked about, and never names it: what a 重点单位
        must do does not answer "企业要每年培训几次"."""
        return bool(part.subjects) and entry.topic in self.subject_words and entry.topic != part.subjects[0] and not self.about_subject(entry, part)

    def _asked_as_yesno(self, retrieval: Retrieval, entry: FaqEntry) -> bool:
        """The phrasing the question matched is itself a yes/no question: the verdict answers the same thing."""
        hit = next((h for h in retrieval.faq if h.entry_id == entry.id), None)
        return hit is not None and question_form(hit.question) == "yesno"

    def _in_domain(self, part: Part, p_domain: float, conversing: bool) -> bool:
        """About anti-espionage or national security, though the texts may not say the specific thing. In a
        conversation about the law, a message the out-of-scope vote did not refuse is."""
        known = [t for t in part.focus if self.coverage.known(t)]
        floor = 1.0 - self.t.out_of_scope_in_conversation if conversing else 0.5
        return bool(part.follow_up) or (p_domain >= floor and bool(known))


def _self_involved_intent(u: Understanding, part: Part) -> str:
    """"我会坐牢吗" asks about their situation (a question); "我已经把照片发给他了" tells one, and "他还让我继续拍，
    我该咋回他" tells of one going on: to act on (a report)."""
    return "question" if part.form != "none" and not u.pressed else "report"


def in_domain(probs: dict[str, float]) -> float:
    """P(the message is about the domain at all): everything but out of scope and greeting (a question the classifier
    half reads as sensitive is still about the law once the sensitive check has let it through)."""
    return 1.0 - probs.get("out_of_scope", 0.0) - probs.get("greeting", 0.0)


__all__ = ["Answerability", "Coverage", "Decider", "Decision", "FaqHit", "Thresholds"]
