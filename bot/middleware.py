"""The ASGI layers around the app (plain ASGI: BaseHTTPMiddleware would re-stream every response).

Observe: metrics, the opt-in access log, security headers and a clean 500; HeadAsGet: HEAD answered as GET without
the body; BodyLimit: request bodies bounded before anything parses them.
"""

from __future__ import annotations

import logging
import time

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .metrics import Metrics

log = logging.getLogger("bot")
MAX_BODY = 16 * 1024
CLIENT_CLOSED = 499  # metrics status of a request whose client left before it could be answered


def content_security_policy(frame_ancestors: str = "'none'") -> str:
    """The pages' CSP: everything from this server, no inline script; framed only by `frame_ancestors`."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        f"frame-ancestors {frame_ancestors}; base-uri 'none'; form-action 'self'"
    )


DEFAULT_CSP = content_security_policy()


def route_template(scope: Scope) -> str:
    """The matched route's path template (/docs/{doc_id}/{n}), never the path itself; 'unmatched' otherwise."""
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


class HeadAsGet:
    """HEAD gets exactly GET's status and headers, without the body (monitors use HEAD; FastAPI routes refuse it)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            return await self.app(scope, receive, send)
        # A copy: the server's own scope must keep saying HEAD, so it sends no body and expects none.
        inner = {**scope, "method": "GET"}

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        try:
            await self.app(inner, receive, headers_only)
        finally:
            if "route" in inner:  # for Observe's metrics by route template
                scope["route"] = inner["route"]


class Observe:
    """Every request: metrics by route template, the opt-in access log, security headers, and a JSON 500 that
    never carries a traceback (or the request) to the client."""

    def __init__(self, app: ASGIApp, metrics: Metrics, access_log: bool):
        self.app, self.metrics, self.access_log = app, metrics, access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        method = scope["method"]
        status = 0

        async def send_secured(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", DEFAULT_CSP)  # a page may allow more framing (/embed)
            await send(message)

        try:
            await self.app(scope, receive, send_secured)
        except Exception:
            log.exception("internal error on %s", route_template(scope))
            if status:  # the response has begun: too late for a clean 500, let the server drop the connection
                raise
            await JSONResponse({"detail": "internal error"}, status_code=500)(scope, receive, send_secured)
        finally:
            # no response at all and no error: the client went away before its request was read (nginx's 499)
            code = str(status or CLIENT_CLOSED)
            template, elapsed = route_template(scope), time.perf_counter() - started
            self.metrics.requests.labels(template, method, code).inc()
            self.metrics.latency.labels(template).observe(elapsed)
            if self.access_log:
                log.info("%s %s %s %.1fms", method, template, code, elapsed * 1000)
