"""The classroom (办法第十七条): quizzes from the question bank and the lesson by theme.

Part 1: bot.classroom and check_lesson on the real corpus. Part 2: the HTTP routes GET /api/quiz, GET /api/lesson
and the pages /classroom and /quiz, through create_app with the fake encoder (fast; no model).
The browser run of both pages is in test_classroom_browser.py.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.api import create_app
from bot.check import AUDIENCES, check_corpus, check_lesson
from bot.classroom import AUDIENCES as CLASSROOM_AUDIENCES
from bot.classroom import MAX_QUIZ, lesson_steps, make_quiz, quiz_item, quiz_pool
from bot.corpus import Citation, load_corpus
from bot.settings import Settings

BASE = load_corpus()
BANK = {q.id: q for q in BASE.quiz}
THEMES = ["为什么要防范", "谁来负责", "单位的义务", "公民的义务", "发现可疑怎么办", "不履行的后果"]
ITEM_KEYS = {"id", "kind", "question", "options", "answer", "explanation", "citation"}


def ids(items: list[dict]) -> list[str]:
    return [i["id"] for i in items]


def assert_item_is_the_bank_item(item: dict) -> None:
    """Shape of the API, values verbatim from corpus/quiz.yaml, options in bank order, citation resolvable."""
    assert set(item) == ITEM_KEYS
    q = BANK[item["id"]]
    assert item == quiz_item(q)
    assert item["options"] == list(q.options) and item["answer"] == q.answer
    assert 0 <= item["answer"] < len(item["options"])
    assert item["kind"] in {"choice", "judge"}
    citation = item["citation"]
    assert set(citation) <= {"doc_id", "article", "paragraph"} and None not in citation.values()
    assert BASE.resolve(Citation(citation["doc_id"], citation["article"], citation.get("paragraph")))


# ================================================================ part 1: bot.classroom


def test_same_seed_same_quiz():
    assert make_quiz(BASE, 10, "abc", "学生") == make_quiz(BASE, 10, "abc", "学生")
    assert make_quiz(BASE, 5, 7) == make_quiz(BASE, 5, "7")  # the seed is taken as text


def test_different_seeds_different_quizzes():
    quizzes = [ids(make_quiz(BASE, 10, seed)) for seed in ("a", "b", "c", "d", "e")]
    assert len({tuple(q) for q in quizzes}) == 5
    assert len({frozenset(q) for q in quizzes}) == 5  # different items, not only a different order


def test_no_seed_gives_a_random_quiz():
    quizzes = {tuple(ids(make_quiz(BASE, 10, None))) for _ in range(5)}
    assert len(quizzes) > 1
    assert all(len(q) == len(set(q)) == 10 for q in quizzes)


def test_items_are_bank_items_in_the_api_shape():
    items = make_quiz(BASE, MAX_QUIZ, "shape")
    assert len(items) == len(set(ids(items))) == MAX_QUIZ
    for item in items:
        assert_item_is_the_bank_item(item)


def test_paragraph_is_left_out_of_a_citation_without_one():
    whole = next(q for q in BASE.quiz if q.citation.paragraph is None)
    one = next(q for q in BASE.quiz if q.citation.paragraph is not None)
    assert quiz_item(whole)["citation"] == {"doc_id": whole.citation.doc_id, "article": whole.citation.article}
    assert quiz_item(one)["citation"]["paragraph"] == one.citation.paragraph


@pytest.mark.parametrize("audience", AUDIENCES)
def test_audience_filter(audience):
    pool = quiz_pool(BASE, audience)
    assert pool and all(audience in q.audience for q in pool)
    items = make_quiz(BASE, min(len(pool), MAX_QUIZ), "aud", audience)
    assert all(audience in BANK[i["id"]].audience for i in items)
    assert {i["id"] for i in items} <= {q.id for q in pool}


def test_blank_audience_means_all():
    assert make_quiz(BASE, 10, "s", "") == make_quiz(BASE, 10, "s", None) == make_quiz(BASE, 10, "s", " ")


@pytest.mark.parametrize("audience", ["老师", "students", "学生,教师", "学"])
def test_unknown_audience_is_refused(audience):
    with pytest.raises(ValueError, match="audience must be one of 公众 学生 教师 企业 重点单位 公务员 媒体"):
        make_quiz(BASE, 5, "x", audience)


@pytest.mark.parametrize(
    "n, audience, limit",
    [(0, None, MAX_QUIZ), (-1, None, MAX_QUIZ), (MAX_QUIZ + 1, None, MAX_QUIZ), (len(BASE.quiz) + 1, None, MAX_QUIZ)]
    + [(len(quiz_pool(BASE, a)) + 1, a, len(quiz_pool(BASE, a))) for a in ("学生", "教师", "媒体")],
)
def test_n_out_of_range_names_the_allowed_range(n, audience, limit):
    with pytest.raises(ValueError, match=rf"n must be between 1 and {limit} .*got {n}$"):
        make_quiz(BASE, n, "x", audience)


@pytest.mark.parametrize("audience", ["学生", "媒体", None])
def test_n_at_the_bounds(audience):
    limit = min(len(quiz_pool(BASE, audience)), MAX_QUIZ)
    assert len(make_quiz(BASE, 1, "x", audience)) == 1
    assert len(make_quiz(BASE, limit, "x", audience)) == limit


def test_audiences_agree_with_the_validator():
    assert set(CLASSROOM_AUDIENCES) == AUDIENCES


# ---------------------------------------------------------------- the lesson


def test_lesson_has_the_six_themes_in_order():
    steps = lesson_steps(BASE)
    assert [s["theme"] for s in steps] == THEMES
    for s in steps:
        assert set(s) == {"theme", "title", "articles", "explanation", "faq_id", "check"}
        assert s["title"] and s["articles"] and s["explanation"] and s["faq_id"] and s["check"]


def test_lesson_articles_are_verbatim():
    for step in lesson_steps(BASE):
        for a in step["articles"]:
            art = BASE.article(a["doc_id"], a["article"])
            expected = art.paragraph(a["paragraph"]).text if "paragraph" in a else art.text
            assert a["text"] == expected
            assert "\n".join(a["paragraphs"]) == expected
            assert a["title"] == BASE.documents[a["doc_id"]].title
            assert a["label"].startswith(art.label)


def test_lesson_explanation_is_a_faq_answer_on_the_main_article():
    for step in lesson_steps(BASE):
        entry = BASE.faq_by_id[step["faq_id"]]
        assert step["explanation"] == entry.answer
        main, first = step["articles"][0], entry.citations[0]
        assert (first.doc_id, first.article) == (main["doc_id"], main["article"])
        if "paragraph" in main:
            assert first.paragraph == main["paragraph"]


def test_lesson_check_is_a_bank_item_on_a_shown_article():
    for step in lesson_steps(BASE):
        check = step["check"]
        assert_item_is_the_bank_item(check)
        shown = {(a["doc_id"], a["article"], a.get("paragraph")) for a in step["articles"]}
        c = check["citation"]
        assert (c["doc_id"], c["article"], None) in shown or (c["doc_id"], c["article"], c.get("paragraph")) in shown


def test_lesson_covers_the_reporting_article_and_the_citizens_duties():
    by_theme = {s["theme"]: s for s in lesson_steps(BASE)}
    report = by_theme["发现可疑怎么办"]
    assert report["articles"][0]["label"] == "第十九条"
    assert "电话、信函、网络" in report["articles"][0]["text"]
    assert {a["label"] for a in by_theme["公民的义务"]["articles"]} == {"第十二条"}


def test_lesson_steps_are_copies():
    first = lesson_steps(BASE)
    first[0]["articles"].clear()
    assert lesson_steps(BASE)[0]["articles"]


def test_lesson_picks_an_explanation_and_a_check_when_the_yaml_names_none(tmp_path):
    (tmp_path / "lesson.yaml").write_text("doc_id: zhejiang-2019\nsteps:\n  - {theme: 举报, title: 怎么举报, articles: [19]}\n", encoding="utf-8")
    [step] = lesson_steps(replace(BASE, root=tmp_path, version="picks"))
    assert BASE.faq_by_id[step["faq_id"]].citations[0].article == 19
    assert "学生" in BASE.faq_by_id[step["faq_id"]].audience
    assert step["check"]["citation"]["article"] == 19 and "学生" in BANK[step["check"]["id"]].audience
    assert check_lesson(replace(BASE, root=tmp_path)) == []


# ---------------------------------------------------------------- check_lesson (bot check-corpus)

LESSON = BASE.root / "lesson.yaml"


def broken_lesson(tmp_path: Path, old: str, new: str) -> tuple[list[str], Path, int]:
    """lesson.yaml with one edit in a tmp corpus root; the defects, the file, and the 1-based line of the edit."""
    text = LESSON.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "lesson.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1
    return check_lesson(replace(BASE, root=tmp_path)), path, line


def only(defects: list[str], *fragments: str) -> str:
    assert len(defects) == 1, "\n".join(defects)
    for fragment in fragments:
        assert fragment in defects[0], defects[0]
    return defects[0]


def test_real_lesson_is_valid():
    assert check_lesson(BASE.root) == []
    assert check_lesson(BASE) == []


def test_unknown_article(tmp_path):
    defects, path, line = broken_lesson(tmp_path, "articles: [12]", "articles: [12, 99]")
    only(defects, f"{path}:{line}: step 公民的义务: cites zhejiang-2019 第九十九条, but that document has articles 1–23")


def test_unknown_paragraph_and_document(tmp_path):
    defects, path, line = broken_lesson(tmp_path, "[19, {doc_id: jubao-jiangli-2022, article: 4}", "[19, {doc_id: jubao-2099, article: 4}")
    only(defects, f"{path}:{line}: step 发现可疑怎么办: cites unknown document 'jubao-2099'")
    defects, path, line = broken_lesson(tmp_path, "article: 4}, {article: 12, paragraph: 2}]", "article: 4}, {article: 12, paragraph: 5}]")
    only(defects, f"{path}:{line}: step 发现可疑怎么办: cites zhejiang-2019 第十二条第五款, but 第十二条 has 2 paragraph(s)")


def test_unknown_faq_id(tmp_path):
    defects, path, line = broken_lesson(tmp_path, "faq_id: m12-citizen-duties", "faq_id: m12-no-such-entry")
    only(defects, f"{path}:{line}: step 公民的义务: unknown faq_id 'm12-no-such-entry'", "m12-citizen-duties")


def test_faq_entry_not_on_the_main_article(tmp_path):
    defects, path, line = broken_lesson(tmp_path, "faq_id: m12-citizen-duties", "faq_id: m19-how-to-report")
    only(defects, f"{path}:{line}: step 公民的义务: FAQ entry m19-how-to-report first cites zhejiang-2019 第十九条第一款, "
         "not the step's main article zhejiang-2019 第十二条")


def test_unknown_quiz_id(tmp_path):
    defects, path, line = broken_lesson(tmp_path, "quiz_id: q-zj12-rushi-tigong", "quiz_id: q-nope")
    only(defects, f"{path}:{line}: step 公民的义务: unknown quiz_id 'q-nope'")


def test_quiz_item_on_an_article_the_step_does_not_show(tmp_path):
    defects, path, line = broken_lesson(tmp_path, "quiz_id: q-zj12-rushi-tigong", "quiz_id: q-zj23-shixing")
    only(defects, f"{path}:{line}: step 公民的义务: quiz item q-zj23-shixing cites zhejiang-2019 第二十三条, which the step does not show")
    # a step showing one 款 only accepts items on that 款
    defects, path, line = broken_lesson(tmp_path, "quiz_id: q-zj19-qudao", "quiz_id: q-zj12-rushi-tigong")
    only(defects, f"{path}:{line}: step 发现可疑怎么办: quiz item q-zj12-rushi-tigong cites zhejiang-2019 第十二条第一款")


def test_malformed_steps(tmp_path):
    defects, path, line = broken_lesson(tmp_path, "articles: [12]", "articles: [twelve]")
    assert any(d.startswith(f"{path}:{line}: step 公民的义务: an article is a number") for d in defects), defects
    defects, path, line = broken_lesson(tmp_path, "  - theme: 公民的义务\n", "  - theme: 公民的义务\n    picture: x.png\n")
    only(defects, f"{path}:{line}: step 公民的义务: unknown key(s) picture")
    defects, path, line = broken_lesson(tmp_path, "  - theme: 公民的义务\n", "  - theme: 谁来负责\n")
    assert any(f"{path}:{line}: step 谁来负责: theme already used" in d for d in defects), defects


def test_step_with_nothing_to_explain_or_ask(tmp_path):
    (tmp_path / "lesson.yaml").write_text(
        "steps:\n  - theme: 细则\n    title: 实施细则\n    articles: [{doc_id: shishixize-2017, article: 1}]\n", encoding="utf-8"
    )
    defects = check_lesson(replace(BASE, root=tmp_path))
    assert defects == [
        f"{tmp_path / 'lesson.yaml'}:2: step 细则: no FAQ entry's first citation is shishixize-2017 第一条; "
        "write one, or name one with faq_id",
        f"{tmp_path / 'lesson.yaml'}:2: step 细则: no quiz item cites what the step shows; "
        "add one to quiz.yaml or name one with quiz_id",
    ]


def test_check_corpus_reports_lesson_defects(tmp_path):
    root = tmp_path / "corpus"
    shutil.copytree(BASE.root, root)
    lesson = root / "lesson.yaml"
    text = lesson.read_text(encoding="utf-8")
    lesson.write_text(text.replace("quiz_id: q-zj01-mudi", "quiz_id: q-gone"), encoding="utf-8")
    line = text[: text.index("quiz_id: q-zj01-mudi")].count("\n") + 1
    only(check_corpus(root), f"{lesson}:{line}: step 为什么要防范: unknown quiz_id 'q-gone'")
    # a quiz item renamed in quiz.yaml is reported there first; the lesson is checked once the rest is sound
    quiz = root / "quiz.yaml"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("support: 防范、制止间谍行为，维护国家安全", "support: 不存在的原文"), encoding="utf-8")
    assert all("lesson.yaml" not in d for d in check_corpus(root))


def test_missing_lesson_file(tmp_path):
    only(check_lesson(replace(BASE, root=tmp_path)), f"{tmp_path / 'lesson.yaml'}:1: missing")


def test_lesson_yaml_syntax_error(tmp_path):
    (tmp_path / "lesson.yaml").write_text("steps:\n  - theme: [x\n", encoding="utf-8")
    only(check_lesson(replace(BASE, root=tmp_path)), f"{tmp_path / 'lesson.yaml'}:", "YAML syntax error")


# ================================================================ part 2: the HTTP routes


@pytest.fixture(scope="module")
def client(fake_engine):
    return TestClient(create_app(fake_engine, Settings(rate_limit=0)))


def get_quiz(client, **params) -> list[dict]:
    response = client.get("/api/quiz", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items"}
    return body["items"]


def test_api_quiz_is_make_quiz(client):
    items = get_quiz(client, n=10, seed="abc", audience="学生")
    assert items == make_quiz(BASE, 10, "abc", "学生")
    assert len(items) == 10


def test_api_same_seed_same_quiz_different_seeds_differ(client):
    assert get_quiz(client, n=10, seed="x") == get_quiz(client, n=10, seed="x")
    assert ids(get_quiz(client, n=10, seed="x")) != ids(get_quiz(client, n=10, seed="y"))


def test_api_defaults(client):
    assert len(get_quiz(client)) == 10
    assert len(get_quiz(client, seed="s")) == 10
    assert get_quiz(client, seed="s") == make_quiz(BASE, 10, "s", None)


@pytest.mark.parametrize(
    "params",
    [{"n": 0}, {"n": -1}, {"n": MAX_QUIZ + 1}, {"n": len(BASE.quiz) + 1}, {"n": 10**30},
     {"n": len(quiz_pool(BASE, "学生")) + 1, "audience": "学生"}, {"n": len(quiz_pool(BASE, "媒体")) + 1, "audience": "媒体"}],
)
def test_api_n_out_of_range_is_422(client, params):
    response = client.get("/api/quiz", params={"seed": "x", **params})
    assert response.status_code == 422, response.text
    [message] = response.json()["detail"]
    assert re.search(r"n must be between 1 and \d+", message), message


@pytest.mark.parametrize("n", ["abc", "1.5", ""])
def test_api_n_not_a_number_is_422(client, n):
    response = client.get("/api/quiz", params={"n": n})
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


@pytest.mark.parametrize("audience", ["学生", "媒体"])
def test_api_n_at_the_bounds(client, audience):
    limit = len(quiz_pool(BASE, audience))
    assert len(get_quiz(client, n=1, seed="b", audience=audience)) == 1
    assert len(get_quiz(client, n=limit, seed="b", audience=audience)) == limit
    assert len(get_quiz(client, n=MAX_QUIZ, seed="b")) == MAX_QUIZ


@pytest.mark.parametrize("audience", sorted(AUDIENCES))
def test_api_audience_filter(client, audience):
    n = min(10, len(quiz_pool(BASE, audience)))
    for item in get_quiz(client, n=n, seed="aud", audience=audience):
        assert audience in BANK[item["id"]].audience


def test_api_unknown_audience_is_422(client):
    response = client.get("/api/quiz", params={"n": 5, "audience": "老师"})
    assert response.status_code == 422
    assert "audience must be one of" in response.json()["detail"][0]


def test_api_answers_are_valid_and_citations_resolve(client):
    for item in get_quiz(client, n=MAX_QUIZ, seed="cite"):
        assert_item_is_the_bank_item(item)
        c = item["citation"]
        response = client.get(f"/api/docs/{c['doc_id']}/articles/{c['article']}")
        assert response.status_code == 200, c
        article = response.json()
        if "paragraph" in c:
            assert 1 <= c["paragraph"] <= len(article["paragraphs"])
        # the support quote that proves the answer is in the article the page shows
        assert BANK[item["id"]].support in article["text"].replace("\n", "") or BANK[item["id"]].support in article["text"]


def test_api_lesson(client):
    response = client.get("/api/lesson")
    assert response.status_code == 200
    steps = response.json()["steps"]
    assert steps == lesson_steps(BASE)
    assert [s["theme"] for s in steps] == THEMES


@pytest.mark.parametrize("path, script", [("/classroom", "/static/classroom.js"), ("/quiz", "/static/quiz.js")])
def test_pages_are_served_without_inline_code(client, path, script):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    versioned = script.replace("/static/", f"/static/{client.app.state.pages.version}/")
    assert f'<script type="module" src="{versioned}"></script>' in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []  # no inline script
    assert "<style" not in html and not re.search(r"\s(style|on[a-z]+)=", html)  # no inline style or handler
    for asset in ("/static/app.css", "/static/classroom.css", script, "/static/classroom.js", "/static/chat.js"):
        assert client.get(asset).status_code == 200, asset


def test_pages_store_nothing():
    web = Path(__file__).resolve().parent.parent / "web"
    for name in ("classroom.js", "quiz.js"):
        source = re.sub(r"/\*.*?\*/|//[^\n]*", "", (web / name).read_text(encoding="utf-8"), flags=re.S)  # code, not comments
        for api in ("localStorage", "sessionStorage", "document.cookie", "indexedDB", "innerHTML"):
            assert api not in source, (name, api)
