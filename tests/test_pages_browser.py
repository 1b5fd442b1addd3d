"""The pages when things go wrong, on a phone and in a classroom (issue 13), in a real chromium against a live
`bot serve`: the channels with the API down and with JavaScript off, a class's page loads from one address, a report
answer on a phone, the legal text, retry, the kiosk's way home, the classroom's headings, and axe-core on every page.
Reuses test_browser.py's server, browser and page fixtures (and its skip when chromium or playwright is missing)."""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import urllib.request

import pytest
from test_browser import ROOT, SCREENSHOTS, ask, base_url, browser, new_page, serving  # noqa: F401 - fixtures used by name

from playwright.sync_api import expect

pytestmark = pytest.mark.browser

REPORT = "有人出高价让我拍军港的照片，我该怎么办？"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def channels_shown(page, links: bool = True) -> None:
    """The page shows every official channel; 12339 dials where links are allowed."""
    strip = page.locator("#channel-list, .cr-channels .channel-list").first
    expect(strip).to_contain_text("12339")
    expect(strip).to_contain_text("www.12339.gov.cn")
    expect(strip).to_contain_text("信函举报")
    expect(strip).to_contain_text("当面举报")
    if links:
        expect(strip.locator("a.ch-value[href='tel:12339']")).to_be_visible()


# ---------------------------------------------------------------- the channels are never missing


PAGES = ["/", "/embed", "/kiosk", "/docs/zhejiang-2019/19", "/classroom", "/quiz", "/no/such/page"]


def test_channels_with_javascript_off_and_the_form_still_makes_sense(base_url, browser):  # noqa: F811
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    try:
        page = context.new_page()
        for path in PAGES:
            page.goto(base_url + path)
            channels_shown(page, links=path != "/kiosk")
            expect(page.locator("body")).not_to_contain_text("正在载入…")
        # what letters and visits need is one tap away, without a script
        page.goto(base_url + "/")
        page.locator(".ch-letter summary").click()
        expect(page.locator(".ch-letter details")).to_contain_text("寄给当地国家安全机关")
        expect(page.locator(".noscript-note")).to_be_visible()
        page.locator("#chat-input").fill("发现间谍怎么举报")
        page.locator("#chat-input").press("Enter")
        page.wait_for_load_state()
        assert "detail" not in page.locator("body").inner_text()  # no raw JSON error
        channels_shown(page)
        expect(page.locator(".noscript-note")).to_be_visible()
    finally:
        context.close()


def test_channels_and_the_question_survive_the_api_being_down(base_url, new_page):  # noqa: F811
    for path, links in (("/", True), ("/kiosk", False), ("/embed", True)):
        page, rec = new_page(1024, 800)
        page.route("**/api/**", lambda route: route.abort("connectionrefused"))
        page.goto(base_url + path)
        channels_shown(page, links)
        expect(page.locator("body")).not_to_contain_text("暂时无法加载")
        if path == "/kiosk":
            page.locator(".ask-tile").first.click()
        else:
            page.locator("#chat-input").fill("发现间谍怎么举报")
            page.locator("#chat-input").press("Enter")
        error = page.locator(".msg-error")
        expect(error).to_contain_text("官方渠道")
        expect(error.get_by_role("button", name="重试")).to_be_visible()
        channels_shown(page, links)  # the strip the error points at is there
        assert rec.errors == []


def test_a_failed_question_stays_in_the_box_and_retry_answers_it(base_url, new_page):  # noqa: F811
    page, rec = new_page(1024, 800)
    page.route("**/api/chat", lambda route: route.abort("connectionreset"))
    page.goto(base_url + "/")
    question = "每年的反间谍法宣传日是哪一天？"
    page.locator("#chat-input").fill(question)
    page.locator("#chat-input").press("Enter")
    expect(page.locator(".msg-error")).to_be_visible()
    expect(page.locator("#chat-input")).to_have_value(question)  # nothing to type again
    page.unroute("**/api/chat")
    page.locator(".msg-error").get_by_role("button", name="重试").click()
    answers = page.locator("#chat-log > article.msg-bot")
    expect(answers).to_have_count(2)  # the greeting and the answer
    expect(answers.last).to_contain_text("11月1日")
    expect(page.locator(".msg-error")).to_have_count(0)
    expect(page.locator(".msg-user")).to_have_count(1)  # asked once, shown once
    assert rec.errors == []


def test_a_hung_request_gives_up_well_before_20_seconds(base_url, new_page):  # noqa: F811
    page, rec = new_page(1024, 800)
    held = []
    page.route("**/api/chat", lambda route: held.append(route))  # never answered
    page.goto(base_url + "/")
    page.locator("#chat-input").fill("发现间谍怎么举报")
    started = time.monotonic()
    page.locator("#chat-input").press("Enter")
    expect(page.locator(".msg-error")).to_contain_text("等了很久", timeout=15000)
    assert time.monotonic() - started < 15
    expect(page.locator(".msg-error").get_by_role("button", name="重试")).to_be_visible()
    expect(page.locator("#chat-send")).to_be_enabled()
    assert held and rec.errors == []


@pytest.fixture(scope="module")
def school_url():
    """A `bot serve` that limits loopback as it would a school's address, with the default rate and burst."""
    with serving(BOT_RATE_LIMIT_LOOPBACK="true") as url:
        yield url


def test_41_page_loads_from_one_address_all_show_the_channels(school_url, new_page):
    page, rec = new_page(1024, 800)
    for _ in range(41):
        page.goto(school_url + "/")
        channels_shown(page)
        expect(page.locator("#chat-log > article.msg-bot[data-intent='greeting']")).to_have_count(1)
    assert not [u for u in rec.urls if "/api/" in u]  # a page load asks the API nothing
    # the pupils tap a starter question: cached after the first, far cheaper than new questions
    chip = page.locator(".chip").first
    statuses = []
    for _ in range(40):
        with urllib.request.urlopen(school_url + "/api/ask?q=" + urllib.parse.quote(chip.inner_text()), timeout=10) as res:
            statuses.append(res.status)
    assert statuses == [200] * 40
    metrics = urllib.request.urlopen(school_url + "/metrics", timeout=10).read().decode()
    assert "bot_rate_limited_total{" not in metrics


# ---------------------------------------------------------------- acting on an answer, on a phone


def test_report_answer_on_a_phone_leads_with_steps_and_a_tappable_12339(base_url, new_page):  # noqa: F811
    page, rec = new_page(390, 844)
    page.goto(base_url + "/")
    with page.expect_response("**/api/chat") as response:
        report = ask(page, REPORT)
    answer = response.value.json()
    assert answer["intent"] == "report"
    notice = report.locator(".notice")
    if answer["steps"]:
        expect(notice.locator("ol.steps > li")).to_have_count(len(answer["steps"]))
        shown = report.inner_text()
        assert all(shown.count(step) == 1 for step in answer["steps"]), shown  # each step once, in the list
    tel = notice.locator("a[href='tel:12339']").first
    expect(tel).to_be_visible()
    box = notice.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844, box  # what to do now fits the first screen
    assert tel.bounding_box()["y"] + tel.bounding_box()["height"] <= 844
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "phone-report.png"))
    # citations: the first two, the rest behind 「更多依据」
    cards = report.locator("figure.cite")
    visible = [c for c in cards.all() if c.is_visible()]
    assert 1 <= len(visible) <= 2
    if len(answer["citations"]) > 2:
        more = report.get_by_role("button", name=re.compile("更多依据"))
        more.click()
        expect(cards).to_have_count(len(answer["citations"]))
        expect(cards.last).to_be_visible()
    # reading on down the answer, the call button stays on screen
    page.mouse.wheel(0, 4000)
    call = page.locator(".call-link")
    expect(call).to_be_in_viewport()
    assert call.get_attribute("href") == "tel:12339"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert rec.errors == []


def test_report_steps_are_a_short_list_when_the_answer_has_them(base_url, new_page):  # noqa: F811
    """The answer contract's `steps` (filled by the answering pipeline) render as a list in the notice."""
    page, rec = new_page(390, 844)

    def with_steps(route):
        response = route.fetch()
        answer = response.json()
        answer["steps"] = answer["steps"] or [s + "。" for s in answer["answer"].split("\n")[0].split("。") if s.strip()][:4]
        route.fulfill(response=response, body=json.dumps(answer, ensure_ascii=False))

    page.route("**/api/chat", with_steps)
    page.goto(base_url + "/")
    report = ask(page, REPORT)
    steps = report.locator(".notice ol.steps > li")
    assert 2 <= steps.count() <= 6
    expect(steps.last).to_be_in_viewport()
    expect(report.locator(".notice a[href='tel:12339']").first).to_be_visible()
    assert rec.errors == []


def test_a_cited_item_is_highlighted_on_a_line_of_its_own(base_url, new_page):  # noqa: F811
    page, rec = new_page(1024, 900)
    page.goto(base_url + "/docs/zhejiang-2019/12?p=1&i=2")
    body = page.locator(".article-body")
    items = body.locator(".legal-item")
    expect(items).to_have_count(4)
    cited = body.locator(".is-cited")
    expect(cited).to_have_count(1)
    expect(cited).to_have_class(re.compile("legal-item"))
    expect(cited).to_contain_text("（二）")
    tops = [items.nth(i).bounding_box()["y"] for i in range(4)]
    lefts = {round(items.nth(i).bounding_box()["x"]) for i in range(4)}
    assert tops == sorted(tops) and len(set(tops)) == 4 and len(lefts) == 1  # one under the other, same indent
    lead = body.locator(".legal-lead").first.bounding_box()
    assert lead["y"] + lead["height"] <= tops[0] + 1
    # the same renderer in the chat's 展开全文: the article's items on their own lines
    page.goto(base_url + "/")
    answer = ask(page, "第十二条是什么")
    card = answer.locator("figure.cite").first
    expect(card.locator("figcaption")).to_have_text(re.compile(r"^《浙江省反间谍安全防范办法》第十二条"))
    expect(card.locator("blockquote .legal-item")).to_have_count(4)
    card.get_by_role("button", name=re.compile("展开全文")).click()
    expect(card.locator(".full-article .legal-item")).to_have_count(4)
    # a quotation of single 项 says so in its title, and 展开全文 highlights exactly those 项 of the article
    answer = ask(page, "发现间谍行为应该怎么举报？")
    for card in answer.locator("figure.cite").all():
        quote = card.locator("blockquote")
        if quote.locator(".legal-lead").count() or not quote.locator(".legal-item").count():
            continue
        expect(card.locator("figcaption")).to_have_text(re.compile(r"款第（.+）项$"))
        card.get_by_role("button", name=re.compile("展开全文")).click()
        cited = card.locator(".full-article .legal-item.is-cited")
        expect(cited).to_have_count(quote.locator(".legal-item").count())
        expect(cited.first).to_contain_text(quote.locator(".legal-item").first.inner_text())
    assert rec.errors == []


def test_citation_cards_say_what_they_quote_and_link_names_differ(base_url, new_page):  # noqa: F811
    page, rec = new_page(1280, 900)
    page.goto(base_url + "/")
    answer = ask(page, "单位发现有人窃密，怎么向国家安全机关举报？")
    more = answer.get_by_role("button", name=re.compile("更多依据"))
    if more.count():
        more.click()
    titles = answer.locator("figure.cite figcaption").all_inner_texts()
    assert len(titles) >= 2 and len(set(titles)) == len(titles), titles
    assert all(re.match(r"^《.+》第.+条", t) for t in titles), titles
    names = [a.get_attribute("aria-label") for a in answer.locator("figure.cite a").all()]
    assert len(set(names)) == len(names) == len(titles), names
    assert rec.errors == []


def test_input_past_500_characters_says_so_and_is_not_sent(base_url, new_page):  # noqa: F811
    page, rec = new_page(1024, 800)
    page.goto(base_url + "/")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/api/chat" in r.url else None)
    page.locator("#chat-input").fill("问" * 501)
    expect(page.locator("#input-limit")).to_contain_text("最多 500 字")
    expect(page.locator("#input-limit")).to_contain_text("501")
    expect(page.locator("#chat-send")).to_be_disabled()
    page.locator("#chat-input").press("Enter")
    page.wait_for_timeout(300)
    assert sent == [] and page.locator("#chat-input").input_value() == "问" * 501  # nothing cut, nothing sent
    page.locator("#chat-input").fill("问" * 500)
    expect(page.locator("#input-limit")).to_be_hidden()
    expect(page.locator("#chat-send")).to_be_enabled()
    assert rec.errors == []


def test_clear_conversation_on_the_chat_page(base_url, new_page):  # noqa: F811
    page, rec = new_page(1024, 800)
    page.goto(base_url + "/")
    ask(page, "举报有奖励吗")
    expect(page.locator(".msg-user")).to_have_count(1)
    page.get_by_role("button", name="清空对话").click()
    expect(page.locator(".msg-user")).to_have_count(0)
    expect(page.locator("#chat-log > article.msg-bot")).to_have_count(1)  # the greeting again
    expect(page.locator("#chat-input")).to_be_focused()
    assert rec.errors == []


# ---------------------------------------------------------------- kiosk and classroom


def test_kiosk_home_button_stays_visible_after_a_long_answer_and_the_countdown_covers_no_answer(base_url, new_page):  # noqa: F811
    page, rec = new_page(1080, 1920)
    page.goto(base_url + "/kiosk?idle=13")
    page.locator(".ask-tile").first.click()
    answers = page.locator("#chat-log > article.msg-bot")
    expect(answers.first.locator("figure.cite").first).to_be_visible()
    answers.first.locator(".chip").first.click()  # a second answer below the first
    expect(answers).to_have_count(2)
    log = page.locator("#chat-log")
    for more in log.get_by_role("button", name=re.compile("更多依据")).all():
        more.click()
    closed = log.get_by_role("button", name=re.compile("^展开全文"))
    for _ in range(20):  # every article in full: as long as answers get
        if not closed.count():
            break
        closed.first.click()
    expect(log.locator(".full-article .legal-para").last).to_be_visible()
    main = page.locator("#kiosk-main")
    assert page.evaluate("document.getElementById('kiosk-main').scrollHeight") > main.bounding_box()["height"] * 1.5  # screens of it
    page.evaluate("document.getElementById('kiosk-main').scrollTop = 1e6")
    home = page.get_by_role("button", name="返回首页（清空对话）")
    expect(home).to_be_in_viewport()
    box = home.bounding_box()
    topmost = page.evaluate(f"document.elementFromPoint({box['x'] + box['width'] / 2}, {box['y'] + box['height'] / 2}).closest('button')?.id")
    assert topmost == "kiosk-home"  # nothing covers it
    banner = page.locator("#idle-banner")
    expect(banner).to_be_visible(timeout=8000)
    main_box, banner_box = main.bounding_box(), banner.bounding_box()
    assert banner_box["y"] >= main_box["y"] + main_box["height"] - 1  # below the answers, not over them
    page.get_by_role("button", name="继续使用").click()
    home.click()
    expect(page.locator("#kiosk-start")).to_be_visible()
    assert rec.errors == []


def test_every_classroom_and_quiz_slide_has_one_h1(base_url, new_page):  # noqa: F811
    page, rec = new_page(1280, 720)
    page.goto(base_url + "/classroom")
    stage = page.locator("#stage")
    expect(stage.locator(".cr-frame-cover")).to_be_visible()
    kinds = set()
    for _ in range(200):
        frame = stage.locator(".cr-frame")
        expect(frame.locator("h1")).to_have_count(1)
        kinds.add(re.search(r"cr-frame-(\w+)", frame.get_attribute("class")).group(1))
        if "cr-frame-end" in frame.get_attribute("class"):
            break
        page.keyboard.press("PageDown")
    assert kinds == {"cover", "article", "explain", "check", "end"}
    channels_shown(page)  # the summary shows the channels the server rendered into the page

    page.goto(base_url + "/quiz?n=3&seed=h1")
    for _ in range(12):
        expect(page.locator("#stage h1:visible")).to_have_count(1)
        if page.locator(".quiz-results").count():
            break
        page.keyboard.press("PageDown")
    expect(page.locator(".quiz-results")).to_be_visible()
    page.get_by_role("button", name="查看全部答案").click()
    expect(page.locator("#stage h1:visible")).to_have_count(1)
    assert rec.errors == []


def test_quiz_footer_is_one_row_at_1280x720_and_the_score_reads_once(base_url, new_page):  # noqa: F811
    page, rec = new_page(1280, 720)
    page.goto(base_url + "/quiz?n=2&seed=row")
    footer = page.locator("#controls")
    expect(footer).to_be_visible()

    def one_row():
        boxes = [c.bounding_box() for c in footer.locator(":scope > *").all() if c.is_visible()]
        tops = [b["y"] + b["height"] / 2 for b in boxes]
        assert max(tops) - min(tops) < 4, boxes
        assert all(b["x"] + b["width"] <= 1280 for b in boxes)

    one_row()
    page.keyboard.press("a")
    page.keyboard.press("PageDown")
    page.keyboard.press("PageDown")
    one_row()
    page.keyboard.press("b")
    for _ in range(4):
        if page.locator(".quiz-results").count():
            break
        page.keyboard.press("PageDown")
    expect(page.locator(".quiz-results")).to_be_visible()
    one_row()
    header = page.locator(".cr-bar").inner_text()
    assert header.count("得分") == 1, header
    channels_shown(page)
    assert rec.errors == []


# ---------------------------------------------------------------- accessibility: axe-core on every page


def axe(page) -> list[dict]:
    """axe-core's violations of impact serious or critical on the page as it is now (WCAG A/AA rules)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))  # injected through the devtools protocol: the page's CSP allows no inline script
    result = page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def axe_on_the_chat_pages(base_url: str, new_page, query: str, report: str, question: str) -> dict[str, list]:
    """axe-core on every state of the chat page, the widget's page and the kiosk in one language (query: "" for
    Chinese, "?lang=en"): what it finds, by state."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs axe-core with npm ci")
    found = {}
    page, _ = new_page(1280, 900)
    page.goto(base_url + "/" + query)
    found["chat"] = axe(page)
    ask(page, report)
    page.locator("figure.cite button[aria-expanded]").first.click()
    expect(page.locator(".full-article .legal").first).to_be_visible()
    found["chat with a report answer and an article open"] = axe(page)
    page.locator(".ch-letter summary").click()
    found["chat with a channel opened"] = axe(page)
    page.goto(base_url + "/embed" + query)
    found["embed"] = axe(page)
    phone, _ = new_page(390, 844)
    phone.goto(base_url + "/" + query)
    ask(phone, question)
    found["phone chat"] = axe(phone)
    kiosk, _ = new_page(1080, 1920)
    kiosk.goto(base_url + "/kiosk" + query)
    found["kiosk start"] = axe(kiosk)
    kiosk.locator(".ask-tile").first.click()
    expect(kiosk.locator("#chat-log > article.msg-bot")).to_have_count(1)
    found["kiosk answer"] = axe(kiosk)
    return {f"{name} {query}".strip(): v for name, v in found.items() if v}


def test_axe_finds_no_serious_or_critical_violation_on_any_page(base_url, new_page):  # noqa: F811
    page, _ = new_page(1280, 900)
    page.set_content("<html lang='zh-CN'><title>t</title><main><img src='x.png'></main></html>")
    assert [v["id"] for v in axe(page)] == ["image-alt"]  # axe is really running: it sees an image without alt text
    found = axe_on_the_chat_pages(base_url, new_page, "", REPORT, "举报有奖励吗")

    def check(name):
        found[name] = axe(page)

    page.goto(base_url + "/docs/zhejiang-2019/12?p=1&i=2")
    expect(page.locator(".article-body")).to_be_visible()
    check("article")
    page.goto(base_url + "/no/such/page")
    check("404")
    page.goto(base_url + "/classroom")
    expect(page.locator(".cr-frame-cover")).to_be_visible()
    check("classroom cover")
    for _ in range(3):
        page.keyboard.press("PageDown")
    check("classroom slide")
    page.keyboard.press("End")
    check("classroom summary")
    page.goto(base_url + "/quiz")
    check("quiz set-up")
    page.goto(base_url + "/quiz?n=2&seed=axe")
    expect(page.locator(".quiz-item")).to_be_visible()
    page.keyboard.press("a")
    expect(page.locator(".quiz-article[data-loaded]")).to_be_visible()
    check("quiz item")
    assert {name: v for name, v in found.items() if v} == {}
