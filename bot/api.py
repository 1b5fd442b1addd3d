"""The HTTP service (FastAPI): the app factory and the API routes of SPEC.md; health, metrics and the pages are
installed from their own modules (pages.py, middleware.py)."""

from __future__ import annotations

import hashlib
import logging
from typing import Literal

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import __version__
from .answer import Answerer, Turn, cache_key
from .answer_cache import AnswerCache, AnswerJSON
from .classroom import lesson_steps, make_quiz
from .corpus import Citation
from .engine import Engine
from .metrics import Metrics
from .middleware import BodyLimit, HeadAsGet, Observe
from .pages import GREETING_QUESTION, Pages, install_pages
from .ratelimit import RateLimiter, client_address
from .redact import redact
from .schemas import (
    MAX_MESSAGE, AnswerOut, ArticleOut, ChatRequest, DocOut, FaqOut, HealthOut, KioskConfigOut, LessonOut, Problem, QuizOut,
    ReadyOut, clean_text,
)
from .settings import Settings

log = logging.getLogger("bot")
BUSY = "服务繁忙，请稍后再试。Busy: too many new questions are being answered right now; please try again in a moment."
BUSY_RESPONSE = {503: {"model": Problem, "description": "busy: too many new questions at once; retry after `Retry-After` seconds"}}
LIMITED_RESPONSE = {429: {"model": Problem, "description": "too many questions from this client; retry after `Retry-After` seconds"}}


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
        docs_url=None,  # served by pages.py from files on this machine: FastAPI's page loads Swagger UI from a CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
        redirect_slashes=False,  # Starlette's redirect puts the request's Host into Location; pages.py redirects relatively
        responses={422: {"model": Problem, "description": "the request is invalid; `detail` says what to fix"}},
    )
    app.state.engine, app.state.metrics = engine, metrics
    app.add_middleware(BodyLimit)
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origin_list, allow_methods=["GET", "POST"], allow_headers=["Content-Type", "If-None-Match"]
        )
    app.add_middleware(HeadAsGet)
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

    def charge(request: Request, cost: float) -> None:
        """429 with Retry-After when this client has spent its rate: a new question costs 1, a cached answer far less."""
        client = client_address(request.client.host if request.client else None, request.headers.get("x-forwarded-for"), trusted)
        if wait := limiter.retry_after(client, cost):
            metrics.rate_limited.labels("new" if cost >= 1 else "cached").inc()
            raise HTTPException(429, detail=f"too many questions; try again in {wait} s", headers={"Retry-After": str(wait)})

    pending = 0  # uncached answers waiting for or in the thread pool; only touched on the event loop, so no lock
    metrics.pending.set_function(lambda: pending)

    def serialise(result) -> AnswerJSON:
        # Validated against AnswerOut once, here: cache hits then skip FastAPI's response_model step.
        return AnswerJSON(result.intent, AnswerOut.model_validate(result.to_dict()).model_dump_json().encode())

    async def respond(request: Request, message: str, history: list[Turn], lang: str | None = None) -> AnswerJSON:
        """The answer, serialised; cache hits are served on the event loop, misses computed in the thread pool.
        A miss past BOT_MAX_PENDING is refused at once (503): better than every visitor waiting seconds in a queue."""
        nonlocal pending
        key = cache_key(message, lang) if not history else None
        if key is not None and (hit := cache.get(key)) is not None:
            charge(request, settings.rate_limit_cached_cost)
            metrics.cache.labels("hit").inc()
            metrics.intents.labels(hit.intent).inc()
            return hit
        charge(request, 1.0)
        if key is not None:
            metrics.cache.labels("miss").inc()
        if 0 < settings.max_pending <= pending:
            metrics.shed.inc()
            raise HTTPException(503, detail=BUSY, headers={"Retry-After": "1"})
        pending += 1
        try:
            result = await run_in_threadpool(answerer.answer, message, history, lang)
        finally:
            pending -= 1
        metrics.intents.labels(result.intent).inc()
        if settings.log_unanswered and (result.intent == "out_of_scope" or result.source == "articles"):
            log.info("unanswered (%s): %s", result.intent, redact(message, engine.segmenter.person_names(message)))
        answer = serialise(result)
        if key is not None:
            cache.put(key, answer)
        return answer

    def greeting(lang: str | None) -> bytes:
        """The greeting a chat page opens with, in its language: answered once, at start-up, rendered into the pages."""
        answer = serialise(answerer.answer(GREETING_QUESTION, [], lang))
        cache.put(cache_key(GREETING_QUESTION, lang), answer)
        return answer.body

    @app.post(
        "/api/chat", response_model=AnswerOut, tags=["answers"], summary="Answer a message in a conversation",
        responses={**LIMITED_RESPONSE, **BUSY_RESPONSE},
    )
    async def chat(request: Request, body: ChatRequest) -> Response:
        """The answer to `message`; `history` (earlier turns) resolves follow-ups such as 那学生呢？"""
        history = [Turn(t.role, t.text, tuple(Citation(c.doc_id, c.article, c.paragraph, c.item) for c in t.citations)) for t in body.history]
        answer = await respond(request, body.message, history, body.lang)
        return Response(answer.body, media_type="application/json")

    @app.get(
        "/api/ask", response_model=AnswerOut, tags=["answers"], summary="Answer one question (cacheable)",
        responses={304: {"description": "not modified"}, **LIMITED_RESPONSE, **BUSY_RESPONSE},
    )
    async def ask(
        request: Request,
        q: str = Query(..., description="the question, 1–500 characters", max_length=4 * MAX_MESSAGE),
        lang: Literal["zh-Hans", "zh-Hant", "en"] | None = Query(None, description="answer in this language; by default the question's own"),
    ) -> Response:
        """The same answer object for a single question, with ETag/Cache-Control so a CDN can cache it."""
        try:
            message = clean_text(q, "q")
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=[f"q: {exc}"]) from exc
        etag = '"' + hashlib.sha256(f"{corpus.version}\0{cache_key(message, lang)}".encode()).hexdigest()[:20] + '"'
        headers = {"ETag": etag, "Cache-Control": f"public, max-age={settings.ask_max_age}"}
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            charge(request, settings.rate_limit_cached_cost)
            return Response(status_code=304, headers=headers)
        answer = await respond(request, message, [], lang)
        return Response(answer.body, media_type="application/json", headers=headers)

    @app.get("/api/docs", response_model=list[DocOut], tags=["corpus"], summary="The documents the bot answers from")
    def docs() -> list[dict]:
        """Primary document first; superseded texts are listed with their status."""
        ordered = sorted(corpus.documents.values(), key=lambda d: (not d.primary, d.doc_id))
        return [
            {"doc_id": d.doc_id, "title": d.title, "articles": len(d.articles), "effective": d.effective, "status": d.status, "primary": d.primary}
            for d in ordered
        ]

    @app.get("/api/docs/{doc_id}/articles/{n}", response_model=ArticleOut, tags=["corpus"], summary="One article, verbatim",
             responses={404: {"model": Problem, "description": "no such document or article"}})
    def article(doc_id: str, n: int) -> dict:
        """Full text of an article and its paragraphs (款); a paragraph's items (项) are on lines of their own."""
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

    @app.get("/api/quiz", response_model=QuizOut, response_model_exclude_none=True, tags=["classroom"],
             summary="A classroom quiz from the question bank")
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

    @app.get("/api/lesson", response_model=LessonOut, response_model_exclude_none=True, tags=["classroom"],
             summary="The classroom lesson, theme by theme")
    def lesson() -> dict:
        """Per theme: its articles verbatim, a FAQ answer explaining the main one, and a check question."""
        return {"steps": lesson_steps(corpus)}

    @app.get("/api/kiosk-config", response_model=KioskConfigOut, tags=["web"], summary="Settings the kiosk page reads")
    def kiosk_config() -> dict:
        """The kiosk's idle time (the kiosk page has it rendered in; kept for pages of an older deploy)."""
        return {"idle_seconds": settings.kiosk_idle_seconds}

    @app.get("/healthz", response_model=HealthOut, tags=["ops"], summary="The process is alive")
    def healthz() -> dict:
        return {"status": "ok"}

    ready = {"ok": False}

    @app.get("/readyz", response_model=ReadyOut, tags=["ops"], summary="The index is loaded and the bot can answer",
             responses={503: {"model": ReadyOut, "description": "not ready (yet)"}})
    def readyz():
        if not ready["ok"]:
            try:
                ready["ok"] = bool(engine.retrieve("举报").articles)
            except Exception:  # a failing probe is reported as not ready, not as a crash
                log.exception("readiness probe failed")
        if not ready["ok"]:
            return JSONResponse({"status": "not ready"}, status_code=503)
        return {"status": "ready", "corpus_version": corpus.version, "encoder": engine.index.manifest.get("encoder")}

    @app.get("/metrics", response_class=PlainTextResponse, tags=["ops"], summary="Prometheus metrics",
             responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}, "description": "the metrics, text format"}})
    def prometheus() -> Response:
        return PlainTextResponse(generate_latest(metrics.registry).decode(), media_type=CONTENT_TYPE_LATEST)

    pages = Pages(corpus, greeting, settings.kiosk_idle_seconds, settings.embed_ancestors)
    install_pages(app, pages, corpus)
    app.state.pages = pages
    return app


def app_from_settings() -> FastAPI:
    """App factory for `bot serve --workers N`: each worker process loads its own engine from the settings."""
    from .encoders import make_encoder

    settings = Settings()
    encoder = make_encoder(settings.encoder, settings.query_prompt, settings.passage_prompt)
    engine = Engine.open(settings.corpus_dir, settings.index_dir, encoder, settings.cache_dir)
    engine.retrieve("你好")  # warm up before taking traffic
    return create_app(engine, settings)
