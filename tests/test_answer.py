"""How an answer is chosen from a retrieval: which FAQ entry answers, and which citation leads."""

from __future__ import annotations

import pytest

from bot.answer import FAQ_MIN_SIMILARITY, REPORT_FAQ_MIN_SIMILARITY, Answerer
from bot.corpus import Citation
from bot.retrieve import ArticleHit, FaqHit, Retrieval

PRIMARY = "zhejiang-2019"


@pytest.fixture(scope="module")
def answerer(fake_engine):
    return Answerer(fake_engine)


def retrieval(top_article: int, faq: list[tuple[str, float]]) -> Retrieval:
    articles = (ArticleHit(PRIMARY, top_article, 1.0), ArticleHit(PRIMARY, 9, 0.5))
    hits = tuple(FaqHit(eid, 1.0 - i / 10, "?", sim) for i, (eid, sim) in enumerate(faq))
    return Retrieval("q", ("q",), articles, hits)


def test_a_close_faq_entry_citing_the_top_article_wins_over_a_closer_neighbour(answerer):
    chosen = answerer._best_faq(retrieval(11, [("m09-background-check", 0.95), ("m11-who", 0.90)]))
    assert chosen.entry_id == "m11-who"


def test_without_an_agreeing_entry_the_closest_one_answers(answerer):
    chosen = answerer._best_faq(retrieval(23, [("m09-background-check", 0.95), ("m11-who", 0.90)]))
    assert chosen.entry_id == "m09-background-check"


def test_entries_below_the_similarity_floor_never_answer(answerer):
    low = FAQ_MIN_SIMILARITY - 0.01
    assert answerer._best_faq(retrieval(11, [("m11-who", low)])) is None
    answer = answerer._answer_question("q", retrieval(11, [("m11-who", low)]))
    assert answer.source == "articles"


def test_the_top_ranked_article_leads_the_citations_of_a_faq_answer(answerer, corpus):
    entry = corpus.faq_by_id["m13-why-joint"]
    cited = [(c.doc_id, c.article) for c in entry.citations]
    assert cited[0] == (PRIMARY, 2) and (PRIMARY, 13) in cited  # the entry lists article 2 first
    answer = answerer._answer_question("q", retrieval(13, [("m13-why-joint", 0.95)]))
    assert answer.source == "faq:m13-why-joint"
    assert (answer.citations[0].doc_id, answer.citations[0].article) == (PRIMARY, 13)
    assert {(c.doc_id, c.article) for c in answer.citations} == set(cited)


def test_suggestions_offer_each_entry_in_chinese_even_when_its_first_phrasing_is_english(answerer, corpus):
    english_first = [e for e in corpus.faq if e.questions[0].isascii()]
    assert english_first, "the corpus has entries listed with an English phrasing first"
    entry = english_first[0]
    answer = answerer._answer_question("q", retrieval(11, [("m11-who", 0.5), (entry.id, 0.5)]))
    assert entry.headline in answer.suggestions and entry.headline != entry.questions[0]
    assert not any(s.isascii() for s in answer.suggestions)


def test_a_report_leads_with_what_to_do_and_adds_a_very_close_faq_answer(answerer, corpus):
    entry = corpus.faq_by_id["m11-who"]
    answer = answerer._report(retrieval(11, [("m11-who", REPORT_FAQ_MIN_SIMILARITY)]), 0.6)
    lead = answerer._text("report")
    assert answer.intent == "report" and answer.answer.startswith(lead) and answer.answer.endswith(entry.answer)
    cited = [(c.doc_id, c.article) for c in answer.citations]
    assert (PRIMARY, 19) == cited[0] and all((c.doc_id, c.article) in cited for c in entry.citations)
    assert answer.source == "report+faq:m11-who" and entry.headline not in answer.suggestions


def test_a_report_without_a_very_close_faq_entry_is_the_plain_report_answer(answerer):
    answer = answerer._report(retrieval(11, [("m11-who", REPORT_FAQ_MIN_SIMILARITY - 0.01)]), 0.6)
    assert answer.answer == answerer._text("report") and answer.source == "report"
    assert [(c.doc_id, c.article) for c in answer.citations][0] == (PRIMARY, 19)


def test_a_paragraph_of_an_article_already_quoted_whole_is_not_quoted_again(answerer):
    whole, para = (answerer._cite(Citation("fanjiandiefa-2023", 16, p)) for p in (None, 1))
    other = answerer._cite(Citation(PRIMARY, 19, 1))
    ordered = answerer._ordered([whole, para, other, other])
    assert [(v.doc_id, v.article, v.paragraph) for v in ordered] == [(PRIMARY, 19, 1), ("fanjiandiefa-2023", 16, None)]


def test_suggestions_skip_twins_of_the_answer_and_of_each_other_but_not_other_questions_on_its_article(answerer, corpus):
    # twins: entries sharing an article and most of their answer (the FAQ grew in parts)
    answer = answerer._answer_question("q", retrieval(11, [("m19-anonymous", 0.95), ("n-report-anonymous", 0.95), ("m19-confidentiality", 0.9)]))
    assert answer.source == "faq:m19-anonymous"
    assert corpus.faq_by_id["n-report-anonymous"].headline not in answer.suggestions
    assert corpus.faq_by_id["m19-confidentiality"].headline in answer.suggestions
    assert corpus.faq_by_id["m19-anonymous"].headline not in answer.suggestions
    answer = answerer._answer_question("q", retrieval(11, [("m11-who", 0.95), ("m21-leak-secret", 0.9), ("n-leak-cj-secret", 0.9), ("m11-what", 0.9)]))
    assert corpus.faq_by_id["m21-leak-secret"].headline in answer.suggestions
    assert corpus.faq_by_id["n-leak-cj-secret"].headline not in answer.suggestions
    assert corpus.faq_by_id["m11-what"].headline in answer.suggestions  # same article as the answer, another question


def test_a_whole_article_is_explained_by_an_entry_resting_on_it_alone(answerer, corpus):
    answer = answerer.answer("第十九条是什么")
    assert answer.source == "lookup" and answer.citations[0].article == 19
    explainer = next(e for e in corpus.faq if e.answer in answer.answer)
    assert {(c.doc_id, c.article) for c in explainer.citations} == {(PRIMARY, 19)}
    assert any(c.doc_id != PRIMARY for c in corpus.faq_by_id["m13-transfer-reports"].citations)  # listed earlier, wider


@pytest.mark.parametrize(("message", "starts"), [("谢谢", "不客气"), ("Thanks!", "不客气"), ("再见", "再见"), ("你好", "你好")])
def test_greetings_thanks_and_goodbyes_each_get_their_reply(answerer, message, starts):
    answer = answerer.answer(message)
    assert answer.intent == "greeting" and answer.answer.startswith(starts) and answer.suggestions
