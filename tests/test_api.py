"""The HTTP contract of SPEC.md against the real corpus and the bundled encoder."""

import json
import logging

import pytest
from fastapi.testclient import TestClient

from bot.api import create_app
from bot.redact import redact
from bot.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(real_engine):
    return TestClient(create_app(real_engine, Settings(cache_size=64)))


def chat(client, message, history=None):
    body = {"message": message}
    if history is not None:
        body["history"] = history
    response = client.post("/api/chat", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def assert_answer_shape(answer, corpus_version):
    assert set(answer) == {
        "intent", "answer", "citations", "channels", "suggestions", "confidence", "corpus_version", "coverage", "lang", "steps",
    }
    assert answer["corpus_version"] == corpus_version
    assert any(ch["kind"] == "hotline" and ch["value"] == "12339" for ch in answer["channels"])
    assert 0.0 <= answer["confidence"] <= 1.0


def test_question_is_answered_with_verbatim_citations_primary_first(client, real_engine):
    answer = chat(client, "发现间谍行为应该怎么举报？")
    assert_answer_shape(answer, real_engine.corpus.version)
    assert answer["intent"] == "question"
    first = answer["citations"][0]
    assert (first["doc_id"], first["article"]) in {("zhejiang-2019", 19), ("zhejiang-2019", 12)}
    for c in answer["citations"]:
        article = real_engine.corpus.article(c["doc_id"], c["article"]).text.splitlines()
        assert all(line in article for line in c["text"].splitlines())  # verbatim lines (a 项 comes with its 款's lead)
        assert c["url"] == f"/docs/{c['doc_id']}/{c['article']}"
    assert 2 <= len(answer["suggestions"]) <= 4


def test_report_leads_with_what_to_do_and_cites_reporting_articles(client):
    answer = chat(client, "有人出高价让我拍军港的照片，我该怎么办")
    assert answer["intent"] == "report"
    assert answer["answer"].startswith("请先这样做") and answer["steps"] and answer["answer"].index(answer["steps"][0]) < 20
    assert "12339" in answer["answer"] and "不受理举报" in answer["answer"] and any("12339" in step for step in answer["steps"])
    assert (answer["citations"][0]["doc_id"], answer["citations"][0]["article"]) == ("zhejiang-2019", 19)
    assert len(answer["citations"]) <= 3  # the steps come first; at most three articles under them


@pytest.mark.parametrize("message", ["明天杭州天气怎么样", "离婚财产怎么分割", "闯红灯罚多少钱"])
def test_out_of_scope_says_so_cites_nothing_and_offers_three_questions(client, message):
    answer = chat(client, message)
    assert answer["intent"] == "out_of_scope"
    assert answer["citations"] == []
    assert len(answer["suggestions"]) == 3
    assert answer["channels"]


def test_greeting(client):
    answer = chat(client, "你好")
    assert answer["intent"] == "greeting" and answer["citations"] == [] and answer["suggestions"]


@pytest.mark.parametrize("message,article,paragraph", [("第九条是什么", 9, None), ("第十九条第二款", 19, 2), ("办法第23条讲了什么", 23, None)])
def test_direct_lookup_returns_that_article(client, message, article, paragraph):
    answer = chat(client, message)
    c = answer["citations"][0]
    assert (c["doc_id"], c["article"], c["paragraph"]) == ("zhejiang-2019", article, paragraph)


def test_lookup_of_a_missing_article_says_so(client):
    answer = chat(client, "第九十九条")
    assert "没有第九十九条" in answer["answer"] and answer["citations"] == []


def test_national_law_lookup_and_old_numbering_note(client):
    answer = chat(client, "实施细则第十六条是什么")
    c = answer["citations"][0]
    assert (c["doc_id"], c["article"]) == ("shishixize-2017", 16)
    assert "现行《反间谍法》第九条" in c["current_law"] and "现行《反间谍法》第九条" in answer["answer"]


def test_follow_up_about_someone_else_asks_the_previous_question_about_them(client):
    history = [{"role": "user", "text": "重点单位要做哪些事"}, {"role": "bot", "text": "……"}]
    answer = chat(client, "那高新技术企业呢", history)
    assert (answer["citations"][0]["doc_id"], answer["citations"][0]["article"]) == ("zhejiang-2019", 10)


def test_follow_up_uses_history(client):
    history = [{"role": "user", "text": "每年的反间谍法宣传日是哪一天？"}, {"role": "bot", "text": "每年11月1日。"}]
    answer = chat(client, "这条是什么意思", history)
    assert (answer["citations"][0]["doc_id"], answer["citations"][0]["article"]) == ("zhejiang-2019", 15)
    history = [{"role": "user", "text": "单位发现间谍线索怎么办"}, {"role": "bot", "text": "……"}]
    answer = chat(client, "具体怎么举报？", history)
    assert any(c["article"] == 19 for c in answer["citations"]) or "12339" in answer["answer"]


@pytest.mark.parametrize(
    "body,status",
    [
        ({"message": ""}, 422),
        ({"message": "   \t "}, 422),
        ({"message": "问" * 501}, 422),
        ({"message": 5}, 422),
        ({"message": None}, 422),
        ({}, 422),
        ({"message": "你好", "history": [{"role": "admin", "text": "x"}]}, 422),
        ({"message": "你好", "history": [{"role": "user", "text": "x"}] * 11}, 422),
        ({"message": "你好", "history": [{"role": "user", "text": "长" * 501}]}, 422),
        ({"message": "你好", "history": "oops"}, 422),
        ({"message": "你好", "extra": 1}, 422),
    ],
)
def test_bad_bodies_get_a_4xx_with_a_detail(client, body, status):
    response = client.post("/api/chat", json=body)
    assert response.status_code == status
    assert response.json()["detail"]


@pytest.mark.parametrize("raw", [b"null", b"[1,2]", b"{not json", b'{"message": "\xff\xfe"}', b'"just a string"'])
def test_malformed_json_gets_a_4xx(client, raw):
    response = client.post("/api/chat", content=raw, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()


def test_oversized_body_is_refused(client):
    response = client.post("/api/chat", content=b'{"message": "' + b"a" * 17000 + b'"}', headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_control_characters_are_stripped_and_emoji_answered(client):
    answer = chat(client, "\u0000\u200b发现间谍\u202e怎么举报\u0007")
    assert answer["intent"] in ("question", "report")
    assert chat(client, "🕵️‍♂️🔥")["channels"]
    assert chat(client, "ᚠᛇᚻ ᛒᛦᚦ 𓀀")["channels"]


def test_ask_has_etag_cache_control_and_304(client):
    first = client.get("/api/ask", params={"q": "宣传日是哪天"})
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public, max-age=")
    assert "set-cookie" not in first.headers
    assert client.get("/api/ask", params={"q": " 宣传日是哪天 "}).headers["etag"] == etag  # normalised question
    assert client.get("/api/ask", params={"q": "宣傳日是哪天"}).headers["etag"] == etag  # traditional → simplified
    again = client.get("/api/ask", params={"q": "宣传日是哪天"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get("/api/ask", params={"q": "举报有奖励吗"}).headers["etag"] != etag
    assert client.get("/api/ask", params={"q": ""}).status_code == 422
    assert client.get("/api/ask").status_code == 422


def test_docs_articles_and_faq(client, real_engine):
    docs = client.get("/api/docs").json()
    assert docs[0] == {"doc_id": "zhejiang-2019", "title": "浙江省反间谍安全防范办法", "articles": 23, "effective": "2019-09-01", "status": "现行有效", "primary": True}
    assert {d["doc_id"]: d["status"] for d in docs}["fanjiandiefa-2014"] == "已修订"
    art = client.get("/api/docs/zhejiang-2019/articles/19").json()
    assert art["label"] == "第十九条" and len(art["paragraphs"]) == 2 and art["paragraphs"][1].startswith("对举报的涉嫌间谍行为")
    assert client.get("/api/docs/zhejiang-2019/articles/24").status_code == 404
    assert client.get("/api/docs/nope/articles/1").status_code == 404
    assert client.get("/api/docs/zhejiang-2019/articles/abc").status_code == 422
    faq = client.get("/api/faq").json()
    assert len(faq) == len(real_engine.corpus.faq) and {"id", "questions", "answer", "citations"} <= set(faq[0])


def test_health_ready_and_metrics(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    chat(client, "举报有奖励吗")
    chat(client, "举报有奖励吗")
    metrics = client.get("/metrics").text
    assert 'bot_requests_total{method="POST",route="/api/chat",status="200"}' in metrics
    assert "bot_request_seconds_bucket" in metrics
    assert 'bot_answers_total{intent="question"}' in metrics
    assert 'bot_answer_cache_total{result="hit"}' in metrics
    assert "举报有奖励吗" not in metrics


def test_default_logs_never_contain_what_people_typed(real_engine, caplog):
    client = TestClient(create_app(real_engine, Settings(access_log=True)))
    secret = "我叫王小明，电话13812345678，离婚怎么办"
    with caplog.at_level(logging.DEBUG):
        chat(client, secret)
        client.get("/api/ask", params={"q": secret})
        client.post("/api/chat", json={"message": "你好", "history": [{"role": "user", "text": secret}]})
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))  # httpx is the test client
    assert "/api/chat" in logged  # access logging is on, and still clean
    for fragment in ("王小明", "13812345678", "离婚"):
        assert fragment not in logged


def test_opt_in_log_of_unanswered_questions_is_redacted(real_engine, caplog):
    client = TestClient(create_app(real_engine, Settings(log_unanswered=True, cache_size=0)))
    with caplog.at_level(logging.INFO, logger="bot"):
        chat(client, "我叫王小明，电话13812345678，邮箱a.b@example.com，身份证330102199001011234，离婚怎么分财产")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "unanswered" in logged and "离婚" in logged
    for fragment in ("王小明", "13812345678", "a.b@example.com", "330102199001011234"):
        assert fragment not in logged


def test_redact():
    assert redact("我叫李雷，手机 13912345678") == "我叫[姓名]，手机 [电话]"
    assert "[邮箱]" in redact("mail me: x_y@z.cn")


def test_openapi_schema_is_served(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/chat" in schema["paths"] and "/api/ask" in schema["paths"]


def test_api_page_serves_swagger_ui_from_this_server(client):
    page = client.get("/api/swagger")
    assert page.status_code == 200 and "/api/swagger/ui/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    script = client.get("/api/swagger/ui/swagger-ui-bundle.js")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.text
    assert client.get("/api/swagger/ui/swagger-ui.css").status_code == 200
    for name in ("swagger-editor.js", "..%2F__init__.py", "index.html"):
        assert client.get(f"/api/swagger/ui/{name}").status_code == 404
