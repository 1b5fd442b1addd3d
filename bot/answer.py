"""Answers: a message and the conversation so far → the answer object of SPEC.md, in one pass.

understand (the message in its conversation) → retrieve (once per question, with the question in full) → decide
(intent, and whether what was found covers the question) → compose (the words, verbatim citations, channels).
Questions about what the last answer showed ("具体是哪一条", "这条是什么意思", "说简单点") are answered from the
citations the page sends back with that answer, without searching again.
"""

from __future__ import annotations

from dataclasses import replace

from .compose import Answer, CitationView, Composer, Reply
from .corpus import Citation
from .decide import Decider, Decision
from .dialogue import Turn
from .engine import Engine
from .normalize import normalize
from .understand import Part, Understanding

__all__ = ["Answer", "Answerer", "CitationView", "Turn", "cache_key"]

_SHOWN_FOLLOW_UPS = ("which_article", "this_article", "simpler")


class Answerer:
    """Answers messages from one engine."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.corpus = engine.corpus
        self.decider = Decider(engine.corpus, engine.coverage, engine.thresholds)
        self.composer = Composer(engine.corpus)

    def answer(self, message: str, history: list[Turn] | None = None, lang: str | None = None) -> Answer:
        """Answer one message, reading it in the conversation so far; in `lang` when given (the page's language
        switch), else in the language and script the message is written in."""
        u = self.engine.understander.understand(message, history or [])
        c = self.composer.in_language(lang or u.lang)
        if u.greeting:
            return c.finish([(u.text, c.greeting_reply(u.greeting))], u)
        replies = [(part.text, self.reply(u, part, c)) for part in u.parts]
        return c.finish(replies, u)

    def reply(self, u: Understanding, part: Part, c: Composer | None = None) -> Reply:
        """The reply to one question of the message."""
        c = c or self.composer
        if u.injection or u.sensitive:
            return c.sensitive_reply(1.0)
        if part.lookup is not None:
            return c.lookup_reply(part.lookup)
        if part.doc_fact is not None:
            return c.doc_fact_reply(*part.doc_fact)
        mentions = c.mentions_reply(*part.mentions) if part.mentions is not None else None
        if mentions is not None:
            return mentions
        shown = u.state.shown
        if part.follow_up in _SHOWN_FOLLOW_UPS and (shown or self.corpus.entry_in(u.state.answers)):
            return self._about_shown(c, part, shown, u.state.answers)
        if part.form != "none" and not (u.confesses or u.report_now or u.threatened):
            # "聊天记录要不要删" after what to do now: what it said
            step = c.step_reply(u.state.answers, part.focus, self.decider.segmenter.is_specific)
            if step is not None:
                return step
        if part.follow_up == "confirm" and shown:  # "是强制的吗": what the provision the answer rests on says, 应当 or 可以
            obligation = c.obligation_reply(shown)
            if obligation is not None:
                return obligation
        retrieval = self.engine.retrieve(part.query, within=self.corpus.scope(part.document, liability=part.follow_up == "consequence"))
        probs = self.engine.probabilities(retrieval)
        if part.follow_up in _SHOWN_FOLLOW_UPS:  # a client that does not send what it showed: what the topic's answer shows
            topic = self.decider.decide(u, part, retrieval, probs)
            previous = self._compose(c, topic, u)
            return self._about_shown(c, part, tuple(_as_citation(v) for v in previous.citations), (previous.text,)) if previous.citations else previous
        if part.follow_up == "more":
            return self._more(c, u, part, retrieval)
        d = self.decider.decide(u, part, retrieval, probs)
        if d.outcome == "out_of_scope" and part.tied and not part.follow_up:
            # refused on its own words, though it leans on the conversation: read it with the topic (a second search,
            # only on this path)
            part = self.engine.understander.in_context(part, u.state)
            retrieval = self.engine.retrieve(part.query)
            d = self.decider.decide(u, part, retrieval, self.engine.probabilities(retrieval))
            if d.outcome in ("answer", "articles"):  # what it matched leans on the topic's words: the nearest, no more
                d = replace(d, outcome="partial", articles=d.articles[:1])
        if part.follow_up == "why" and d.outcome in ("answer", "articles", "partial") and not (d.faq and "why" in d.faq.forms):
            return c.why_reply(d, shown)
        return self._compose(c, d, u)

    @staticmethod
    def _about_shown(c: Composer, part: Part, shown: tuple[Citation, ...], answers: tuple[str, ...]) -> Reply:
        if part.follow_up == "which_article" and shown:
            return c.which_article_reply(shown)
        if part.follow_up == "this_article" and shown:
            return c.this_article_reply(shown)
        return c.simpler_reply(shown, answers, part.text)

    @staticmethod
    def _compose(c: Composer, d: Decision, u: Understanding) -> Reply:
        if d.outcome == "sensitive":
            return c.sensitive_reply(d.confidence)
        if d.outcome == "self_involved":
            return c.self_involved_reply(d)
        if d.outcome == "report":
            return c.report_reply(d, u.text)
        if d.outcome == "premise":
            return c.premise_reply(d)
        if d.outcome == "greeting":
            return c.greeting_reply("greeting", d.confidence)
        if d.outcome == "answer":
            return c.faq_reply(d)
        if d.outcome == "articles":
            return c.articles_reply(d)
        if d.outcome == "partial":
            return c.partial_reply(d, u.state.answers)
        return c.out_of_scope_reply(d.confidence)

    def _more(self, c: Composer, u: Understanding, part: Part, retrieval) -> Reply:
        """"还有呢": the next best answer to the same question, leaving out what was already shown."""
        shown = {(s.doc_id, s.article) for s in u.state.shown}
        # another entry, even on an article shown ("还有呢" after one duty of 第九条: its others), not one given already
        given = (self.corpus.entry_in((a,)) for a in u.state.answers)
        exclude = frozenset(e.id for e in given if e is not None)
        if part.others_than:  # "其他的呢" after 媒体's duties: the others', not more of 媒体's
            about = replace(part, subjects=(part.others_than,))
            exclude |= {h.entry_id for h in retrieval.faq if (e := self.corpus.faq_by_id.get(h.entry_id)) and self.decider.about_subject(e, about) == 2}
        # what else is near the topic, not another answer to its exact question (that was given)
        entry, sim, cov = self.decider.best_entry(part, retrieval, exclude, gate=False)
        if entry is not None:
            return c.faq_reply(Decision("answer", "question", part, faq=entry, articles=retrieval.articles, coverage=cov, confidence=sim, retrieval=retrieval))
        fresh = tuple(h for h in retrieval.articles[:4] if h.key not in shown)
        if fresh and retrieval.signals.get("dense_law_max", 0.0) >= self.decider.t.article_similarity:
            return c.articles_reply(Decision("articles", "question", part, articles=fresh[:1], confidence=fresh[0].score, retrieval=retrieval), lead="more_lead")
        return c.nothing_more_reply(retrieval.faq)


def _as_citation(view: CitationView) -> Citation:
    return Citation(view.doc_id, view.article, view.paragraph)


def cache_key(message: str, lang: str | None = None) -> str:
    """The normalised form of a single question (and the language asked for), for the answer cache and ETags."""
    return f"{lang}\0{normalize(message)}" if lang else normalize(message)
