"""The English/中文 switch (issue 15) in a real chromium against a live `bot serve`: the kiosk, the chat page and the
widget switch their words, channels and greeting, send `lang` with every question, show English answers with the
Chinese article and its English label, and go back to Chinese (kiosk, after idle); axe-core in both languages.
Reuses test_browser.py's server, browser and page fixtures (and its skip when chromium or playwright is missing)."""

from __future__ import annotations

import json
import re

import pytest
from test_browser import SCREENSHOTS, ask, base_url, browser, host_page_url, new_page  # noqa: F401 - fixtures used by name
from test_pages_browser import axe, axe_on_the_chat_pages, channels_shown

from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_REPORT = "Someone online offered me money to photograph the port, what should I do?"


def english_channels(scope, links: bool = True) -> None:
    """The channel strip in English, 12339 dialable where links are allowed."""
    strip = scope.locator("#channel-list")
    for text in ("State security reporting hotline", "12339", "www.12339.gov.cn", "By letter", "In person"):
        expect(strip).to_contain_text(text)
    expect(strip).not_to_contain_text("举报")
    if links:
        expect(strip.locator("a.ch-value[href='tel:12339']")).to_be_visible()


def sent_body(request) -> dict:
    return json.loads(request.post_data)


def expect_english_answer_citing_chinese(answer) -> None:
    """An English answer: English text, each citation its English label beside the verbatim Chinese article."""
    text = answer.locator(".answer-body .answer-text").first
    expect(text).to_have_attribute("lang", "en")
    expect(answer).to_contain_text("unofficial explanation")
    card = answer.locator("figure.cite").first
    expect(card.locator(".cite-label-en")).to_have_text(re.compile(r"^Zhejiang Measures, Article \d+.*\(official text in Chinese\)$"))
    expect(card.locator(".cite-label-zh")).to_have_text(re.compile(r"^《浙江省反间谍安全防范办法》第.+条"))
    quote = card.locator("blockquote")
    expect(quote).to_have_attribute("lang", "zh-CN")
    expect(quote).to_contain_text(CHINESE)
    assert not CHINESE.search(text.inner_text())


# ---------------------------------------------------------------- the kiosk


def test_the_kiosk_switches_to_english_answers_in_english_and_quotes_the_chinese_article(base_url, new_page):  # noqa: F811
    page, rec = new_page(1080, 1920)
    page.goto(base_url + "/kiosk?idle=600")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/kiosk\?idle=600&lang=en$"))  # the kiosk's own settings survive the switch
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(re.compile("Counter-Espionage Security"))
    english_channels(page, links=False)
    assert page.locator(".start-group h3").all_inner_texts() == ["The public", "Students", "Organisations"]
    tiles = page.locator(".ask-tile")
    assert not [t for t in tiles.all_inner_texts() if CHINESE.search(t)]
    for box in [tiles.nth(i).bounding_box() for i in range(tiles.count())] + [page.locator("#lang-switch").bounding_box()]:
        assert box["height"] >= 48 and box["width"] >= 48

    with page.expect_request("**/api/chat") as request:
        tiles.first.click()
    assert sent_body(request.value)["lang"] == "en"
    answer = page.locator("#chat-log > article.msg-bot").first
    expect(answer).to_be_visible()
    expect_english_answer_citing_chinese(answer)
    expect(page.get_by_role("button", name="Back to the start (clears the conversation)")).to_be_visible()

    # a typed question, answered in English with the hotline; the Chinese article it rests on, with its English label
    page.locator("#chat-input").fill("What number do I call to report espionage?")
    page.locator("#chat-input").press("Enter")
    answers = page.locator("#chat-log > article.msg-bot")
    expect(answers).to_have_count(2)
    typed = answers.nth(1)
    expect(typed.locator(".answer-text").first).to_contain_text("12339")
    expect(typed.locator("a[href^='tel:']")).to_have_count(0)  # the kiosk never dials or links away
    expect_english_answer_citing_chinese(typed)
    assert page.evaluate("document.scrollingElement.scrollTop") == 0  # only the answers scroll: header and channels stay
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "kiosk-answer-en.png"))
    typed.get_by_role("button", name=re.compile("^Show the whole article")).first.click()
    expect(typed.locator(".full-article .legal").first).to_have_attribute("lang", "zh-CN")
    expect(typed.locator(".full-article").first).to_contain_text("电话、信函、网络")

    # going home by hand keeps English; nothing is kept anywhere
    page.get_by_role("button", name="Back to the start (clears the conversation)").click()
    expect(page.locator("#kiosk-start")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]") == [0, 0, ""]
    assert rec.errors == []


def test_the_english_kiosk_goes_back_to_chinese_when_it_wipes_itself(base_url, new_page):  # noqa: F811
    page, rec = new_page(1080, 1920)
    page.goto(base_url + "/kiosk?idle=8&lang=en")
    page.locator(".ask-tile").first.click()
    expect(page.locator("#chat-log > article.msg-bot")).to_have_count(1)
    expect(page.locator("#idle-banner")).to_contain_text("seconds, then this conversation is cleared", timeout=5000)
    assert axe(page) == []  # the countdown, in English
    page.wait_for_url(re.compile(r"/kiosk\?idle=8$"), timeout=15000)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#kiosk-start")).to_be_visible()
    assert page.locator(".start-group h3").all_inner_texts() == ["公众", "学生", "单位"]
    assert page.locator("#chat-log > *").count() == 0
    channels_shown(page, links=False)
    assert page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]") == [0, 0, ""]
    assert rec.errors == []


# ---------------------------------------------------------------- the chat page and the widget


def test_the_chat_page_switches_both_ways_and_sends_lang_only_in_english(base_url, new_page):  # noqa: F811
    page, rec = new_page(1280, 900)
    page.goto(base_url + "/")
    with page.expect_request("**/api/chat") as request:
        ask(page, "举报有奖励吗")
    assert "lang" not in sent_body(request.value)  # Chinese page: the question's own language (Traditional stays so)

    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/\?lang=en$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    english_channels(page)
    greeting = page.locator("#chat-log > article.msg-bot").first
    expect(greeting).to_contain_text("Hello!")
    expect(page.locator("#chat-input")).to_have_attribute("placeholder", re.compile("^For example"))
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    chip = greeting.locator(".chip").first
    assert not CHINESE.search(chip.inner_text())  # the English starter questions
    with page.expect_request("**/api/chat") as request:
        chip.click()
    assert sent_body(request.value) == {"message": chip.inner_text(), "history": [], "lang": "en"}
    answer = page.locator("#chat-log > article.msg-bot").nth(1)
    expect(answer).to_be_visible()
    expect_english_answer_citing_chinese(answer)
    link = answer.locator("figure.cite a").first
    assert link.get_attribute("aria-label").startswith("Open the article page: Zhejiang Measures, Article")

    report = ask(page, ENGLISH_REPORT)
    expect(report).to_have_attribute("data-intent", "report")
    expect(report.locator(".notice-title")).to_have_text("⚠ What to do now")
    expect(report.locator(".notice a[href='tel:12339']").first).to_be_visible()
    page.get_by_role("button", name="Clear the conversation").click()
    expect(page.locator("#chat-log > article.msg-bot")).to_have_count(1)
    expect(page.locator("#chat-log")).to_contain_text("Hello!")  # greeted again, in English

    page.get_by_role("link", name="中文").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    channels_shown(page)
    expect(page.locator("#chat-log > article.msg-bot").first).to_contain_text("你好")
    assert rec.errors == []


def test_without_javascript_the_english_page_stays_english(base_url, browser):  # noqa: F811
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(base_url + "/kiosk?lang=en")
        english_channels(page, links=False)
        page.goto(base_url + "/")
        page.get_by_role("link", name="English").click()
        english_channels(page)
        page.locator(".ch-letter summary").click()
        expect(page.locator(".ch-letter details")).to_contain_text("Describe what you saw")
        expect(page.locator(".noscript-note")).to_contain_text("JavaScript")
        page.locator("#chat-input").fill("How do I report espionage?")
        page.locator("#chat-input").press("Enter")
        page.wait_for_url(re.compile(r"lang=en"))
        expect(page.locator("html")).to_have_attribute("lang", "en")
        english_channels(page)
    finally:
        context.close()


def test_the_widget_switches_to_english_and_follows_an_english_host_page(base_url, host_page_url, new_page):  # noqa: F811
    page, rec = new_page(1280, 800)
    page.goto(host_page_url)
    launcher = page.locator(".launcher")
    expect(launcher).to_have_text("问一问")
    launcher.click()
    iframe = page.locator("fjd-ask-widget iframe")
    assert iframe.get_attribute("src") == base_url + "/embed"
    frame = page.frame_locator("fjd-ask-widget iframe")
    expect(frame.locator("#channel-list")).to_contain_text("国家安全机关举报受理电话")
    frame.get_by_role("link", name="English").click()
    english_channels(frame)
    expect(frame.locator("html")).to_have_attribute("lang", "en")
    # the widget's own button and title follow the chat's language
    expect(launcher).to_have_text("Ask")
    expect(page.locator("fjd-ask-widget .title")).to_have_text("Counter-Espionage Security · Ask")
    expect(iframe).to_have_attribute("title", "Counter-Espionage Security Q&A")
    with page.expect_request("**/api/chat") as request:
        answer = ask(frame, "Is there a reward for reporting espionage?")
    assert sent_body(request.value)["lang"] == "en"
    expect_english_answer_citing_chinese(answer)
    expect(answer.locator("figure.cite a").first).to_have_attribute("target", "_blank")  # never navigates the frame away
    frame.locator("#chat-input").press("Escape")
    expect(launcher).to_have_attribute("aria-expanded", "false")

    # an English host page gets the English widget from the start
    page.goto(host_page_url.replace("campaign.html", "campaign-en.html"))
    expect(launcher).to_have_text("Ask")
    launcher.click()
    assert iframe.get_attribute("src") == base_url + "/embed?lang=en"
    english_channels(frame)
    assert rec.errors == []


# ---------------------------------------------------------------- accessibility, in English


def test_axe_finds_no_serious_or_critical_violation_on_the_english_pages(base_url, new_page):  # noqa: F811
    assert axe_on_the_chat_pages(base_url, new_page, "?lang=en", ENGLISH_REPORT, "Is there a reward for reporting espionage?") == {}
