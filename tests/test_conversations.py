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


@pytest.mark.parametrize(
    ("situation", "follow_up"),
    [
        ("我之前在网上接了个兼职，对方让我拍港口里的军舰照片，我已经发了十几张了，怎么办", "他们转给我的钱怎么办"),
        ("有个自称咨询公司的人加我微信，我把我们厂里的一些内部资料发给他了，我该怎么办", "公司知道了会不会开除我"),
        ("打鱼的时候网上挂了个东西 像个鱼雷一样 黄色的 上面有外国字", "能卖废品吗"),
    ],
)
def test_a_question_about_the_situation_just_described_is_not_refused(real_answerer, situation, follow_up):
    _, answer = converse(real_answerer, situation, follow_up)
    assert answer.intent != "out_of_scope"
    assert answer.coverage == "partial"  # what it matched leans on the situation's words: the nearest, not an answer


def test_a_question_about_something_else_mid_conversation_is_still_refused(real_answerer):
    _, answer = converse(real_answerer, "反间谍安全防范工作是谁领导的", "闯红灯罚多少")
    assert answer.intent == "out_of_scope"


@pytest.mark.parametrize(
    ("messages", "penalty"),
    [
        (("出国研学的学生有什么要求", "学校不做会怎样"), ("zhejiang-2019", 20)),  # a school answers as a unit
        (("国家安全机关要我们提供数据，必须给吗", "不给呢"), ("fanjiandiefa-2023", 59)),  # refusing data
    ],
)
def test_what_follows_from_not_doing_it_is_answered_from_the_penalty_provisions(real_answerer, messages, penalty):
    answer = converse(real_answerer, *messages)[-1]
    assert penalty in articles(answer)


def test_a_fear_of_being_made_trouble_for_is_answered_with_protection_not_a_confession_reply(real_answerer):
    answer = converse(real_answerer, "我不会用电脑，写信可以吗", "我自己去当面说呢", "我说了他会不会找我麻烦")[-1]
    assert answer.source != "self_involved" and "保护" in answer.answer


def test_a_supposition_after_asking_about_reporting_is_answered_not_met_with_report_or_confession_replies(real_answerer):
    answer = converse(real_answerer, "举报必须实名吧？我怕被报复", "那我要是举报错了呢，会被追责吗")[-1]
    assert answer.intent == "question" and answer.source != "self_involved"
    assert ("jubao-jiangli-2022", 21) in articles(answer)


def test_a_question_on_what_the_measures_say_about_something_is_answered_from_the_measures(real_answerer):
    # "浙江办法" names where to look, not what is asked: 奖励 is (第十九条), not the entry on the measures' fines
    answer = converse(real_answerer, "举报有奖励吗", "浙江办法里对奖励怎么说的")[-1]
    assert answer.coverage == "full" and ("zhejiang-2019", 19) in articles(answer)
    assert ("zhejiang-2019", 20) not in articles(answer)


def test_an_entry_written_for_key_units_does_not_answer_for_any_company(real_answerer, corpus):
    answer = real_answerer.answer("企业要每年培训几次")
    assert answer.source != "faq:m09-annual-training"
    assert ("zhejiang-2019", 10) in articles(answer)  # the enterprises of 第十条 train once a year too


def test_another_subject_after_a_question_that_pointed_back_replaces_the_pronoun(real_answerer):
    first, companies = converse(real_answerer, "重点单位有哪些？它们要每年培训几次？", "普通公司呢")
    assert companies.answer != first.answer and "重点单位要「对涉密涉外人员" not in companies.answer


def test_a_reporter_telling_of_threats_going_on_is_told_to_report_them_and_what_protects_them(real_answerer):
    answer = real_answerer.answer("我上个月举报了一个人，最近有陌生人在我家楼下转悠，还打电话骂我，怎么办")
    assert answer.intent == "report" and "12339" in answer.answer and "请求保护" in answer.answer
    assert ("jubao-jiangli-2022", 6) in articles(answer)


def test_among_close_entries_the_one_nearest_in_meaning_answers(real_answerer):
    answer = real_answerer.answer("举报奖金多久内要领")  # 奖励办法第十六条: claimed within 90 days; not the procedure
    assert ("jubao-jiangli-2022", 16) in articles(answer)


def test_an_english_question_phrased_loosely_gets_the_nearest_entry_on_the_top_article_as_a_partial_answer(real_answerer):
    # its phrasing is further from the entry's than an English answer needs; the entry rests on the article found first
    answer = real_answerer.answer("When is the awareness day again? want to plan an assembly around it")
    assert answer.coverage == "partial" and "1 November" in answer.answer
    assert ("zhejiang-2019", 15) in articles(answer)


def test_a_question_the_texts_leave_open_gets_the_entry_written_for_it_as_a_partial_answer(real_answerer, corpus):
    # n-report-mistake is marked coverage: partial (no text says what follows an honest mistake)
    assert corpus.faq_by_id["n-report-mistake"].coverage == "partial"
    _, answer = converse(real_answerer, "举报必须实名吗", "那我要是举报错了呢，会被追责吗")
    assert answer.coverage == "partial" and answer.source == "partial:n-report-mistake"
    assert ("jubao-jiangli-2022", 21) in articles(answer)


def test_a_question_about_the_hotline_itself_is_no_report(real_answerer):
    (answer,) = converse(real_answerer, "12339晚上也有人接吗")
    assert answer.intent == "question"


def test_after_report_steps_a_partial_answer_says_whom_to_tell_about_ones_case(real_answerer):
    _, answer = converse(real_answerer, "我在海边捡到一个奇怪的浮标，上面有天线，还在闪灯，怎么办", "我已经把它搬回家了，会不会有事")
    assert answer.coverage == "partial" and "12339" in answer.answer


def test_simpler_please_explains_what_the_last_answer_showed_not_an_earlier_one(real_answerer):
    first, _, simpler = converse(real_answerer, "外国人违反反间谍法会怎样", "我父母会不会受牵连", "说简单点")
    # the second answer is no FAQ entry's: "说简单点" explains what it showed, not the first answer's entry
    assert simpler.source != first.source.replace("faq:", "simpler:")


def test_the_other_side_pressing_on_is_a_situation_to_act_on(real_answerer):
    _, answer = converse(real_answerer, "我在游戏里认识一个哥哥 他让我拍部队的大门 给了我钱 我拍了", "他还让我继续拍 我该咋回他")
    assert answer.intent == "report" and "12339" in answer.answer


def test_a_follow_up_naming_only_another_text_asks_the_same_of_it(real_answerer):
    _, answer = converse(real_answerer, "反间谍法什么时候施行的", "那浙江的办法呢")
    assert ("zhejiang-2019", 23) in articles(answer) and "2019年9月1日" in answer.answer


def test_the_others_after_a_subjects_duties_are_another_subjects(real_answerer):
    *_, media, others = converse(real_answerer, "街道办在反间谍安全防范上要干啥", "媒体有义务吗", "其他的呢")
    assert ("zhejiang-2019", 18) in articles(media)
    assert articles(others) and ("zhejiang-2019", 18) not in articles(others)


def test_a_partial_answer_from_an_article_says_plainly_what_it_says(real_answerer):
    _, answer = converse(real_answerer, "When is the awareness day again? want to plan an assembly around it", "and the other one, the national security one?")
    assert ("guojiaanquanfa-2015", 14) in articles(answer)
    assert "15 April" in answer.answer or "April 15" in answer.answer  # the plain words of 第十四条, not only a pointer


def test_how_it_concerns_a_subject_is_asked_as_their_duties_and_so_of_the_next_subject(real_answerer):
    """"跟我们学生有什么关系" → "那学校呢": the schools' duties (第十七条), not the nearest entry on 人民防线."""
    meaning, students, school = converse(real_answerer, "反间谍安全防范是什么意思", "跟我们学生有什么关系", "那学校呢")
    assert meaning.citations[0].article == 2 and meaning.citations[0].paragraph == 2  # the definition, not 第三款
    assert ("zhejiang-2019", 12) in articles(students)
    assert school.coverage != "partial" and ("zhejiang-2019", 17) in articles(school)


def test_asked_whether_someone_is_a_spy_the_bot_says_what_is_reported_and_judges_no_one(real_answerer):
    _, judge = converse(real_answerer, "我同事最近老打听我们厂新产品的参数，还说有个境外客户愿意出钱", "他会不会是间谍")
    assert judge.coverage == "partial" and ("zhejiang-2019", 19) in articles(judge)
    assert "涉嫌间谍行为的信息和线索" in judge.answer and "12339" in judge.answer
