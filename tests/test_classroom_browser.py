"""The classroom pages in a real chromium against a live `bot serve`: a 5-item quiz end to end, and the lesson
stepped through with the keys a presentation clicker sends. Reuses test_browser.py's server, browser and page fixtures
(and its skip when chromium or playwright is missing).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest
from test_browser import SCREENSHOTS, base_url, browser, new_page  # noqa: F401 - fixtures used by name

from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LETTERS = "ABCD"


def api(base: str, path: str, **params) -> dict:
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    with urllib.request.urlopen(f"{base}{path}{query}", timeout=10) as res:
        return json.loads(res.read().decode("utf-8"))


def first_line(text: str) -> str:
    return text.splitlines()[0]


def press_until(page, key: str, locator, text: str, presses: int = 6) -> None:
    """Press key until locator shows text (a clicker's press scrolls a long page first, then moves on)."""
    for _ in range(presses):
        if locator.inner_text().strip() == text:
            return
        page.keyboard.press(key)
    expect(locator).to_have_text(text)


def no_storage(page) -> None:
    assert page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]") == [0, 0, ""]


def test_quiz_of_five_end_to_end(base_url, new_page):  # noqa: F811 - pytest fixtures
    items = api(base_url, "/api/quiz", n=5, seed="x")["items"]
    assert len(items) == 5
    page, rec = new_page(1280, 720)
    page.goto(base_url + "/quiz?n=5&seed=x")
    progress = page.locator("#progress")
    right = 0
    for i, item in enumerate(items):
        expect(progress).to_have_text(f"第 {i + 1} / 5 题")
        frame = page.locator(".quiz-item")
        expect(frame.locator(".question-text")).to_have_text(item["question"])
        options = frame.locator(".option")
        expect(options).to_have_count(len(item["options"]))
        answer = item["answer"]
        if i == 4:  # the last one wrong, to see the score count only right answers
            frame.locator(f".option[data-index='{(answer + 1) % len(item['options'])}']").click()
        elif i == 2:  # the keyboard: the class calls out a letter
            page.keyboard.press(LETTERS[answer].lower())
            right += 1
        else:
            options.nth(answer).click()
            right += 1
        # the answer is revealed: right option marked, wrong pick marked, explanation shown
        expect(frame.locator(".option.is-answer")).to_have_count(1)
        expect(frame.locator(".option.is-answer .option-text")).to_have_text(item["options"][answer])
        expect(frame.locator(".option.is-wrong")).to_have_count(1 if i == 4 else 0)
        expect(frame.locator(".verdict")).to_contain_text("回答错误" if i == 4 else "回答正确")
        expect(frame.locator(".explanation")).to_have_text(item["explanation"])
        expect(page.locator("#score")).to_have_text(f"得分 {right}")
        # ... with the cited article, verbatim from the article API, the cited paragraph highlighted
        c = item["citation"]
        article = api(base_url, f"/api/docs/{c['doc_id']}/articles/{c['article']}")
        block = frame.locator(".quiz-article")
        expect(block).to_have_attribute("data-loaded", "1")
        expect(block.locator(".cr-source")).to_contain_text(f"《{article['title']}》{article['label']}")
        quoted = block.locator("blockquote p")
        expect(quoted).to_have_count(len(article["paragraphs"]))
        for n, paragraph in enumerate(article["paragraphs"]):
            expect(quoted.nth(n)).to_contain_text(first_line(paragraph))
        if "paragraph" in c:
            expect(block.locator(".is-cited")).to_contain_text(first_line(article["paragraphs"][c["paragraph"] - 1]))
        else:
            expect(block.locator(".is-cited")).to_have_count(0)
        if i < 4:
            press_until(page, "PageDown", progress, f"第 {i + 2} / 5 题")
    press_until(page, "PageDown", progress, "测验完成")
    score = page.locator(".quiz-score")
    expect(score).to_have_attribute("data-correct", "4")
    expect(score).to_have_attribute("data-total", "5")
    expect(score).to_contain_text("4")
    expect(page.locator(".quiz-results")).to_contain_text("题组编号 x")

    # the teacher reveals every answer for the room
    page.locator("#reveal-all").click()
    reviewed = page.locator(".review-item")
    expect(reviewed).to_have_count(5)
    expect(page.locator(".review-item .option.is-answer")).to_have_count(5)
    for n, item in enumerate(items):
        expect(reviewed.nth(n).locator(".question-text")).to_have_text(item["question"])
        expect(reviewed.nth(n).locator(".quiz-article[data-loaded]")).to_have_count(1)
    no_storage(page)
    assert not rec.off_machine()
    assert rec.errors == []


def test_quiz_reveal_all_before_answering_and_bad_n(base_url, new_page):  # noqa: F811
    page, rec = new_page(1280, 720)
    page.goto(base_url + "/quiz?n=5&seed=y&audience=学生")
    expect(page.locator(".quiz-item")).to_be_visible()
    page.locator("#reveal-all").click()
    expect(page.locator(".review-item .option.is-answer")).to_have_count(5)
    expect(page.locator(".review-item .option.is-wrong")).to_have_count(0)
    expect(page.locator(".quiz-score")).to_have_attribute("data-correct", "0")
    # a quiz larger than the bank allows: the set-up form comes back with a message, not a broken page
    page.goto(base_url + "/quiz?n=500&seed=y")
    expect(page.locator(".setup-error")).to_be_visible()
    expect(page.locator("#setup")).to_be_visible()
    # no parameters: the set-up form; submitting it starts a quiz with a seed in the address
    page.goto(base_url + "/quiz")
    page.locator("#setup-n").select_option("5")
    page.locator("#setup button[type=submit]").click()
    expect(page.locator("#progress")).to_have_text("第 1 / 5 题")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert query["seed"][0] and query["n"] == ["5"] and query["audience"] == ["学生"]  # the address repeats this quiz
    no_storage(page)
    assert rec.errors == []


def test_lesson_steps_through_with_clicker_keys(base_url, new_page):  # noqa: F811
    steps = api(base_url, "/api/lesson")["steps"]
    assert [s["theme"] for s in steps] == ["为什么要防范", "谁来负责", "单位的义务", "公民的义务", "发现可疑怎么办", "不履行的后果"]
    page, rec = new_page(1280, 720)
    page.goto(base_url + "/classroom")
    stage = page.locator("#stage")
    expect(stage.locator(".cr-frame-cover")).to_be_visible()
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 24  # projector type

    # → shows the first article of the first theme, verbatim
    page.keyboard.press("ArrowRight")
    first = steps[0]["articles"][0]
    expect(stage.locator(".cr-heading")).to_contain_text(first["label"])
    expect(stage.locator(".cr-article")).to_contain_text(first_line(first["text"]))
    expect(page.locator(".cr-theme[aria-current='step']")).to_have_text("1 为什么要防范")
    page.keyboard.press("ArrowLeft")
    expect(stage.locator(".cr-frame-cover")).to_be_visible()

    # PageDown (a clicker) through the whole lesson: every article, every explanation, every check answered
    seen_labels, explanations, answers = [], [], 0
    for _ in range(200):
        frame = stage.locator(".cr-frame")
        kind = frame.get_attribute("class")
        if "cr-frame-article" in kind:
            label = frame.locator(".cr-heading span").last.inner_text()
            if not seen_labels or seen_labels[-1] != label:
                seen_labels.append(label)
        elif "cr-frame-explain" in kind:
            text = frame.locator(".cr-explain").inner_text()
            if text not in explanations:
                explanations.append(text)
        elif "cr-frame-check" in kind and frame.locator(".option.is-answer").count() == 0:
            page.keyboard.press("PageDown")  # the first press on a question reveals its answer
            expect(frame.locator(".option.is-answer")).to_have_count(1)
            answers += 1
        elif "cr-frame-end" in kind:
            break
        page.keyboard.press("PageDown")
    expect(stage.locator(".cr-frame-end")).to_be_visible()
    assert seen_labels == [a["label"] for s in steps for a in s["articles"]]
    assert explanations == [s["explanation"] for s in steps]
    assert answers == len(steps)
    expect(stage.locator("#channel-list")).to_contain_text("12339")

    page.keyboard.press("Home")
    expect(stage.locator(".cr-frame-cover")).to_be_visible()

    # a fresh page (answers are kept only while it is open): a theme button, Space moves on, A–D answer
    page.reload()
    expect(stage.locator(".cr-frame-cover")).to_be_visible()
    page.locator(".cr-theme", has_text="发现可疑怎么办").click()
    report = steps[4]["articles"][0]
    expect(stage.locator(".cr-article")).to_contain_text("电话、信函、网络")
    expect(stage.locator(".cr-article")).to_contain_text(first_line(report["text"]))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "classroom.png"))
    stage.click(position={"x": 5, "y": 5})  # focus in the page, not on the theme button (Space would press it)
    for _ in range(12):
        if stage.locator(".cr-frame-check").count():
            break
        page.keyboard.press(" ")
    check = steps[4]["check"]
    expect(stage.locator(".question-text")).to_have_text(check["question"])
    page.keyboard.press(LETTERS[check["answer"]])
    expect(stage.locator(".option.is-answer.is-chosen")).to_have_count(1)
    expect(stage.locator(".verdict")).to_contain_text("回答正确")
    no_storage(page)
    assert not rec.off_machine()
    assert rec.errors == []
