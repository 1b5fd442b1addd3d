"""How an answer is chosen and composed from a decision: which FAQ entry answers, its verdict, citations, report steps."""

from __future__ import annotations

import pytest

from bot.answer import Answerer, Turn
from bot.compose import asked
from bot.corpus import Citation
from bot.decide import Decision
from bot.retrieve import ArticleHit, FaqHit, Retrieval
from bot.understand import Part, question_form

PRIMARY = "zhejiang-2019"


@pytest.fixture(scope="module")
def answerer(fake_engine):
    return Answerer(fake_engine)


def retrieval(top_article: int, faq: list[tuple[str, float]], question: str = "?") -> Retrieval:
    articles = (ArticleHit(PRIMARY, top_article, 1.0), ArticleHit(PRIMARY, 9, 0.5))
    hits = tuple(FaqHit(eid, 1.0 - i / 10, question, sim) for i, (eid, sim) in enumerate(faq))
    return Retrieval("q", ("q",), articles, hits)


def part(text: str = "q", form: str = "what", focus: tuple[str, ...] = (), subjects: tuple[str, ...] = ()) -> Part:
    return Part(text=text, query=text, form=form, subjects=subjects, focus=focus)


def test_a_close_faq_entry_citing_the_top_article_wins_over_a_closer_neighbour(answerer):
    entry, _, _ = answerer.decider.best_entry(part(form="yesno"), retrieval(11, [("m09-background-check", 0.95), ("m11-who", 0.95)]))
    assert entry.id == "m11-who"


def test_without_an_agreeing_entry_the_closest_one_answers(answerer):
    entry, _, _ = answerer.decider.best_entry(part(form="yesno"), retrieval(23, [("m09-background-check", 0.95), ("m11-who", 0.95)]))
    assert entry.id == "m09-background-check"


def test_entries_below_the_similarity_floor_never_answer(answerer):
    low = answerer.decider.t.faq_similarity - 0.01
    assert answerer.decider.best_entry(part(), retrieval(11, [("m11-who", low)]))[0] is None


def test_an_open_question_is_not_answered_by_an_entry_written_only_for_yes_no_questions(answerer, corpus):
    yes_no_only = next(e for e in corpus.faq if e.forms == ("yesno",))
    assert answerer.decider.best_entry(part(form="what"), retrieval(11, [(yes_no_only.id, 0.97)]))[0] is None
    assert answerer.decider.best_entry(part(form="yesno"), retrieval(11, [(yes_no_only.id, 0.97)]))[0].id == yes_no_only.id


def test_the_entry_answering_the_form_asked_wins(answerer, corpus):
    how, what = corpus.faq_by_id["m19-how-to-report"], corpus.faq_by_id["m19-what-to-report"]
    assert "how" in how.forms and "how" not in what.forms
    hits = retrieval(19, [(what.id, 0.95), (how.id, 0.94)])
    assert answerer.decider.best_entry(part(form="how"), hits)[0].id == how.id


def test_a_how_much_question_is_only_answered_by_an_entry_giving_an_amount(answerer, corpus):
    training = corpus.faq_by_id["m09-annual-training"]  # 每年至少一次: a number of times, not of hours
    hits = retrieval(9, [(training.id, 0.97)])
    assert answerer.decider.best_entry(part("每年培训多少次", form="howmany"), hits)[0].id == training.id
    assert answerer.decider.best_entry(part("每次培训多少课时", form="howmany"), hits)[0] is None


def _decision(answerer, entry_id: str, form: str, matched: str) -> Decision:
    entry = answerer.corpus.faq_by_id[entry_id]
    hits = retrieval(entry.citations[0].article, [(entry_id, 0.95)], question=matched)
    return answerer.decider._question(part(form=form), hits, {"question": 1.0, "out_of_scope": 0.0})


def test_a_verdict_only_answers_a_yes_no_question_about_the_same_thing(answerer, corpus):
    entry = next(e for e in corpus.faq if e.verdict and "what" in e.forms and any(question_form(q) == "yesno" for q in e.questions))
    yes_no = next(q for q in entry.questions if question_form(q) == "yesno")
    verdict = answerer.composer.faq_reply(_decision(answerer, entry.id, "yesno", yes_no))
    assert verdict.text == entry.verdict + entry.answer
    opened = answerer.composer.faq_reply(_decision(answerer, entry.id, "what", yes_no))
    assert opened.text == entry.answer  # what/which/how/why: the body, never a bare 算。/ 要。


def test_the_top_ranked_article_leads_the_citations_of_a_faq_answer(answerer, corpus):
    entry = corpus.faq_by_id["m13-why-joint"]
    cited = [(c.doc_id, c.article) for c in entry.citations]
    assert cited[0] == (PRIMARY, 2) and (PRIMARY, 13) in cited  # the entry lists article 2 first
    d = answerer.decider._question(part(form="why"), retrieval(13, [(entry.id, 0.97)]), {"question": 1.0, "out_of_scope": 0.0})
    reply = answerer.composer.faq_reply(d)
    assert reply.source == f"faq:{entry.id}" and (reply.citations[0].doc_id, reply.citations[0].article) == (PRIMARY, 13)


def test_an_item_is_quoted_with_its_paragraphs_lead_and_two_items_of_one_paragraph_together(answerer, corpus):
    penalty = corpus.article("fanjiandiefa-2023", 60).paragraph(1)
    one = answerer.composer.cite(Citation("fanjiandiefa-2023", 60, 1, 2))
    assert one.text == f"{penalty.lead}\n{penalty.items[1]}" and one.items == (2,)
    both = answerer.composer.ordered([one, answerer.composer.cite(Citation("fanjiandiefa-2023", 60, 1, 5))])
    assert len(both) == 1 and both[0].items == (2, 5) and both[0].text == "\n".join((penalty.lead, penalty.items[1], penalty.items[4]))


def test_a_paragraph_of_an_article_already_quoted_whole_is_not_quoted_again(answerer):
    c = answerer.composer
    whole, para = (c.cite(Citation("fanjiandiefa-2023", 16, p)) for p in (None, 1))
    other = c.cite(Citation(PRIMARY, 19, 1))
    ordered = c.ordered([whole, para, other, other])
    assert [(v.doc_id, v.article, v.paragraph) for v in ordered] == [(PRIMARY, 19, 1), ("fanjiandiefa-2023", 16, None)]


@pytest.mark.parametrize(
    ("message", "kind", "says"),
    [
        ("有个陌生人一直打听我们单位的项目", "person", "不要声张"),
        ("我在海滩上捡到一个带天线的奇怪装置", "object", "不要触碰"),
        ("网上有人出钱让我拍军港", "online", "截图保存"),
    ],
)
def test_report_advice_fits_a_person_an_object_or_an_online_request(answerer, message, kind, says):
    reply = answerer.composer.report_reply(Decision("report", "report", part(message), retrieval=retrieval(19, [])), message)
    assert reply.source == f"report:{kind}" and reply.steps and says in " ".join(reply.steps)
    assert reply.text.startswith(answerer.composer.text("report_intro")) and all(step in reply.text for step in reply.steps)
    assert 1 <= len(reply.citations) <= 3 and (reply.citations[0].doc_id, reply.citations[0].article) == (PRIMARY, 19)


def test_a_report_with_a_close_faq_entry_answers_it_too_in_at_most_three_citations(answerer, corpus):
    entry = corpus.faq_by_id["m11-who"]
    d = Decision("report", "report", part(), faq=entry, confidence=0.95, retrieval=retrieval(11, [(entry.id, 0.95)]))
    reply = answerer.composer.report_reply(d, "有人出高价让我拍军港")
    assert reply.text.endswith(entry.answer) and reply.source == f"report+faq:{entry.id}"
    assert len(reply.citations) <= 3 and reply.citations[0].article == 19 and entry.headline not in reply.suggestions


def test_suggestions_skip_twins_of_the_answer_and_of_each_other_but_not_other_questions_on_its_article(answerer, corpus):
    c = answerer.composer
    hits = retrieval(11, [("m19-anonymous", 0.95), ("n-report-anonymous", 0.95), ("m19-confidentiality", 0.9)]).faq
    suggestions = c.suggest(hits, "m19-anonymous")
    assert corpus.faq_by_id["n-report-anonymous"].headline not in suggestions
    assert corpus.faq_by_id["m19-confidentiality"].headline in suggestions
    assert corpus.faq_by_id["m19-anonymous"].headline not in suggestions


def test_a_whole_article_is_explained_by_an_entry_resting_on_it_alone(answerer, corpus):
    answer = answerer.answer("第十九条是什么")
    assert answer.source == "lookup" and answer.citations[0].article == 19
    explainer = next(e for e in corpus.faq if e.answer in answer.answer)
    assert {(c.doc_id, c.article) for c in explainer.citations} == {(PRIMARY, 19)}


def test_an_article_said_to_be_about_what_it_never_says_is_corrected_with_the_ones_that_do(answerer):
    answer = answerer.answer("反间谍法第二十七条是讲自首的吧")  # 自首 was 第二十七条 of the 2014 law; now 第五十五条
    assert answer.source == "lookup" and "讲的不是「自首」" in answer.answer and "2014" in answer.answer
    assert [(c.doc_id, c.article) for c in answer.citations] == [("fanjiandiefa-2023", 55), ("fanjiandiefa-2023", 27)]
    right = answerer.answer("第十九条是讲举报的吧")
    assert "讲的不是" not in right.answer and [c.article for c in right.citations] == [19]


def test_which_articles_speak_of_a_subject_are_listed_by_any_of_its_words(answerer):
    answer = answerer.answer("浙江这个反间谍安全防范办法里面跟学校有关的是哪几条")
    assert answer.source == "mentions" and {c.article for c in answer.citations} == {9, 17}  # 高校 in 第九条
    assert all(c.doc_id == PRIMARY for c in answer.citations)
    national = answerer.answer("反间谍法里跟外国人有关的是哪几条")
    assert national.citations and all(c.doc_id == "fanjiandiefa-2023" for c in national.citations)
    assert answerer.answer("跟核电站有关的是哪几条").source != "mentions"  # no text uses it: searched as any question
    foreigners = answerer.answer("反间谍法里和外国人交朋友要注意哪些条款")  # who, by any of the words for them
    assert foreigners.source == "mentions" and "「外国人」" in foreigners.answer


def test_whether_a_text_was_revised_is_answered_from_its_versions_and_no_record_is_no_answer(answerer):
    national = answerer.answer("反间谍法修订过吗")
    assert national.source == "doc:revised" and national.coverage == "full" and "2014" in national.answer
    changes = answerer.answer("反间谍法改了哪些")
    assert changes.coverage == "partial" and "不逐条比较" in changes.answer  # what changed is not summarised
    measures = answerer.answer("浙江这个办法2019年施行以后有没有修改过")
    assert measures.coverage == "partial" and "没有它修改过的记录" in measures.answer  # not "it was never amended"
    rules = answerer.answer("实施细则还有效吗")
    assert "2014年版的条文序号" in rules.answer  # why its article numbers do not match the current law's


@pytest.mark.parametrize(("shown", "source", "word"), [((17, 1), "obligation:must", "应当"), ((5, 2), "obligation:may", "可以")])
def test_whether_it_is_mandatory_is_answered_from_the_wording_of_what_was_shown(answerer, shown, source, word):
    # the answer rests on the first provision shown; a channel list with 可以 after it does not make the duty optional
    history = [Turn("user", "学校要做什么"), Turn("bot", "…", (Citation(PRIMARY, *shown), Citation("jubao-jiangli-2022", 4)))]
    answer = answerer.answer("是强制的吗", history)
    assert answer.source == source and f"「{word}」" in answer.answer
    assert [(c.doc_id, c.article, c.paragraph) for c in answer.citations] == [(PRIMARY, *shown)]


def test_a_question_on_something_the_steps_just_given_speak_of_gets_that_step_again(answerer):
    steps = answerer.composer.steps("online")
    history = [Turn("user", "有个网友让我孩子拍部队营区"), Turn("bot", "请先这样做：\n" + "\n".join(steps))]
    answer = answerer.answer("聊天记录要不要删", history)
    assert answer.source == "step" and answer.coverage == "partial"  # advice, not a provision
    assert steps[1] in answer.answer and "12339" in answer.answer
    # a question on reporting matches the last step of any list: it is answered, not given the steps again
    assert answerer.answer("举报有奖励吗", history).source != "step"


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("老师让我们查查反间谍法，间谍到底是什么意思", "间谍到底是什么意思"),  # the clause that asks, not the story
        ("请问举报电话是多少？", "举报电话是多少"),
        ("那老师要做什么", "老师要做什么"),  # the 么 of 什么 stays
        ("我在一家云服务公司做运维，公司说要定期搞网络安全教育和技能考核，这是哪里规定的？",  # it points back: all of it
         "我在一家云服务公司做运维，公司说要定期搞网络安全教育和技能考核，这是哪里规定的"),
    ],
)
def test_a_question_is_quoted_back_by_what_it_asks(text, quoted):
    assert asked(text) == quoted


@pytest.mark.parametrize(("message", "starts"), [("谢谢", "不客气"), ("Thanks!", "You're welcome"), ("哦哦 谢谢", "不客气"), ("再见", "再见"), ("你好", "你好")])
def test_greetings_thanks_and_goodbyes_each_get_their_reply(answerer, message, starts):
    answer = answerer.answer(message)
    assert answer.intent == "greeting" and answer.answer.startswith(starts) and answer.suggestions


def test_a_phrasing_that_is_the_question_itself_wins_over_entries_written_for_its_subject(answerer, corpus):
    """"什么样的单位算重点单位" typed as the FAQ phrases it: that entry, though others are tagged for 重点单位 more narrowly."""
    faq = [("m09-how-notified", 0.93), ("m09-key-units-which", 0.976)]
    entry, _, _ = answerer.decider.best_entry(part(form="what", subjects=("重点单位",)), retrieval(9, faq))
    assert entry.id == "m09-key-units-which"


def test_an_entry_half_covering_a_question_that_names_what_no_text_does_is_only_the_nearest(answerer):
    reward, probs = [("n-reward-exists", 0.93)], {"question": 1.0, "out_of_scope": 0.0}
    asked = part("举报拿到的奖金还要交个人所得税吗", form="yesno", focus=("举报", "奖励", "个人所得税"))
    decision = answerer.decider._question(asked, retrieval(19, reward), probs)
    assert decision.outcome == "partial" and decision.faq.id == "n-reward-exists"  # the nearest, with the caveat
    plain = part("举报拿到的奖金有多少", form="yesno", focus=("举报", "奖励"))
    assert answerer.decider._question(plain, retrieval(19, reward), probs).outcome == "answer"
    # a place or a compound of the texts' words is no such thing ("在宁波的外资企业", "政府部门")
    local = part("在宁波的政府部门要举报奖励吗", form="yesno", focus=("宁波", "政府部门", "举报", "奖励"))
    assert not answerer.decider._names_what_no_text_does(local)


def test_an_entry_containing_the_question_wins_over_one_written_for_its_form_that_does_not(answerer, corpus):
    """"反间谍案件会不会在部门之间移送": 第十三条's entry says 移送办案, though written for what-questions; the yes/no
    entry on information and cooperation never says it."""
    form_only, covering = corpus.faq_by_id["m07-info-and-cooperation"], corpus.faq_by_id["m13-four-ways"]
    assert "yesno" in form_only.forms and "yesno" not in covering.forms
    asked = part("反间谍案件会不会在部门之间移送", form="yesno", focus=("反间谍", "案件", "部门", "移送"))
    hits = retrieval(13, [(form_only.id, 0.95), (covering.id, 0.94)])
    assert answerer.decider.best_entry(asked, hits)[0].id == covering.id
    without = part("反间谍案件会不会在部门之间移送", form="yesno", focus=("反间谍", "部门"))  # both contain it all: the form decides
    assert answerer.decider.best_entry(without, hits)[0].id == form_only.id


def test_an_entry_leaving_out_what_a_top_article_says_gives_way_to_that_article(answerer):
    """"国安会不会同其他单位会商…情况": the inspection entry never says 会商; 第十三条, ranked second, does."""
    asked = part("国安会不会同其他单位会商反间谍安全防范情况", form="yesno", focus=("国家安全机关", "单位", "会商", "反间谍安全防范", "情况"))
    hits = Retrieval("q", ("q",), (ArticleHit(PRIMARY, 8, 1.5), ArticleHit(PRIMARY, 13, 1.1)), (FaqHit("m06-inspection", 1.0, "?", 0.94),))
    d = answerer.decider._question(asked, hits, {"question": 1.0, "out_of_scope": 0.0})
    assert d.outcome == "articles" and d.articles[0].article == 13
    one_term = part("会商吗", form="yesno", focus=("会商",))  # one word is too little to prefer a lower-ranked article by
    assert answerer.decider._covering_article(one_term, hits, than=0.0) == (None, None)
    top = Retrieval("q", ("q",), (ArticleHit(PRIMARY, 13, 1.5), ArticleHit(PRIMARY, 8, 1.1)), ())
    assert answerer.decider._covering_article(one_term, top, than=0.0)[0].article == 13


def test_the_liability_articles_lead_an_answer_to_what_follows(answerer, corpus):
    """"拒绝向国家安全机关提供证据有什么后果": the entry cites the duty (第十二条) first, the penalty (第二十一条) second."""
    entry = corpus.faq_by_id["n-refuse-evidence"]
    assert [c.article for c in entry.citations][:2] == [12, 21]
    for text, first in (("拒绝向国家安全机关提供证据有什么后果", 21), ("公民要如实提供证据吗", 12)):
        asked = answerer.engine.understander.understand(text, []).parts[0]
        d = answerer.decider._question(asked, retrieval(12, [(entry.id, 0.97)]), {"question": 1.0, "out_of_scope": 0.0})
        assert answerer.composer.faq_reply(d).citations[0].article == first
