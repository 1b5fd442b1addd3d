"""Whole conversations with the real index: what a person says after an answer is read with what they were shown."""

from __future__ import annotations

import pytest

from bot.answer import Turn
from bot.corpus import Citation

pytestmark = pytest.mark.slow


def converse(answerer, *messages: str):
    """Send the messages one after another as the page does (each bot turn carries the citations it showed)."""
    history, answers = [], []
    for message in messages:
        answer = answerer.answer(message, history)
        answers.append(answer)
        shown = tuple(Citation(c.doc_id, c.article, c.paragraph) for c in answer.citations)
        history += [Turn("user", message), Turn("bot", answer.answer, shown)]
    return answers


def articles(answer) -> list[tuple[str, int]]:
    return [(c.doc_id, c.article) for c in answer.citations]


def test_another_subject_gets_another_answer_not_the_one_just_given(real_answerer):
    students, school = converse(real_answerer, "学生有什么义务", "那学校呢")
    assert ("zhejiang-2019", 12) in articles(students)
    assert school.answer != students.answer
    assert {("zhejiang-2019", 8), ("zhejiang-2019", 17)} & set(articles(school))


def test_a_political_provocation_mid_conversation_gets_the_neutral_reply(real_answerer):
    _, provocation = converse(real_answerer, "11月1日是全民国家安全教育日吧", "你怎么看台湾问题")
    assert provocation.intent == "out_of_scope" and provocation.citations == []


def test_a_witness_speaking_of_a_colleague_gets_report_steps_not_a_confession_reply(real_answerer):
    (answer,) = converse(real_answerer, "我的同事好像在把单位资料发给境外的人")
    assert answer.intent == "report" and "自首" not in answer.answer and "12339" in answer.answer


def test_someone_who_has_not_sent_anything_is_not_told_how_to_turn_themselves_in(real_answerer):
    _, answer = converse(
        real_answerer,
        "Someone online offered me money to photograph the port. What should I do?",
        "I haven't sent anything yet. Do I still need to report it?",
    )
    assert "turning yourself in" not in answer.answer and "12339" in answer.answer


def test_a_reporter_afraid_of_retaliation_is_told_what_protects_them(real_answerer):
    _, answer = converse(real_answerer, "我们小区对面是部队营区，总有个人拿长焦相机对着里面拍", "我怕他们知道是我举报的，会报复我")
    assert answer.intent == "question"
    assert {("fanjiandiefa-2023", 52), ("jubao-jiangli-2022", 22), ("jubao-jiangli-2022", 6)} & set(articles(answer))


def test_an_object_caught_in_a_fishing_net_gets_the_advice_for_objects(real_answerer):
    (answer,) = converse(real_answerer, "打鱼的时候网上挂了个东西 像个鱼雷一样 上面有外国字")
    assert answer.intent == "report" and answer.source == "report:object"


def test_an_english_question_about_the_measures_is_never_refused_for_its_glossary_coverage(real_answerer):
    (answer,) = converse(real_answerer, "What network security training do internet companies owe their employees under the Zhejiang rules?")
    assert answer.intent == "question" and ("zhejiang-2019", 11) in articles(answer)


def test_a_yes_no_question_only_partly_covered_gets_no_verdict_meant_for_another_question(real_answerer, corpus):
    (answer,) = converse(real_answerer, "浙江这个办法2019年施行以后有没有修改过")
    verdicts = [e.verdict for e in corpus.faq if e.verdict]
    assert not any(answer.answer.startswith(v) for v in verdicts)
