"""Bad input: schemathesis against the service's own OpenAPI schema, and hypothesis properties of
normalisation, segmentation, fusion and the input rules of the API (fake encoder, no model)."""

from __future__ import annotations

import json
import logging
import unicodedata
from urllib.parse import quote

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schemathesis import checks as st_checks
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from bot.api import create_app
from bot.middleware import MAX_BODY
from bot.schemas import MAX_MESSAGE, AnswerOut
from bot.fusion import fuse
from bot.normalize import normalize, strip_control
from bot.settings import Settings

FIXTURE_OK = [HealthCheck.function_scoped_fixture]
ANY_CHAR = st.characters(exclude_categories=())  # every code point, lone surrogates included

# What strip_control promises to remove: C0/C1 controls (tab and newline are kept), lone surrogates,
# zero-width characters, bidirectional marks/embeddings/overrides/isolates, the soft hyphen.
ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\u2061", "\u2062", "\u2063", "\u2064", "\ufeff", "\u180e", "\u00ad"}
BIDI = {"\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}
ODD = sorted(ZERO_WIDTH | BIDI) + ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\r", "\n", "\t", "\u2028", "\u2029",
                                   "\ud800", "\udbff", "\udc00", "\udfff", "\u0301", "\u3000", "\xa0"]


def forbidden(ch: str) -> bool:
    """A character that must never survive strip_control."""
    cat = unicodedata.category(ch)
    return (cat == "Cc" and ch not in "\t\n") or cat == "Cs" or ch in ZERO_WIDTH or ch in BIDI


# ---------------------------------------------------------------- schemathesis (the service's own schema)

OPERATIONS = [
    "POST /api/chat",
    "GET /api/ask",
    "GET /api/docs",
    "GET /api/docs/{doc_id}/articles/{n}",
    "GET /api/faq",
    "GET /api/quiz",
    "GET /api/lesson",
    "GET /api/kiosk-config",
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
]


@pytest.fixture(scope="module")
def api_schema(fake_engine):
    # schemathesis.pytest.from_fixture() breaks on this pytest (it sets request.node._nodeid, gone in pytest 9),
    # so the operations are parametrised here and each runs its own hypothesis test from op.as_strategy().
    return schemathesis.openapi.from_asgi("/api/openapi.json", create_app(fake_engine, Settings(rate_limit=0)))


def test_every_operation_in_the_schema_is_fuzzed(api_schema):
    labels = {result.ok().label for result in api_schema.get_all_operations()}
    assert labels == set(OPERATIONS), "add new operations to OPERATIONS in tests/test_fuzz.py"


def _run_schemathesis(api_schema, label, check):
    operation = api_schema.find_operation_by_label(label)
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case):
        check(case, case.call())

    run()


@pytest.mark.parametrize("label", OPERATIONS)
def test_schemathesis_no_server_errors(api_schema, label):
    _run_schemathesis(api_schema, label, lambda case, response: case.validate_response(response, checks=[st_checks.not_a_server_error]))


@pytest.mark.parametrize("label", OPERATIONS)
def test_schemathesis_responses_match_the_schema(api_schema, label):
    _run_schemathesis(api_schema, label, lambda case, response: case.validate_response(response, checks=[response_schema_conformance]))


@pytest.mark.parametrize(
    "label,case_kwargs",
    [
        ("POST /api/chat", {"body": {"message": ""}}),
        ("GET /api/ask", {"query": {"q": " "}}),
        ("GET /api/docs/{doc_id}/articles/{n}", {"path_parameters": {"doc_id": "zhejiang-2019", "n": "abc"}}),
    ],
)
def test_validation_errors_match_the_declared_schema(api_schema, label, case_kwargs):
    case = api_schema.find_operation_by_label(label).Case(**case_kwargs)
    response = case.call()
    assert response.status_code == 422
    case.validate_response(response, checks=[response_schema_conformance])


# ---------------------------------------------------------------- normalisation


@given(st.text(ANY_CHAR, max_size=80) | st.lists(st.sampled_from(ODD + list("间谍abcA１")), max_size=30).map("".join))
@example("\u202e举报\u2066间\u00ad谍\u2069\u061c")
@settings(max_examples=300, deadline=None)
def test_strip_control_removes_every_invisible_or_control_character(text):
    out = strip_control(text)
    assert not [hex(ord(c)) for c in out if forbidden(c)]
    assert strip_control(out) == out  # idempotent
    assert all(c in text for c in out)  # removes, never adds or rewrites


@given(st.text(ANY_CHAR, max_size=80) | st.lists(st.sampled_from(ODD + list("間諜举报ＡBc１")), max_size=30).map("".join))
@example("\u85b4")  # OpenCC t2s maps 苧 → 苧 → 苎: normalize is idempotent only after its second application
@settings(max_examples=300, deadline=None)
def test_normalize_never_raises_and_gives_clean_single_spaced_text(text):
    out = normalize(text)
    assert isinstance(out, str)
    assert not [hex(ord(c)) for c in out if forbidden(c) or (c.isspace() and c != " ")]
    assert out == out.strip() and "  " not in out
    twice = normalize(out)
    assert normalize(twice) == twice


# ---------------------------------------------------------------- segmentation


@given(st.text(ANY_CHAR, max_size=60) | st.lists(st.sampled_from(ODD + ["间谍", "国安局", "举报", "12339", "，", "。", " ", "🕵️"]), max_size=20).map("".join))
@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURE_OK)
def test_segmenter_tokens_are_non_empty_words_without_whitespace(fake_engine, text):
    tokens = fake_engine.segmenter.tokens(text)
    assert isinstance(tokens, list)
    for tok in tokens:
        assert isinstance(tok, str) and tok
        assert not any(c.isspace() or forbidden(c) for c in tok), repr(tok)


# ---------------------------------------------------------------- fusion (what tests/test_fusion.py does not cover)

int_scores = st.dictionaries(st.text(min_size=1, max_size=3), st.integers(-1000, 1000).map(float), max_size=15)


@given(int_scores, int_scores, st.integers(1, 50), st.integers(-500, 500))
def test_fusion_ignores_the_scale_and_offset_of_each_source(a, b, scale, shift):
    rescaled = {k: v * scale + shift for k, v in a.items()}
    assert fuse({"a": a, "b": b}, {"a": 0.4, "b": 0.6}) == fuse({"a": rescaled, "b": b}, {"a": 0.4, "b": 0.6})


@given(int_scores, int_scores, st.sampled_from([0.25, 0.5, 2.0, 8.0]))
def test_scaling_all_weights_keeps_the_ranking(a, b, factor):
    base = fuse({"a": a, "b": b}, {"a": 0.4, "b": 0.6})
    scaled = fuse({"a": a, "b": b}, {"a": 0.4 * factor, "b": 0.6 * factor})
    assert [k for k, _ in base] == [k for k, _ in scaled]


@given(int_scores, int_scores, st.sampled_from([0.0, -1.0]))
def test_sources_without_positive_weight_contribute_no_candidates(a, b, weight):
    assert {k for k, _ in fuse({"a": a, "b": b, "c": b}, {"a": 1.0, "b": weight})} == set(a)
    assert fuse({}, {"a": 1.0}) == [] and fuse({"a": a}, {}) == []


# ---------------------------------------------------------------- the API's input rules, through the HTTP layer

QUESTIONS = ["发现间谍怎么举报", "宣传日是哪天", "你好", "重点单位要做什么", "明天天气怎么样", "那学生呢？", "这条是什么意思"]
ARTICLE_REFS = st.builds(
    lambda prefix, n, para, tail: f"{prefix}第{n}条{para}{tail}",
    st.sampled_from(["", "办法", "反间谍法", "实施细则", "国家安全法", "奖励办法", "《浙江省反间谍安全防范办法》"]),
    st.one_of(st.integers(0, 10**7).map(str), st.sampled_from(["〇", "零", "十九", "二十三", "一百零一", "九千九百九十九", "一万", "１９", "0019"])),
    st.one_of(st.just(""), st.integers(0, 30).map(lambda p: f"第{p}款"), st.sampled_from(["第〇款", "第二款"])),
    st.sampled_from(["", "是什么", "讲了什么", "？", " 原文"]),
)
PIECES = st.one_of(
    st.text(ANY_CHAR, max_size=20),
    st.sampled_from(ODD),
    st.sampled_from(["🕵️‍♂️", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🔥", "𓀀", "ᚠᛇᚻ", "مرحبا", "שלום", "Ａ", "①", "ﬁ", "İ", "ß", "\U0010ffff"]),
    st.sampled_from(QUESTIONS),
    ARTICLE_REFS,
)


@st.composite
def messages(draw):
    """A message with a distinctive marker somewhere in it: mixed scripts, invisible characters, lone
    surrogates, article references, or a long run (up to 10,000 characters)."""
    marker = "zq" + draw(st.uuids()).hex[:14]
    if draw(st.integers(0, 5)) == 0:
        run = draw(st.sampled_from(["问", "a", "\u200b", "🔥", " ", "\x00", "第十九条"])) * draw(st.integers(MAX_MESSAGE - 20, 10_000))
        cut = draw(st.integers(0, len(run)))
        return marker, run[:cut] + marker + run[cut:]
    parts = draw(st.lists(PIECES, max_size=8))
    parts.insert(draw(st.integers(0, len(parts))), marker)
    return marker, "".join(parts)


def _expected_chat_status(message: str, body: bytes) -> set[int]:
    if len(body) > MAX_BODY:
        return {413}
    if len(message) > 4 * MAX_MESSAGE:
        return {422}
    cleaned = strip_control(message).strip()
    if any("\ud800" <= c <= "\udfff" for c in message):
        return {422} if not cleaned or len(cleaned) > MAX_MESSAGE else {200, 422}  # pydantic refuses lone surrogates
    return {422} if not cleaned or len(cleaned) > MAX_MESSAGE else {200}


@pytest.fixture(scope="module")
def fuzz_client(fake_engine):
    # access_log on, DEBUG everywhere: the most talkative configuration must still not log what people type.
    return TestClient(create_app(fake_engine, Settings(access_log=True, log_level="DEBUG", rate_limit=0)))


def _logged(caplog) -> str:
    formatter = logging.Formatter("%(name)s %(message)s")
    return "\n".join(formatter.format(r) for r in caplog.records if not r.name.startswith("httpx"))  # httpx: the test client


def _assert_answer(response, fake_engine):
    answer = AnswerOut.model_validate(response.json())
    assert answer.channels and answer.corpus_version == fake_engine.corpus.version
    assert 0.0 <= answer.confidence <= 1.0


@given(messages(), st.booleans())
@example(("zqmarker00000001", "第0条zqmarker00000001"), False)
@example(("zqmarker00000002", "反间谍法第99999条zqmarker00000002"), False)
@example(("zqmarker00000003", "第〇条是什么zqmarker00000003"), True)
@example(("zqmarker00000004", "\ud800zqmarker00000004\udfff"), True)
@example(("zqmarker00000005", "\u202e\u2066zqmarker00000005\u200b\x00"), True)
@settings(max_examples=120, deadline=None, suppress_health_check=FIXTURE_OK)
def test_chat_never_fails_on_any_message_and_never_logs_it(fuzz_client, fake_engine, caplog, drawn, ascii_json):
    marker, message = drawn
    has_surrogates = any("\ud800" <= c <= "\udfff" for c in message)
    body = json.dumps({"message": message}, ensure_ascii=ascii_json or has_surrogates).encode("utf-8")
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        response = fuzz_client.post("/api/chat", content=body, headers={"content-type": "application/json"})
        follow_up = json.dumps({"message": "那学生呢？", "history": [{"role": "user", "text": message[:1000]}]}).encode()
        as_history = fuzz_client.post("/api/chat", content=follow_up, headers={"content-type": "application/json"})
    assert response.status_code in _expected_chat_status(message, body), (response.status_code, response.text[:300])
    assert as_history.status_code in {200, 422}, as_history.text[:300]
    if response.status_code == 200:
        _assert_answer(response, fake_engine)
    else:
        assert response.json()["detail"]
    assert marker not in _logged(caplog)
    assert marker not in response.text or response.status_code == 200  # errors never echo the message either


@given(messages())
@example(("zqmarker00000006", "第0条zqmarker00000006"))
@settings(max_examples=80, deadline=None, suppress_health_check=FIXTURE_OK)
def test_ask_never_fails_on_any_query_and_never_logs_it(fuzz_client, fake_engine, caplog, drawn):
    marker, message = drawn
    if len(message) > 2500:  # the client refuses longer URLs; 2500 is still over the 2000-character limit of q
        message = marker + message[:2500]
    # Percent-encode the raw code points (lone surrogates become invalid UTF-8 bytes, as a hostile client would send).
    query = quote(message.encode("utf-8", "surrogatepass"), safe="")
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        response = fuzz_client.get(f"/api/ask?q={query}")
    assert response.status_code in {200, 422}, (response.status_code, response.text[:300])
    if response.status_code == 200:
        _assert_answer(response, fake_engine)
        assert response.headers["etag"]
    assert marker not in _logged(caplog)


@pytest.mark.parametrize(
    "message,missing",
    [("第0条", "没有第0条"), ("第〇条是什么", "没有第〇条"), ("第99999条", "没有第99999条"), ("反间谍法第0条", "没有第0条"),
     ("第十九条第0款", "没有第十九条第0款"), ("第十九条第九款", "没有第十九条第九款")],
    ids=["0", "zero-numeral", "99999", "national-0", "paragraph-0", "paragraph-9"],
)
def test_lookups_of_impossible_article_numbers_say_there_is_none(fuzz_client, message, missing):
    response = fuzz_client.post("/api/chat", json={"message": message})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert missing in answer["answer"] and answer["citations"] == []
