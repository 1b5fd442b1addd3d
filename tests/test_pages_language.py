"""The pages in English and Chinese (issue 15), with the fake encoder: `?lang=en` serves the chat page, the kiosk and
the widget's page rendered in English at start-up (their words, the channels, the greeting, the kiosk's questions),
the switch links between the two, and web/strings.yaml holds every word the pages and scripts use, in both."""

from __future__ import annotations

import html
import json
import re
import shutil

import pytest
from fastapi.testclient import TestClient

from bot.api import create_app
from bot.pages import BILINGUAL, PAGES, WEB_DIR, Pages, load_wording
from bot.settings import Settings
from tests.test_http_defaults import HTML, counted  # noqa: F401 - fixture used by name

CHAT_PAGES = [route for route, name in PAGES.items() if name in BILINGUAL]  # "/", "/kiosk", "/embed"


@pytest.fixture(scope="module")
def client(fake_engine):
    return TestClient(create_app(fake_engine, Settings(rate_limit=0)))


def rendered_json(page: str, element_id: str) -> dict:
    """The JSON a page carries in <script type="application/json" id=…>."""
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_the_chat_pages_come_in_english_with_english_channels_and_greeting(client, corpus):
    assert CHAT_PAGES == ["/", "/kiosk", "/embed"]
    for route in CHAT_PAGES:
        english = client.get(route, params={"lang": "en"}).text
        assert re.search(r'<html lang="en"[ >]', english), route
        assert "{{" not in english
        for label in ("Official reporting channels", "State security reporting hotline", "12339", "www.12339.gov.cn", "By letter", "In person"):
            assert label in english, (route, label)
        text = html.unescape(re.sub(r"<[^>]+>", "", english))
        for channel in corpus.channels:
            assert channel.in_language("en").how in text  # what a letter or a visit needs, in English
        assert not re.search(r"[\u4e00-\u9fff]", re.sub(r'<a class="lang-switch".*?</a>', "", english)), route  # nothing Chinese but the switch
        assert '<input type="hidden" name="lang" value="en">' in english  # without JavaScript, a question stays English
        switch = re.search(r'<a class="lang-switch"[^>]*>[^<]*</a>', english).group(0)
        assert f'href="{route}"' in switch and 'lang="zh-CN"' in switch and ">中文<" in switch
        if route != "/kiosk":
            greeting = rendered_json(english, "greeting")
            assert greeting["intent"] == "greeting" and greeting["lang"] == "en" and greeting["answer"].startswith("Hello")
            assert all(re.fullmatch(r"[ -~]+", s) for s in greeting["suggestions"])  # the English starter questions
        assert rendered_json(english, "page-text")["answers"] == "en"  # the scripts send lang=en with every question


def test_the_chinese_pages_are_as_before_and_link_to_english(client):
    for route in CHAT_PAGES:
        for chinese in (client.get(route).text, client.get(route, params={"lang": "zh"}).text, client.get(route, params={"lang": "xx"}).text):
            assert '<html lang="zh-CN"' in chinese
            assert "官方举报渠道" in chinese and "国家安全机关举报受理电话" in chinese and "State security" not in chinese
            assert 'name="lang"' not in chinese
            switch = re.search(r'<a class="lang-switch"[^>]*>[^<]*</a>', chinese).group(0)
            assert f'href="{route}?lang=en"' in switch and 'lang="en"' in switch and ">English<" in switch
            assert rendered_json(chinese, "page-text")["answers"] is None  # Chinese pages: the question's own language
    greeting = rendered_json(client.get("/").text, "greeting")
    assert greeting["lang"] == "zh-Hans" and greeting["answer"].startswith("你好")
    # the other pages have one language and no switch
    for path in ("/classroom", "/quiz", "/docs/zhejiang-2019/19"):
        assert client.get(path, params={"lang": "en"}).text == client.get(path).text and "lang-switch" not in client.get(path).text


def test_the_english_kiosk_asks_english_questions_and_never_links_away(client):
    wording = load_wording(WEB_DIR / "strings.yaml")
    english, chinese = client.get("/kiosk", params={"lang": "en"}).text, client.get("/kiosk").text
    tiles = [q for _, questions in wording.kiosk_questions for q in questions]
    assert 6 <= len(tiles) <= 8
    assert re.findall(r'class="ask-tile">([^<]*)<', english) == [q["en"] for q in tiles]
    assert re.findall(r'class="ask-tile">([^<]*)<', chinese) == [q["zh"] for q in tiles]
    assert re.findall(r"<h3[^>]*>([^<]*)</h3>", chinese) == ["公众", "学生", "单位"]
    assert 'href="tel:' not in english and "https://" not in english


def test_each_language_has_its_own_etag_and_a_page_load_costs_no_question(counted):  # noqa: F811
    calls, engine = counted
    client = TestClient(create_app(engine, Settings(rate_limit=1, rate_limit_burst=1, rate_limit_loopback=True)))
    calls.clear()
    for route in CHAT_PAGES:
        for _ in range(5):
            zh, en = client.get(route, headers=HTML), client.get(route, params={"lang": "en"}, headers=HTML)
            assert zh.status_code == en.status_code == 200
        assert zh.headers["etag"] != en.headers["etag"]
        assert client.get(route, params={"lang": "en"}, headers={"If-None-Match": en.headers["etag"]}).status_code == 304
        assert client.get(route, headers={"If-None-Match": en.headers["etag"]}).status_code == 200
    assert calls == []  # both greetings were answered at start-up
    assert "bot_rate_limited_total{" not in client.get("/metrics").text


def test_the_widget_carries_its_words_in_both_languages(client):
    widget = client.get("/widget.js").text
    assert "{{" not in widget
    text = json.loads(re.search(r"var TEXT = (\{.*\});", widget).group(1))
    assert text["default"] == "zh" and set(text["languages"]) == {"zh", "en"}
    assert text["languages"]["zh"]["launcher"] == "问一问" and text["languages"]["en"]["launcher"] == "Ask"
    assert client.get(f"/static/{client.app.state.pages.version}/widget.js").text == widget


# ---------------------------------------------------------------- web/strings.yaml: complete, used, strict


def test_every_word_the_scripts_and_pages_use_is_in_the_table_in_both_languages():
    wording = load_wording(WEB_DIR / "strings.yaml")
    assert list(wording.languages) == ["zh", "en"]
    scripts = "\n".join(p.read_text(encoding="utf-8") for p in WEB_DIR.glob("*.js"))
    calls = re.findall(r'\bt\((?:\w+ \? )?"(\w+)"(?: : "(\w+)")?', scripts)  # t("name"), t(on ? "name" : "other")
    used = {name for call in calls for name in call if name}
    assert used and used <= set(wording.script), sorted(used - set(wording.script))
    assert set(wording.script) <= used, sorted(set(wording.script) - used)  # no word left behind
    templates = "\n".join(p.read_text(encoding="utf-8") for p in WEB_DIR.glob("*.html"))
    pages_py = (WEB_DIR.parent / "bot" / "pages.py").read_text(encoding="utf-8")
    unused = [key for key in wording.page if f"{{{{t.{key}}}}}" not in templates and f'"{key}"' not in pages_py]
    assert unused == []


def test_a_missing_or_split_translation_is_refused_by_name(fake_engine, tmp_path):
    web = tmp_path / "web"
    shutil.copytree(WEB_DIR, web)
    table = web / "strings.yaml"
    original = table.read_text(encoding="utf-8")
    table.write_text(original.replace('send: {zh: "发送", en: "Send"}', 'send: {zh: "发送"}'), encoding="utf-8")
    with pytest.raises(ValueError, match=r"page\.send has no text in en"):
        Pages(fake_engine.corpus, lambda lang: b"{}", 90, "*", web_dir=web)
    table.write_text(original.replace('en: "Send"', "en: Send, now"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"page\.send has 'now'"):
        Pages(fake_engine.corpus, lambda lang: b"{}", 90, "*", web_dir=web)


@pytest.mark.slow
def test_every_kiosk_question_is_answered_in_its_language_from_the_articles(real_answerer):
    """A tap on the kiosk's start screen, in either language, gets an answer with citations, not a refusal."""
    wording = load_wording(WEB_DIR / "strings.yaml")
    for _, questions in wording.kiosk_questions:
        for question in questions:
            for lang, asked, answered in (("zh", None, "zh-Hans"), ("en", "en", "en")):
                answer = real_answerer.answer(question[lang], [], asked)
                assert (answer.intent, answer.lang) == ("question", answered), question[lang]
                assert answer.citations and answer.coverage != "partial", question[lang]
