"""The web front ends (chat page, kiosk, widget, article page) in a real chromium against a live `bot serve`.

Needs Debian's chromium at /usr/bin/chromium and the `playwright` package (never `playwright install`).
Skipped when chromium is missing, unless BOT_REQUIRE_BROWSER=1, then failed.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"
REQUIRE = os.environ.get("BOT_REQUIRE_BROWSER") == "1"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

UNIT_REPORT = "单位发现有人窃密，通过哪些渠道向国家安全机关举报？"
XSS = "<img src=x onerror=window.__pwned=1>"
HOSTILE_CSS = (
    "* { display:block !important; font-size:2px !important; color: red !important }\n"
    "iframe { display:none !important }\n"
    "button { background: lime !important; position: static !important; width: 3px !important }\n"
    "div { position: static !important; z-index: -1 !important }\n"
)

if not Path(CHROMIUM).exists() and not REQUIRE:
    pytest.skip(f"{CHROMIUM} is not installed (set BOT_REQUIRE_BROWSER=1 to fail instead)", allow_module_level=True)
try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    if REQUIRE:
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)


# ---------------------------------------------------------------- live servers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as res:
            return res.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def _build_index() -> None:
    """`bot build --if-stale` (plain `build` on a CLI without that flag)."""
    cmd = [sys.executable, "-m", "bot.cli", "build", "--if-stale"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    if done.returncode != 0 and "--if-stale" in done.stderr:
        done = subprocess.run(cmd[:-1], cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"bot build failed:\n{done.stderr[-3000:]}"


@contextlib.contextmanager
def serving(**env: str):
    """`bot serve` on a free port with these BOT_ settings added to the environment; yields its URL, then stops it."""
    _build_index()
    port = _free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
        cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while _get_status(url + "/readyz") != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"bot serve did not become ready:\n{log.read().decode(errors='replace')[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def base_url():
    """A `bot serve` on a free port for this module; terminated at the end."""
    with serving() as url:
        yield url


@pytest.fixture(scope="module")
def host_page_url(base_url):
    """A page on another local origin that embeds the widget under hostile CSS (a second http.server thread); the
    same page in English at campaign-en.html."""
    pages = {
        f"/campaign{suffix}.html": (
            f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>宣传活动页</title>"
            f"<style>{HOSTILE_CSS}</style></head><body><h1>11月1日 全民国家安全教育</h1>"
            "<p>主办方页面的正文。</p><div class='box'>其他内容</div>"
            f"<script src='{base_url}/widget.js' defer></script></body></html>"
        ).encode()
        for suffix, lang in (("", "zh-CN"), ("-en", "en"))
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            html = pages.get(self.path, pages["/campaign.html"])
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/campaign.html"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"BOT_REQUIRE_BROWSER=1 but {CHROMIUM} is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Recorder:
    """Every request a page makes, and script errors."""

    def __init__(self, page):
        self.urls: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.urls.append(r.url))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def off_machine(self) -> list[str]:
        """URLs whose host is not this machine (data: URLs are not network requests)."""
        return [u for u in self.urls if urlparse(u).scheme != "data" and urlparse(u).hostname not in LOCAL_HOSTS]


@pytest.fixture
def new_page(browser):
    """new_page(width, height) → (page, recorder); contexts are closed after the test."""
    contexts = []

    def make(width=1280, height=900):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20000)
        return page, Recorder(page)

    yield make
    for context in contexts:
        context.close()


def ask(scope, text: str):
    """Type a question into the chat in `scope` (page or frame), send it, return the new answer's locator."""
    expect(scope.locator("#channel-list li").first).to_be_visible()  # greeting and channels loaded
    answers = scope.locator("#chat-log > article.msg-bot")
    before = answers.count()
    scope.locator("#chat-input").fill(text)
    scope.locator("#chat-input").press("Enter")
    expect(answers).to_have_count(before + 1)
    expect(scope.locator("#chat-log")).to_have_attribute("aria-busy", "false")
    return answers.nth(before)


def citation(answer, label: str):
    return answer.locator("figure.cite").filter(has=answer.page.locator("figcaption", has_text=label))


# ---------------------------------------------------------------- tests


def test_chat_answer_cites_article_19_and_shows_channels(base_url, new_page):
    page, rec = new_page(1280, 900)
    page.goto(base_url + "/")
    expect(page.locator("#chat-log")).to_have_attribute("aria-live", "polite")
    # the channel strip is filled from the API before the first question, 12339 as a tel: link
    strip = page.locator(".channels")
    expect(strip.locator("a.ch-value[href^='tel:']")).to_have_text("12339")
    expect(strip.locator("a[href*='12339.gov.cn']")).to_have_text("www.12339.gov.cn")
    expect(strip).to_contain_text("当面举报")
    expect(page.locator(".privacy-note")).to_contain_text("请勿在此输入个人信息或涉密内容")

    answer = ask(page, UNIT_REPORT)
    expect(answer.locator("figure.cite").first).to_be_visible()
    first = answer.locator("figure.cite").first
    first.locator("button[aria-expanded]").click()
    expect(first.locator(".full-article p:not(.msg-status)").first).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "chat.png"))

    cite = citation(answer, "第十九条")
    expect(cite.locator("figcaption")).to_contain_text("《浙江省反间谍安全防范办法》第十九条")
    expect(cite.locator("blockquote")).to_contain_text("电话、信函、网络")
    expect(strip).to_contain_text("12339")
    expect(answer.locator(".suggestions .chip").first).to_be_visible()

    # the quote expands to the full article, fetched from the article API
    toggle = cite.locator("button[aria-expanded]")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    full = cite.locator(".full-article")
    expect(full).to_contain_text("褒扬、奖励")  # the second paragraph, not part of the quote
    expect(full.locator(".is-cited")).to_contain_text("电话、信函、网络")
    assert any("/api/docs/zhejiang-2019/articles/19" in u for u in rec.urls)

    # the link opens the readable article page with the cited paragraph highlighted
    link = cite.locator("a[href^='/docs/zhejiang-2019/19']")
    link.click()
    page.wait_for_url("**/docs/zhejiang-2019/19*")
    expect(page.locator("h1")).to_have_text("第十九条")
    expect(page.locator(".article-body .is-cited")).to_contain_text("电话、信函、网络")
    assert rec.errors == []


def test_typed_html_stays_text(base_url, new_page):
    page, rec = new_page()
    page.goto(base_url + "/")
    answer = ask(page, XSS)
    expect(page.locator(".msg-user .bubble").last).to_have_text(XSS)
    expect(answer).to_be_visible()
    page.wait_for_timeout(300)  # an onerror handler would have run by now
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img").count() == 0
    assert XSS in page.locator("#chat-log").inner_text()
    assert not any(urlparse(u).path == "/x" for u in rec.urls)
    assert rec.errors == []


def test_pages_make_no_request_off_the_machine(base_url, host_page_url, new_page):
    page, rec = new_page()
    page.goto(base_url + "/")
    ask(page, "举报电话是多少")
    page.goto(base_url + "/kiosk")
    expect(page.locator("#channel-list li").first).to_be_visible()
    page.goto(base_url + "/docs/zhejiang-2019/19?p=1")
    expect(page.locator(".article-body .is-cited")).to_be_visible()
    page.goto(host_page_url)
    page.locator(".launcher").click()
    frame = page.frame_locator("iframe[title='反间谍安全防范问答']")
    expect(frame.locator("#channel-list li").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert len(rec.urls) > 10
    assert rec.off_machine() == []
    assert rec.errors == []


def test_api_page_works_offline_and_answers(base_url, new_page):
    """The browser's API docs: Swagger UI from this server (no CDN, within the CSP), and "Try it out" answers."""
    page, rec = new_page()
    csp_violations = []
    page.on("console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(base_url + "/api/swagger")
    chat = page.locator("#operations-answers-chat_api_chat_post")
    expect(chat).to_be_visible()
    chat.locator(".opblock-summary").click()
    chat.locator("textarea.body-param__text").fill('{"message": "第九条是什么", "history": []}')
    chat.get_by_role("button", name="Execute").click()
    body = chat.locator(".live-responses-table .response-col_description pre").first
    expect(body).to_contain_text('"intent": "question"')
    expect(body).to_contain_text("第九条")
    expect(body).to_contain_text("12339")
    assert rec.off_machine() == []
    assert rec.errors == [] and csp_violations == []


def test_kiosk_wipes_after_idle_time(base_url, new_page):
    page, rec = new_page(1080, 1920)
    page.goto(base_url + "/kiosk?idle=3")
    start = page.locator("#kiosk-start")
    expect(start).to_be_visible()
    tile = page.locator(".ask-tile").first
    question = tile.inner_text()
    tile.click()
    expect(page.locator("#chat-log > article.msg-bot")).to_have_count(1)
    expect(start).to_be_hidden()
    page.locator("#chat-input").fill("还有一个问题没打完")  # half-typed text is wiped too
    # read to the end: the countdown bar then shortens the scrolled area, which is not someone using the kiosk
    page.evaluate("document.getElementById('kiosk-main').scrollTop = 1e6")

    banner = page.locator("#idle-banner")
    expect(banner).to_be_visible(timeout=5000)
    expect(banner).to_contain_text("秒后将清空")
    expect(start).to_be_visible(timeout=10000)
    expect(banner).to_be_hidden()
    expect(page.locator("#kiosk-conversation")).to_be_hidden()
    assert page.locator("#chat-log > *").count() == 0
    assert page.locator("#chat-input").input_value() == ""
    assert page.content().count(question) == 1  # only the start-screen tile still says it
    assert "还有一个问题没打完" not in page.content()
    storage = page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]")
    assert storage == [0, 0, ""]
    assert rec.errors == []


def test_kiosk_large_type_touch_targets_and_screenshots(base_url, new_page):
    page, rec = new_page(1080, 1920)
    page.goto(base_url + "/kiosk")
    expect(page.locator("#channel-list li").first).to_be_visible()
    groups = page.locator(".start-group h3").all_inner_texts()
    assert groups == ["公众", "学生", "单位"]
    tiles = page.locator(".ask-tile")
    assert 6 <= tiles.count() <= 8
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 24
    for box in [tiles.nth(i).bounding_box() for i in range(tiles.count())] + [page.locator("#chat-send").bounding_box()]:
        assert box["height"] >= 48 and box["width"] >= 48
    expect(page.locator("#chat-input")).to_be_visible()  # typing stays possible
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "kiosk-start.png"))

    page.locator(".ask-tile").first.click()
    answer = page.locator("#chat-log > article.msg-bot")
    expect(answer).to_have_count(1)
    expect(answer.locator("figure.cite").first).to_be_visible()
    for chip in answer.locator(".chip").all():
        assert chip.bounding_box()["height"] >= 48
    # read-aloud only where speechSynthesis has a Chinese voice
    has_voice = page.evaluate(
        "'speechSynthesis' in window && speechSynthesis.getVoices().some(v => /^(zh|cmn)/i.test(v.lang))"
    )
    read = answer.locator(".read-aloud")
    if has_voice:
        expect(read).to_be_visible()
    else:
        expect(read).to_be_hidden()
    page.screenshot(path=str(SCREENSHOTS / "kiosk-answer.png"))
    assert page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]") == [0, 0, ""]
    assert rec.errors == []


def test_widget_survives_hostile_css_and_answers(base_url, host_page_url, new_page):
    page, rec = new_page(1280, 800)
    page.goto(host_page_url)
    sheets_before = 1
    launcher = page.locator(".launcher")
    expect(launcher).to_be_visible()
    expect(launcher).to_contain_text("问一问")
    box = launcher.bounding_box()
    assert box["width"] >= 48 and box["height"] >= 48, box  # the host's font-size:2px / width:3px did not reach it
    assert page.evaluate("getComputedStyle(document.querySelector('.box') || document.body).fontSize") == "2px"
    # the widget added no stylesheet to the host document and did not restyle host elements
    assert page.evaluate("document.styleSheets.length") == sheets_before
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).color") == "rgb(255, 0, 0)"

    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    iframe = page.locator("iframe[title='反间谍安全防范问答']")
    expect(iframe).to_be_visible()
    assert iframe.get_attribute("src") == base_url + "/embed"
    frame_box = iframe.bounding_box()
    assert frame_box["width"] >= 300 and frame_box["height"] >= 300, frame_box

    frame = page.frame_locator("iframe[title='反间谍安全防范问答']")
    answer = ask(frame, "举报间谍有奖励吗")
    expect(answer.locator("figure.cite").first).to_be_visible()
    expect(frame.locator(".channels a.ch-value[href^='tel:']")).to_have_text("12339")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") == 2  # host CSS untouched

    # keyboard: Escape closes the panel and focus returns to the button
    frame.locator("#chat-input").press("Escape")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(iframe).to_be_hidden()
    assert rec.errors == []


def test_phone_layout_has_no_horizontal_scroll(base_url, new_page):
    page, rec = new_page(360, 740)
    page.goto(base_url + "/")
    answer = ask(page, UNIT_REPORT)
    expect(answer.locator("figure.cite").first).to_be_visible()
    answer.locator("figure.cite button[aria-expanded]").first.click()
    expect(answer.locator(".full-article p:not(.msg-status)").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    send = page.locator("#chat-send").bounding_box()
    assert send["x"] + send["width"] <= 360
    assert rec.errors == []


def test_report_is_an_action_notice_and_keyboard_only_use(base_url, new_page):
    page, rec = new_page(1024, 800)
    page.goto(base_url + "/")
    expect(page.locator("#channel-list li").first).to_be_visible()
    # keyboard only: the skip link leads to the input; Enter sends
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#chat-input")).to_be_focused()
    answers = page.locator("#chat-log > article.msg-bot")
    before = answers.count()
    page.keyboard.type("有人出高价让我拍军港的照片，我该怎么办？")
    page.keyboard.press("Enter")
    expect(answers).to_have_count(before + 1)
    report = answers.nth(before)
    expect(report).to_have_attribute("data-intent", "report")
    expect(report.locator(".notice")).to_be_visible()
    expect(report.locator(".notice-title")).to_contain_text("行动提示")
    # the notice holds only what to do now; the answer to the question asked along with it follows as plain text
    expect(report.locator(".notice")).to_contain_text("12339")
    expect(report.locator(".notice")).not_to_contain_text("关于你的问题")
    expect(report.locator(".answer-body:not(.notice) .answer-text")).to_contain_text("关于你的问题")
    # a suggestion chip is reachable and works with the keyboard; focus is visible
    chip = report.locator(".chip").first
    chip.focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
    with page.expect_request(lambda r: r.url.endswith("/api/chat")) as request:
        page.keyboard.press("Enter")
    expect(answers).to_have_count(before + 2)
    # the follow-up carries the earlier turns
    sent = json.loads(request.value.post_data)
    assert sent["message"] == chip.inner_text()
    assert sent["history"][0] == {"role": "user", "text": "有人出高价让我拍军港的照片，我该怎么办？"}
    assert sent["history"][1]["role"] == "bot" and sent["history"][1]["text"]
    assert rec.errors == []


def test_first_view_is_under_100_kb(base_url, new_page):
    sizes = {}
    for path in ("/", "/kiosk"):
        page, _ = new_page()
        responses = []
        page.on("response", lambda r: responses.append(r))
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        sizes[path] = sum(
            len(r.body()) for r in responses if r.request.resource_type in ("document", "stylesheet", "script")
        )
    assert all(0 < size < 100_000 for size in sizes.values()), sizes
