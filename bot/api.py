"""The HTTP service (FastAPI): the API of SPEC.md, health and metrics, and the web pages in web/."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import __version__
from .answer import Answerer, Turn, cache_key
from .classroom import lesson_steps, make_quiz
from .corpus import Citation
from .engine import Engine
from .normalize import strip_control
from .paths import shipped
from .ratelimit import RateLimiter, client_address
from .settings import Settings

log = logging.getLogger("bot")
WEB_DIR = shipped("web")
MAX_MESSAGE = 500
MAX_TURNS = 10
MAX_SHOWN = 8  # citations a bot turn of the history may carry
MAX_BODY = 16 * 1024
CLIENT_CLOSED = 499  # metrics status of a request whose client left before it could be answered
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors *; base-uri 'none'; form-action 'self'"
)
BUSY = "服务繁忙，请稍后再试。Busy: too many new questions are being answered right now; please try again in a moment."
PAGES = {
    "/": "index.html", "/kiosk": "kiosk.html", "/embed": "embed.html", "/classroom": "classroom.html", "/quiz": "quiz.html",
    "/api/swagger": "swagger.html",
}
SWAGGER_UI_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")


# ---------------------------------------------------------------- request and response models


def _clean(text: str, what: str) -> str:
    text = strip_control(text).strip()
    if not text:
        raise ValueError(f"{what} must not be empty or blank")
    if len(text) > MAX_MESSAGE:
        raise ValueError(f"{what} is {len(text)} characters; at most {MAX_MESSAGE} are allowed")
    return text


class Problem(BaseModel):
    """Every error: what to fix, as one message or one per field."""

    detail: list[str] | str


BUSY_RESPONSE = {503: {"model": Problem, "description": "busy: too many new questions at once; retry after `Retry-After` seconds"}}


class ShownCitation(BaseModel):
    """An article an earlier bot turn showed (what "这条" refers to)."""

    model_config = ConfigDict(extra="forbid")
    doc_id: str = Field(max_length=40)
    article: int = Field(ge=1, le=9999)
    paragraph: int | None = Field(default=None, ge=1, le=99)
    item: int | None = Field(default=None, ge=1, le=99)


class HistoryTurn(BaseModel):
    """An earlier turn: who said it and what; a bot turn may say which articles it showed."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "bot"]
    text: str = Field(max_length=2 * MAX_MESSAGE)
    citations: list[ShownCitation] = Field(default_factory=list, max_length=MAX_SHOWN, description="bot turns: the articles shown")

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        return _clean(v, "history text")


class ChatRequest(BaseModel):
    """POST /api/chat body."""

    model_config = ConfigDict(extra="forbid")
    message: str = Field(description="the question, 1–500 characters", max_length=4 * MAX_MESSAGE)
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_TURNS, description="at most 10 earlier turns")

    @field_validator("message")
    @classmethod
    def _message(cls, v: str) -> str:
        return _clean(v, "message")


class CitationOut(BaseModel):
    doc_id: str
    title: str
    article: int
    label: str
    paragraph: int | None
    text: str
    url: str
    score: float
    current_law: str | None = None
    items: list[int] = Field(default_factory=list, description="the 项 of the paragraph this citation quotes, when it quotes items")


class ChannelOut(BaseModel):
    kind: str
    label: str
    value: str
    href: str = ""


class AnswerOut(BaseModel):
    """The answer object of SPEC.md."""

    intent: Literal["question", "report", "greeting", "out_of_scope"]
    answer: str
    citations: list[CitationOut]
    channels: list[ChannelOut]
    suggestions: list[str]
    confidence: float
    corpus_version: str
    coverage: Literal["full", "partial"] | None = Field(default=None, description="partial: the texts only partly answer it")
    lang: Literal["zh-Hans", "zh-Hant", "en"] = Field(default="zh-Hans", description="the language of `answer`")
    steps: list[str] = Field(default_factory=list, description="report answers: what to do now, one step each")


class DocOut(BaseModel):
    doc_id: str
    title: str
    articles: int
    effective: str
    status: str
    primary: bool


class ArticleOut(BaseModel):
    doc_id: str
    title: str
    article: int
    label: str
    chapter: str
    text: str
    paragraphs: list[str]


class CitationRef(BaseModel):
    doc_id: str
    article: int
    paragraph: int | None = None
    item: int | None = None


class FaqOut(BaseModel):
    id: str
    topic: str
    audience: list[str]
    questions: list[str]
    answer: str
    citations: list[CitationRef]


# ---------------------------------------------------------------- privacy: redaction for the opt-in log

_REDACTIONS = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[邮箱]"),
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), "[身份证号]"),
    (re.compile(r"(?<!\d)(\+?86[- ]?)?1[3-9]\d{9}(?!\d)"), "[电话]"),
    (re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)"), "[电话]"),
    (re.compile(r"(?<!\d)\d{6,}(?!\d)"), "[数字]"),
    (re.compile(r"(我叫|我是|名叫|叫做|姓名[:：]?|名字是|他叫|她叫|同事|邻居)\s*[\u4e00-\u9fff]{2,3}"), r"\1[姓名]"),
    (re.compile(r"(?i)(my name is|i am|i'm)\s+[A-Z][a-z]+(\s+[A-Z][a-z]+)?"), r"\1 [name]"),
)


def redact(text: str) -> str:
    """Remove phone numbers, ID numbers, e-mail addresses and people's names from a question."""
    for pattern, repl in _REDACTIONS:
        text = pattern.sub(repl, text)
    return text


# ---------------------------------------------------------------- metrics and caching


class Metrics:
    """Prometheus metrics; labels are route templates and intents, never what a person typed."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("bot_requests_total", "HTTP requests", ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram(
            "bot_request_seconds", "HTTP request latency", ["route"], registry=self.registry,
            buckets=(0.001, 0.002, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5),
        )
        self.intents = Counter("bot_answers_total", "Answers by intent", ["intent"], registry=self.registry)
        self.cache = Counter("bot_answer_cache_total", "Answer cache lookups", ["result"], registry=self.registry)
        self.shed = Counter("bot_shed_total", "Uncached answers refused with 503 because too many were pending", registry=self.registry)
        self.pending = Gauge("bot_answers_pending", "Uncached answers waiting for or in the thread pool", registry=self.registry)


@dataclass(frozen=True)
class AnswerJSON:
    """An answer serialised once: its intent (for metrics) and the JSON of AnswerOut, ready to send."""

    intent: str
    body: bytes


class AnswerCache:
    """A thread-safe LRU of serialised answers to single questions (no history), by normalised question."""

    def __init__(self, size: int):
        self.size = size
        self._data: OrderedDict[str, AnswerJSON] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> AnswerJSON | None:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def put(self, key: str, value: AnswerJSON) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


# ---------------------------------------------------------------- middleware (plain ASGI: BaseHTTPMiddleware re-streams every response)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    return route.path if route is not None else "unmatched"


class BodyLimit:
    """Refuse request bodies over MAX_BODY bytes with 413 before the app parses them."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        length = Headers(scope=scope).get("content-length")
        if length and (not length.isdigit() or int(length) > MAX_BODY):
            return await self._refuse(scope, receive, send)
        # Count the bytes themselves too: a chunked body has no Content-Length, and a header can lie.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nobody to answer
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > MAX_BODY:
                return await self._refuse(scope, receive, send)
            more = message.get("more_body", False)
        body, replayed = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse({"detail": f"request body too large: at most {MAX_BODY} bytes"}, status_code=413)(scope, receive, send)


class Observe:
    """Every request: metrics by route template, the opt-in access log, security headers, and a JSON 500 that
    never carries a traceback (or the request) to the client."""

    def __init__(self, app: ASGIApp, metrics: Metrics, access_log: bool):
        self.app, self.metrics, self.access_log = app, metrics, access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 0

        async def send_secured(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = CSP
            await send(message)

        try:
            await self.app(scope, receive, send_secured)
        except Exception:
            log.exception("internal error on %s", _route_template(scope))
            if status:  # the response has begun: too late for a clean 500, let the server drop the connection
                raise
            await JSONResponse({"detail": "internal error"}, status_code=500)(scope, receive, send_secured)
        finally:
            # no response at all and no error: the client went away before its request was read (nginx's 499)
            code = str(status or CLIENT_CLOSED)
            template, elapsed = _route_template(scope), time.perf_counter() - started
            self.metrics.requests.labels(template, scope["method"], code).inc()
            self.metrics.latency.labels(template).observe(elapsed)
            if self.access_log:
                log.info("%s %s %s %.1fms", scope["method"], template, code, elapsed * 1000)


# ---------------------------------------------------------------- the app


def create_app(engine: Engine, settings: Settings) -> FastAPI:
    """The FastAPI app around a loaded engine."""
    answerer = Answerer(engine)
    cache = AnswerCache(settings.cache_size)
    limiter = RateLimiter(settings.rate_limit, settings.rate_limit_burst, settings.rate_limit_loopback)
    trusted = settings.trusted_proxy_list
    metrics = Metrics()
    corpus = engine.corpus
    app = FastAPI(
        title="反间谍安全防范问答 API",
        version=__version__,
        description="Answers about 《浙江省反间谍安全防范办法》 with verbatim citations and the official reporting channels.",
        docs_url=None,  # served below from files on this machine: FastAPI's page loads Swagger UI from a CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
        responses={422: {"model": Problem, "description": "the request is invalid; `detail` says what to fix"}},
    )
    app.state.engine, app.state.metrics = engine, metrics
    app.add_middleware(BodyLimit)
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origin_list, allow_methods=["GET", "POST"], allow_headers=["Content-Type", "If-None-Match"]
        )

    app.add_middleware(Observe, metrics=metrics, access_log=settings.access_log)  # added last, so it sees every response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            if err.get("type") == "json_invalid":
                msg = "the body is not valid JSON (UTF-8); send {\"message\": \"...\"}"
            problems.append(f"{where}: {msg}")
        return JSONResponse({"detail": problems}, status_code=422)

    async def rate_limited(request: Request) -> None:
        """429 with Retry-After when this client asks faster than the configured rate."""
        client = client_address(request.client.host if request.client else None, request.headers.get("x-forwarded-for"), trusted)
        if wait := limiter.retry_after(client):
            metrics.requests.labels("rate_limited", request.method, "429").inc()
            raise HTTPException(429, detail=f"too many questions; try again in {wait} s", headers={"Retry-After": str(wait)})

    pending = 0  # uncached answers waiting for or in the thread pool; only touched on the event loop, so no lock
    metrics.pending.set_function(lambda: pending)

    async def respond(message: str, history: list[Turn]) -> AnswerJSON:
        """The answer, serialised; cache hits are served on the event loop, misses computed in the thread pool.
        A miss past BOT_MAX_PENDING is refused at once (503): better than every visitor waiting seconds in a queue."""
        nonlocal pending
        key = cache_key(message) if not history else None
        if key is not None and (hit := cache.get(key)) is not None:
            metrics.cache.labels("hit").inc()
            metrics.intents.labels(hit.intent).inc()
            return hit
        if key is not None:
            metrics.cache.labels("miss").inc()
        if 0 < settings.max_pending <= pending:
            metrics.shed.inc()
            raise HTTPException(503, detail=BUSY, headers={"Retry-After": "1"})
        pending += 1
        try:
            result = await run_in_threadpool(answerer.answer, message, history)
        finally:
            pending -= 1
        metrics.intents.labels(result.intent).inc()
        if settings.log_unanswered and (result.intent == "out_of_scope" or result.source == "articles"):
            log.info("unanswered (%s): %s", result.intent, redact(message))
        # Validated against AnswerOut once, here: hits then skip FastAPI's response_model step.
        answer = AnswerJSON(result.intent, AnswerOut.model_validate(result.to_dict()).model_dump_json().encode())
        if key is not None:
            cache.put(key, answer)
        return answer

    @app.post(
        "/api/chat", response_model=AnswerOut, tags=["answers"], summary="Answer a message in a conversation",
        dependencies=[Depends(rate_limited)], responses={429: {"description": "too many questions from this client"}, **BUSY_RESPONSE},
    )
    async def chat(body: ChatRequest) -> Response:
        """The answer to `message`; `history` (earlier turns) resolves follow-ups such as 那学生呢？"""
        history = [Turn(t.role, t.text, tuple(Citation(c.doc_id, c.article, c.paragraph, c.item) for c in t.citations)) for t in body.history]
        answer = await respond(body.message, history)
        return Response(answer.body, media_type="application/json")

    @app.get(
        "/api/ask", response_model=AnswerOut, tags=["answers"], summary="Answer one question (cacheable)",
        dependencies=[Depends(rate_limited)],
        responses={304: {"description": "not modified"}, 429: {"description": "too many questions"}, **BUSY_RESPONSE},
    )
    async def ask(request: Request, q: str = Query(..., description="the question, 1–500 characters", max_length=4 * MAX_MESSAGE)) -> Response:
        """The same answer object for a single question, with ETag/Cache-Control so a CDN can cache it."""
        try:
            message = _clean(q, "q")
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=[f"q: {exc}"]) from exc
        etag = '"' + hashlib.sha256(f"{corpus.version}\0{cache_key(message)}".encode()).hexdigest()[:20] + '"'
        headers = {"ETag": etag, "Cache-Control": f"public, max-age={settings.ask_max_age}"}
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        answer = await respond(message, [])
        return Response(answer.body, media_type="application/json", headers=headers)

    @app.get("/api/docs", response_model=list[DocOut], tags=["corpus"], summary="The documents the bot answers from")
    def docs() -> list[dict]:
        """Primary document first; superseded texts are listed with their status."""
        ordered = sorted(corpus.documents.values(), key=lambda d: (not d.primary, d.doc_id))
        return [
            {"doc_id": d.doc_id, "title": d.title, "articles": len(d.articles), "effective": d.effective, "status": d.status, "primary": d.primary}
            for d in ordered
        ]

    @app.get("/api/docs/{doc_id}/articles/{n}", response_model=ArticleOut, tags=["corpus"], summary="One article, verbatim")
    def article(doc_id: str, n: int) -> dict:
        """Full text of an article and its paragraphs (款)."""
        doc = corpus.documents.get(doc_id)
        if doc is None:
            raise HTTPException(404, detail=f"unknown document {doc_id!r}; GET /api/docs lists them")
        art = doc.article(n)
        if art is None:
            raise HTTPException(404, detail=f"{doc.title} has articles 1–{len(doc.articles)}; there is no article {n}")
        return {
            "doc_id": doc_id, "title": doc.title, "article": n, "label": art.label, "chapter": art.chapter,
            "text": art.text, "paragraphs": [p.text for p in art.paragraphs],
        }

    @app.get("/api/faq", response_model=list[FaqOut], tags=["corpus"], summary="All FAQ entries")
    def faq() -> list[dict]:
        """FAQ entries with their phrasings, answers and citations."""
        return [
            {
                "id": e.id, "topic": e.topic, "audience": list(e.audience), "questions": list(e.questions), "answer": e.answer,
                "citations": [{"doc_id": c.doc_id, "article": c.article, "paragraph": c.paragraph, "item": c.item} for c in e.citations],
            }
            for e in corpus.faq
        ]

    @app.get("/api/quiz", tags=["classroom"], summary="A classroom quiz from the question bank")
    def quiz(
        n: int = Query(10, description="number of items: 1 to min(items for the audience, 50)"),
        seed: str | None = Query(None, max_length=100, description="the same seed gives the same quiz; random when left out"),
        audience: str | None = Query(None, description="公众 学生 教师 企业 重点单位 公务员 媒体; every item when left out"),
    ) -> dict:
        """Items of corpus/quiz.yaml in an order fixed by the seed; each cites the article that proves its answer."""
        try:
            return {"items": make_quiz(corpus, n, seed, audience)}
        except ValueError as exc:
            raise HTTPException(422, detail=[str(exc)]) from exc

    @app.get("/api/lesson", tags=["classroom"], summary="The classroom lesson, theme by theme")
    def lesson() -> dict:
        """Per theme: its articles verbatim, a FAQ answer explaining the main one, and a check question."""
        return {"steps": lesson_steps(corpus)}

    @app.get("/api/kiosk-config", tags=["web"], summary="Settings the kiosk page reads")
    def kiosk_config() -> dict:
        return {"idle_seconds": settings.kiosk_idle_seconds}

    @app.get("/healthz", tags=["ops"], summary="The process is alive")
    def healthz() -> dict:
        return {"status": "ok"}

    ready = {"ok": False}

    @app.get("/readyz", tags=["ops"], summary="The index is loaded and the bot can answer")
    def readyz():
        if not ready["ok"]:
            try:
                ready["ok"] = bool(engine.retrieve("举报").articles)
            except Exception:  # a failing probe is reported as not ready, not as a crash
                log.exception("readiness probe failed")
        if not ready["ok"]:
            return JSONResponse({"status": "not ready"}, status_code=503)
        return {"status": "ready", "corpus_version": corpus.version, "encoder": engine.index.manifest.get("encoder")}

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics")
    def prometheus() -> Response:
        return PlainTextResponse(generate_latest(metrics.registry).decode(), media_type=CONTENT_TYPE_LATEST)

    # ------------------------------------------------------------ web pages (plain files in web/)

    def page(name: str) -> FileResponse:
        path = WEB_DIR / name
        if not path.is_file():
            raise HTTPException(404, detail=f"page {name} is not installed")
        return FileResponse(path, media_type="text/html; charset=utf-8")

    for route, filename in PAGES.items():
        app.add_api_route(route, (lambda f=filename: page(f)), methods=["GET"], include_in_schema=False)

    @app.get("/docs/{doc_id}/{n}", include_in_schema=False)
    def article_page(doc_id: str, n: int):
        if doc_id not in corpus.documents:
            raise HTTPException(404, detail=f"unknown document {doc_id!r}")
        return page("article.html")

    @app.get("/widget.js", include_in_schema=False)
    def widget():
        return static("widget.js")

    swagger_dir = _swagger_ui_dir()  # looked up once, not per request

    @app.get("/api/swagger/ui/{name}", include_in_schema=False)
    def swagger_ui(name: str):
        """Swagger UI's own files, from the swagger-ui-py package (installed with the bot, never fetched)."""
        if name not in SWAGGER_UI_FILES or swagger_dir is None:
            raise HTTPException(404, detail="not found")
        return FileResponse(swagger_dir / name, headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str):
        path = (WEB_DIR / name).resolve()
        if path.parent != WEB_DIR.resolve() or not path.is_file():
            raise HTTPException(404, detail="not found")
        return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})

    return app


def _swagger_ui_dir() -> Path | None:
    """Where the installed swagger-ui-py package keeps Swagger UI (found without importing the package)."""
    spec = importlib.util.find_spec("swagger_ui")
    folder = Path(spec.submodule_search_locations[0]) / "static" if spec and spec.submodule_search_locations else None
    return folder if folder and folder.is_dir() else None


def app_from_settings() -> FastAPI:
    """App factory for `bot serve --workers N`: each worker process loads its own engine from the settings."""
    from .encoders import make_encoder

    settings = Settings()
    encoder = make_encoder(settings.encoder, settings.query_prompt, settings.passage_prompt, settings.encoder_threads)
    engine = Engine.open(settings.corpus_dir, settings.index_dir, encoder, settings.cache_dir)
    engine.retrieve("你好")  # warm up before taking traffic
    return create_app(engine, settings)
