"""The HTTP surface's defaults (issue 13), with the fake encoder: who is believed to be the client, bounded request
heads, bad paths, framing, redirects, HEAD, asset caching, error pages, redaction, what a page load costs, and the
rate limit by cost. Through uvicorn on loopback where the server itself is what is tested."""

from __future__ import annotations

import logging
import re
import shutil
import socket
import time

import pytest
from fastapi.testclient import TestClient

from bot.api import create_app
from bot.cli import uvicorn_options
from bot.corpus import Channel
from bot.http_limits import MAX_HEAD_BYTES, MAX_HEADERS
from bot.pages import WEB_DIR, Pages, channels_html, load_assets
from bot.redact import redact
from bot.settings import Settings
from tests.test_faults import GatedEncoder, uvicorn_in_thread

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def client(fake_engine):
    return TestClient(create_app(fake_engine, Settings(rate_limit=0)))


def raw_request(port: int, head: bytes, timeout: float = 10) -> bytes:
    """Send raw bytes to the server and read its whole answer (it closes, or the read times out)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
                if b"\r\n\r\n" in data and b"connection: close" not in data.lower() and len(data) > 200:
                    break
        except (TimeoutError, ConnectionResetError):
            pass
    return data


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0


# ---------------------------------------------------------------- the server: client address, request heads, bad paths


def test_uvicorn_does_not_believe_forwarded_for_from_loopback(fake_engine):
    """Only BOT_TRUSTED_PROXIES decides whose X-Forwarded-For is believed: a forged header from 127.0.0.1 does not
    buy a fresh rate-limit bucket (uvicorn's own proxy headers would have believed it)."""
    settings = Settings(rate_limit=1, rate_limit_burst=1, rate_limit_loopback=True, cache_size=0)
    app = create_app(fake_engine, settings)
    with uvicorn_in_thread(app, **uvicorn_options(settings, "127.0.0.1", 0)) as port:
        codes = [
            status_of(raw_request(port, f"GET /api/ask?q=%E4%B8%BE%E6%8A%A5{i} HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.{i}\r\nConnection: close\r\n\r\n".encode()))
            for i in range(3)
        ]
    assert codes == [200, 429, 429]


def test_forwarded_for_is_believed_from_a_configured_proxy(fake_engine):
    settings = Settings(rate_limit=1, rate_limit_burst=1, rate_limit_loopback=True, trusted_proxies="127.0.0.1", cache_size=0)
    with uvicorn_in_thread(create_app(fake_engine, settings), **uvicorn_options(settings, "127.0.0.1", 0)) as port:
        codes = [
            status_of(raw_request(port, f"GET /api/ask?q=%E4%B8%BE%E6%8A%A5{i} HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.{i}\r\nConnection: close\r\n\r\n".encode()))
            for i in range(3)
        ]
    assert codes == [200, 200, 200]  # three visitors behind the proxy, one question each


@pytest.fixture(scope="module")
def live(fake_engine):
    """The app under uvicorn exactly as `bot serve` runs it."""
    settings = Settings(rate_limit=0)
    with uvicorn_in_thread(create_app(fake_engine, settings), **uvicorn_options(settings, "127.0.0.1", 0)) as port:
        yield port


def test_request_heads_are_bounded_in_size_and_count(live):
    big = raw_request(live, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (MAX_HEAD_BYTES + 1024) + b"\r\n\r\n")
    assert status_of(big) == 431
    # sent in pieces, never finished: refused once the bound is passed, without waiting for the end of the header
    with socket.create_connection(("127.0.0.1", live), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
        try:
            for _ in range(50):
                sock.sendall(b"a" * 4096)
                time.sleep(0.005)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert status_of(sock.recv(4096)) == 431
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(MAX_HEADERS + 1))
    assert status_of(raw_request(live, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")) == 431
    # just within the bounds, and a POST whose body arrives with its head: served
    fine = b"".join(b"X-H%d: v\r\n" % i for i in range(MAX_HEADERS - 5))
    assert status_of(raw_request(live, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + fine + b"\r\n")) == 200
    body = b'{"message": "' + "问".encode() * 400 + b'"}'
    post = b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body)
    assert status_of(raw_request(live, post + body)) == 200


def test_a_bad_path_is_a_404_without_a_traceback(live, caplog):
    with caplog.at_level(logging.DEBUG):
        for path in (b"/static/%00", b"/static/%00.js", b"/static/..%2Fbot%2Fapi.py", b"/static/x/%00", b"/docs/zhejiang-2019/%00"):
            response = raw_request(live, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert status_of(response) == 404, (path, response[:200])
    assert "Traceback" not in caplog.text and "internal error" not in caplog.text


# ---------------------------------------------------------------- framing, redirects, HEAD


def test_only_the_widget_page_may_be_framed(fake_engine, client):
    for path in ("/", "/kiosk", "/classroom", "/quiz", "/docs/zhejiang-2019/19", "/api/swagger"):
        assert "frame-ancestors 'none'" in client.get(path).headers["content-security-policy"], path
    assert "frame-ancestors 'none'" in client.get("/no/such/page", headers=HTML).headers["content-security-policy"]
    assert "frame-ancestors *;" in client.get("/embed").headers["content-security-policy"]
    only = TestClient(create_app(fake_engine, Settings(rate_limit=0, embed_ancestors="https://www.example.gov.cn")))
    assert "frame-ancestors https://www.example.gov.cn;" in only.get("/embed").headers["content-security-policy"]
    with pytest.raises(ValueError):
        Settings(embed_ancestors="*; script-src *")  # a setting cannot add directives


def test_trailing_slash_redirects_are_relative_and_never_to_another_host(live):
    response = raw_request(live, b"GET /kiosk/?idle=30 HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
    assert status_of(response) == 308
    assert re.search(rb"(?im)^location: /kiosk\?idle=30\r$", response), response[:300]
    assert b"evil.example" not in response
    for path in (b"//evil.example/", b"//evil.example/kiosk/", b"/\\evil.example/", b"/no/such/page/"):
        response = raw_request(live, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert status_of(response) == 404 and b"location:" not in response.lower(), (path, response[:300])


def get_routes(app) -> list[str]:
    """A concrete URL for every GET route of the app."""
    version = app.state.pages.version
    examples = {"{doc_id}": "zhejiang-2019", "{n}": "19", "{name}": "app.css", "{version}": version}
    urls = []
    for route in app.routes:
        if "GET" not in getattr(route, "methods", ()):
            continue
        url = route.path
        if url == "/api/swagger/ui/{name}":
            url = "/api/swagger/ui/swagger-ui.css"
        for key, value in examples.items():
            url = url.replace(key, value)
        urls.append(url + {"/api/ask": "?q=你好", "/api/quiz": "?n=3&seed=s"}.get(url, ""))
    return urls


def test_head_works_wherever_get_does(client):
    urls = get_routes(client.app)
    assert len(urls) >= 20
    for url in urls:
        got, head = client.get(url), client.head(url)
        assert head.status_code == got.status_code == 200, url
        assert head.content == b"", url
        assert head.headers["content-type"] == got.headers["content-type"], url
        if "content-length" in got.headers and not url.startswith("/metrics"):
            assert head.headers["content-length"] == got.headers["content-length"], url
    assert client.head("/no/such/page").status_code == 404


# ---------------------------------------------------------------- assets: versioned, cached long


def test_assets_are_versioned_and_cached_long_only_under_their_version(client):
    pages = client.app.state.pages
    page = client.get("/").text
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert urls and all(u.startswith(f"/static/{pages.version}/") for u in urls), urls
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200 and response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert client.get(url, headers={"If-None-Match": response.headers["etag"]}).status_code == 304
    # a module's own imports (./chat.js) resolve under the same versioned folder
    assert client.get(f"/static/{pages.version}/dom.js").headers["cache-control"].endswith("immutable")
    for stale in ("/static/000000000000/app.css", "/static/app.css"):
        assert client.get(stale).headers["cache-control"] == "no-cache"
    assert client.get("/").headers["cache-control"] == "no-cache"
    assert client.get("/widget.js").headers["cache-control"] == "public, max-age=300"


def test_the_version_changes_with_any_web_file(tmp_path):
    web = tmp_path / "web"
    shutil.copytree(WEB_DIR, web)
    _, before = load_assets(web)
    (web / "legal.js").write_text((web / "legal.js").read_text(encoding="utf-8") + "\n// changed\n", encoding="utf-8")
    _, after = load_assets(web)
    assert before != after


# ---------------------------------------------------------------- error pages: HTML for browsers, JSON for the API


def test_browsers_get_an_html_404_with_the_channels_and_the_api_keeps_json(client):
    for path in ("/no/such/page", "/docs/no-such-doc/1", "/docs/zhejiang-2019/99", "/docs/zhejiang-2019/abc", "/static/nope.js"):
        page = client.get(path, headers=HTML)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html"), path
        assert "找不到这个页面" in page.text and 'href="tel:12339"' in page.text and "当面举报" in page.text
    for path in ("/api/nope", "/api/docs/zhejiang-2019/articles/99", "/healthz/x"):
        api = client.get(path, headers=HTML)
        assert api.status_code == 404 and api.headers["content-type"] == "application/json" and api.json()["detail"], path
    assert client.get("/no/such/page").json() == {"detail": "Not Found"}  # curl, scripts: JSON
    wrong_method = client.post("/", headers=HTML)
    assert wrong_method.status_code == 405 and "官方举报渠道" in wrong_method.text


# ---------------------------------------------------------------- the channels in the pages


def test_every_page_is_sent_with_the_channels(client):
    for path in ("/", "/embed", "/kiosk", "/classroom", "/quiz", "/docs/zhejiang-2019/19"):
        page = client.get(path).text
        for channel in ("12339", "www.12339.gov.cn", "信函举报", "当面举报", "通过其他国家机关或所在单位"):
            assert channel in page, (path, channel)
        assert "{{" not in page, path
    assert 'href="tel:12339"' in client.get("/").text
    assert 'href="tel:' not in client.get("/kiosk").text  # the kiosk's page never links away from itself


def test_channels_are_escaped_and_letters_and_visits_name_the_local_office():
    hostile = Channel("hotline", "<img src=x onerror=alert(1)>", "12339", "javascript:alert(1)")
    rendered = channels_html([hostile], "")
    assert "<img" not in rendered and "&lt;img" in rendered and "javascript:" not in rendered
    assert 'href="tel:12339"' in rendered  # a hotline's digits still dial
    letter = Channel("letter", "信函举报", "向国家安全机关投递信函", how="写清看到的情况。")
    office = Channel("office", "某某市国家安全局", "某某市某某路1号")
    with_office = channels_html([letter, office], "拨打12339咨询。")
    assert "写清看到的情况。" in with_office and "某某市国家安全局：某某市某某路1号" in with_office and "咨询" not in with_office
    assert "拨打12339咨询。" in channels_html([letter], "拨打12339咨询。")
    hotline = Channel("hotline", "举报受理电话", "12339", "tel:12339")
    dialable = channels_html([hotline, letter], "不知道地址的，拨打12339咨询，或看www.12339.gov.cn。")
    assert dialable.count('href="tel:12339"') == 2 and "www.12339.gov.cn" in dialable  # strip and how, not the website
    assert 'href="tel:' not in channels_html([hotline, letter], "拨打12339咨询。", links=False)


# ---------------------------------------------------------------- what a page load costs


@pytest.fixture
def counted(fake_engine):
    """(encoder, engine) whose encoder counts the questions it encodes."""
    from bot.engine import Engine

    encoder = GatedEncoder()
    calls = []
    original = encoder.encode_queries
    encoder.encode_queries = lambda texts: (calls.append(texts), original(texts))[1]
    engine = Engine.assemble(fake_engine.corpus, fake_engine.index, encoder, segmenter=fake_engine.segmenter)
    yield calls, engine
    engine.close()


def test_page_loads_cost_no_rate_limit_token_and_no_encoder_call(counted):
    calls, engine = counted
    settings = Settings(rate_limit=60, rate_limit_burst=20, trusted_proxies="10.0.0.0/8")
    client = TestClient(create_app(engine, settings), client=("10.0.0.2", 50000))
    school = {"X-Forwarded-For": "198.51.100.7", **HTML}  # one school address behind the city's proxy
    calls.clear()
    for _ in range(41):
        page = client.get("/", headers=school)
        assert page.status_code == 200 and 'href="tel:12339"' in page.text and '"intent":"greeting"' in page.text
    assert calls == []
    metrics = client.get("/metrics").text
    assert "bot_rate_limited_total{" not in metrics


def test_a_class_behind_one_address_can_tap_cached_questions_while_new_questions_are_limited(counted):
    calls, engine = counted
    settings = Settings(rate_limit=60, rate_limit_burst=20, trusted_proxies="10.0.0.0/8")
    client = TestClient(create_app(engine, settings), client=("10.0.0.2", 50000))
    school = {"X-Forwarded-For": "198.51.100.7"}
    assert client.get("/api/ask", params={"q": "宣传日是哪天"}, headers=school).status_code == 200  # the first pupil pays
    taps = [client.get("/api/ask", params={"q": "宣传日是哪天"}, headers=school).status_code for _ in range(40)]
    assert taps == [200] * 40  # 40 cached answers cost 2 new questions
    new = [client.post("/api/chat", json={"message": f"重点单位要做什么{i}"}, headers=school).status_code for i in range(25)]
    assert 200 in new and new[-1] == 429  # one address still cannot flood the encoder
    metrics = client.get("/metrics").text
    assert 'bot_rate_limited_total{cost="new"}' in metrics


# ---------------------------------------------------------------- redaction of the opt-in log


REDACTION_CASES = [
    # (question, what must not survive, what must)
    ("我叫王小明，发现间谍怎么办", ["王小明"], ["发现间谍"]),
    ("王小明让我拍军港的照片", ["王小明"], ["拍军港的照片"]),
    ("我的同学李雷总问我爸单位的事", ["李雷"], ["单位的事"]),
    ("邻居张伟家里有奇怪的天线", ["张伟"], ["奇怪的天线"]),
    ("电话 +86 138 0000 1111 有人打来问部队的事", ["138", "0000", "1111"], ["部队"]),
    ("他的手机是138-0000-1111", ["0000-1111"], ["手机"]),
    ("座机0571-87654321", ["87654321"], ["座机"]),
    ("住在杭州市西湖区文三路123号3单元502室的人很可疑", ["文三路", "123号", "502室"], ["很可疑"]),
    ("阳光小区3幢2单元401室经常有人拍照", ["阳光小区3幢", "401室"], ["拍照"]),
    ("邮箱a.b@example.com给我发了奇怪的文件", ["a.b@example.com"], ["奇怪的文件"]),
    ("身份证330102199001011234被人借走", ["330102199001011234"], ["被人借走"]),
    ("加我微信号abc_12345说给我钱", ["abc_12345"], ["给我钱"]),
    ("车牌浙A12345的车一直在军港附近", ["浙A12345"], ["军港附近"]),
    ("my name is John Smith and I saw a spy", ["John", "Smith"], ["spy"]),
    ("离婚财产怎么分", [], ["离婚财产怎么分"]),
]


@pytest.mark.parametrize("question,gone,kept", REDACTION_CASES, ids=[c[0][:8] for c in REDACTION_CASES])
def test_redaction_table(fake_engine, question, gone, kept):
    redacted = redact(question, fake_engine.segmenter.person_names(question))
    for fragment in gone:
        assert fragment not in redacted, redacted
    for fragment in kept:
        assert fragment in redacted, redacted


def test_the_opt_in_log_is_redacted_end_to_end(fake_engine, caplog):
    client = TestClient(create_app(fake_engine, Settings(rate_limit=0, log_unanswered=True, cache_size=0)))
    with caplog.at_level(logging.INFO, logger="bot"):
        for question, gone, _ in REDACTION_CASES:
            client.post("/api/chat", json={"message": question + "，天气怎么样"})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged.count("unanswered") >= 5
    for _, gone, _ in REDACTION_CASES:
        for fragment in gone:
            assert fragment not in logged


# ---------------------------------------------------------------- every endpoint documents its response


def test_every_operation_documents_its_success_response(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            ok = operation["responses"]["200"]["content"]
            schema = next(iter(ok.values()))["schema"]
            assert schema.get("$ref") or schema.get("type") in ("array", "string"), (method, path, schema)


def test_pages_render_only_known_placeholders(fake_engine, tmp_path):
    web = tmp_path / "web"
    shutil.copytree(WEB_DIR, web)
    (web / "index.html").write_text("<p>{{no_such_value}}</p>", encoding="utf-8")
    with pytest.raises(ValueError, match="no_such_value"):
        Pages(fake_engine.corpus, lambda lang: b"{}", 90, "*", web_dir=web)

