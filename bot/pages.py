"""The web pages and their files, served from memory.

At start-up every page in web/ is rendered once with what it must show before its first question: the reporting
channels (from corpus/channels.yaml), the greeting answer, the kiosk's idle time, and versioned URLs of its scripts
and styles. A page then costs no API call, no rate-limit token and no encoder call, and shows the channels with
JavaScript off. Browsers get HTML error pages with the channels; the API keeps its JSON errors.
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from .corpus import Channel, Corpus
from .middleware import content_security_policy
from .paths import shipped

WEB_DIR = shipped("web")
PAGES = {
    "/": "index.html", "/kiosk": "kiosk.html", "/embed": "embed.html", "/classroom": "classroom.html", "/quiz": "quiz.html",
    "/api/swagger": "swagger.html",
}
ARTICLE_PAGE, ERROR_PAGE = "article.html", "error.html"
GREETING_QUESTION = "你好"  # the message whose answer opens the chat
SWAGGER_UI_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")
LONG_CACHE = "public, max-age=31536000, immutable"  # a versioned URL never changes its content
WIDGET_CACHE = "public, max-age=300"  # /widget.js keeps its URL on host pages: a deploy reaches them within minutes
API_PATHS = ("/api/", "/healthz", "/readyz", "/metrics")  # these answer errors in JSON, whatever the client accepts
ERRORS = {  # status → (title, what to do); 0: any other status
    404: ("找不到这个页面", "地址可能输错了，或者这一页已经不存在。"),
    405: ("无法这样打开这个页面", "请从问答页面重新进入。"),
    0: ("出了点问题", "请返回问答页面再试。"),
}
ASSET_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}  # what /static/ serves
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# The channels as every page shows them: a strip under the header; on the classroom pages, a box on the summary.
CHANNEL_STRIP = """<aside class="channels" aria-labelledby="channels-title">
  <div class="inner">
    <h2 class="channels-title" id="channels-title">官方举报渠道</h2>
    <ul class="channel-list" id="channel-list">{items}</ul>
  </div>
</aside>"""
CLASSROOM_CHANNELS = """<aside class="cr-channels" id="cr-channels" aria-labelledby="cr-channels-title">
    <h2 id="cr-channels-title">发现可疑情况，请通过官方渠道报告</h2>
    <ul class="channel-list" id="channel-list">{items}</ul>
  </aside>"""


@dataclass(frozen=True)
class Asset:
    """A file of web/ in memory: its bytes, media type and a validator for conditional requests."""

    body: bytes
    media_type: str
    etag: str


def _asset(body: bytes, media_type: str) -> Asset:
    return Asset(body, media_type, '"' + hashlib.sha256(body).hexdigest()[:20] + '"')


def load_assets(web_dir: Path) -> tuple[dict[str, Asset], str]:
    """The scripts and styles of web/ by file name, and a version naming this exact set of web files."""
    files = {p.name: p.read_bytes() for p in sorted(web_dir.iterdir()) if p.is_file()}
    version = hashlib.sha256(b"".join(name.encode() + b"\0" + body for name, body in files.items())).hexdigest()[:12]
    assets = {name: _asset(body, ASSET_TYPES[Path(name).suffix]) for name, body in files.items() if Path(name).suffix in ASSET_TYPES}
    return assets, version


# ---------------------------------------------------------------- the channels, as HTML


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def channel_href(channel: Channel) -> str | None:
    """Where a channel's value links to: its own href when safe (tel:, http(s):, mailto:), a hotline's digits as tel:."""
    href = channel.href.strip()
    if re.match(r"^(tel:[0-9+\-() ]+|https?://[^\s\"'<>]+|mailto:[^\s\"'<>]+)$", href, re.I):
        return href
    if channel.kind == "hotline" and re.fullmatch(r"[0-9 +\-]+", channel.value):
        return "tel:" + re.sub(r"[^0-9+]", "", channel.value)
    return None


def channels_html(channels: list[Channel], find_local: str, links: bool = True) -> str:
    """The <li> items of the channel strip. Phone and website show their number or address (linked unless `links` is
    off: a kiosk must not leave its page); a channel that says `how` expands to it, with the local offices."""
    hotline = next((c for c in channels if c.kind == "hotline" and channel_href(c)), None)

    def text(value: str) -> str:
        """Escaped, the hotline's number dialable wherever it is mentioned (not inside www.12339.gov.cn)."""
        escaped = _esc(value)
        if not (links and hotline):
            return escaped
        number = re.compile(rf"(?<![\w.]){re.escape(_esc(hotline.value))}(?![\w.])", re.ASCII)
        return number.sub(f'<a class="tel-link" href="{_esc(channel_href(hotline))}">{_esc(hotline.value)}</a>', escaped)

    offices = [c for c in channels if c.kind == "office"]
    where = "".join(f"<p>{_esc(o.label)}：{text(o.value)}</p>" for o in offices) or (f"<p>{text(find_local)}</p>" if find_local else "")
    items = []
    for ch in channels:
        kind = re.sub(r"[^a-z_]", "", ch.kind.lower()) or "other"
        href = channel_href(ch)
        if ch.how:
            body = f'<details class="ch-how"><summary class="ch-value">{_esc(ch.label)}</summary><p>{text(ch.how)}</p>{where}</details>'
        elif href or kind in ("hotline", "website", "office"):
            short = {"hotline": "电话", "website": "网站"}.get(kind, "")
            value = _esc(ch.value)
            if href and links:
                external = ' target="_blank" rel="noopener noreferrer"' if href.lower().startswith("http") else ""
                value = f'<a class="ch-value" href="{_esc(href)}"{external}>{value}</a>'
            else:
                value = f'<span class="ch-value">{value}</span>'
            body = f'<span class="ch-label">{_esc(ch.label)}</span> ' + (f'<span class="ch-short" aria-hidden="true">{short}</span> ' if short else "") + value
        else:
            body = f'<span class="ch-value" title="{_esc(ch.value)}">{_esc(ch.label or ch.value)}</span>'
        items.append(f'<li class="ch-{kind}">{body}</li>')
    return "".join(items)


def _json_for_script(data: bytes) -> str:
    """JSON safe inside <script type="application/json">: no '</script>' or comment can close it early."""
    return data.decode().replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# ---------------------------------------------------------------- the pages


class Pages:
    """Every page of web/, rendered once; the files it loads; HTML error pages."""

    def __init__(self, corpus: Corpus, greeting_json: bytes, kiosk_idle_seconds: int, embed_ancestors: str, web_dir: Path = WEB_DIR):
        self.assets, self.version = load_assets(web_dir)
        hotline = next((c for c in corpus.channels if c.kind == "hotline"), None)
        find_local = str(corpus.channels_source.get("find_local") or "").strip()
        items, items_text = channels_html(corpus.channels, find_local), channels_html(corpus.channels, find_local, links=False)
        values = {
            "channel_strip": CHANNEL_STRIP.format(items=items),
            "channel_strip_text": CHANNEL_STRIP.format(items=items_text),  # the kiosk: nothing that leaves the page
            "classroom_channels": CLASSROOM_CHANNELS.format(items=items),
            "hotline": _esc(hotline.value) if hotline else "",
            "hotline_href": _esc(channel_href(hotline) or "") if hotline else "",
            "greeting": _json_for_script(greeting_json),
            "idle_seconds": str(int(kiosk_idle_seconds)),
            "primary_title": _esc(corpus.primary.title),
            "primary_href": _esc(f"/docs/{corpus.primary.doc_id}/1"),
        }
        self.embed_csp = content_security_policy(embed_ancestors)
        self.pages = {name: self._render(web_dir / name, values) for name in {*PAGES.values(), ARTICLE_PAGE}}
        self.errors = {
            status: self._render(web_dir / ERROR_PAGE, {**values, "title": _esc(title), "message": _esc(message)})
            for status, (title, message) in ERRORS.items()
        }

    def _render(self, path: Path, values: dict[str, str]) -> Asset:
        def fill(match: re.Match) -> str:
            if match.group(1) not in values:
                raise ValueError(f"web/{path.name}: unknown placeholder {match.group(0)}")
            return values[match.group(1)]

        template = path.read_text(encoding="utf-8")

        text = _PLACEHOLDER.sub(fill, template).replace('="/static/', f'="/static/{self.version}/')
        return _asset(text.encode(), "text/html; charset=utf-8")

    def page(self, request: Request, name: str, status: int = 200) -> Response:
        """A rendered page; revalidated on every visit (no-cache), so a deploy's new asset versions reach it at once."""
        headers = {"Cache-Control": "no-cache"}
        if name == "embed.html":
            headers["Content-Security-Policy"] = self.embed_csp
        return _send(request, self.pages[name], headers, status)

    def error(self, request: Request, status: int) -> Response:
        """A friendly HTML error page with the channels."""
        page = self.errors.get(status, self.errors[0])
        return Response(page.body, status_code=status, media_type=page.media_type, headers={"Cache-Control": "no-cache"})


def _send(request: Request, asset: Asset, headers: dict[str, str], status: int = 200) -> Response:
    headers = {**headers, "ETag": asset.etag}
    if status == 200 and asset.etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, status_code=status, media_type=asset.media_type, headers=headers)


def wants_html(request: Request) -> bool:
    """A browser asking for a page (not the API, and it accepts HTML)."""
    path = request.url.path
    return not path.startswith(API_PATHS) and "text/html" in request.headers.get("accept", "")


def install_pages(app: FastAPI, pages: Pages, corpus: Corpus) -> None:
    """The page routes, their files, the widget, Swagger UI's files, and HTML error pages for browsers."""

    def serving(name: str):
        def serve(request: Request) -> Response:
            return pages.page(request, name)

        return serve

    for route, filename in PAGES.items():
        app.add_api_route(route, serving(filename), methods=["GET"], include_in_schema=False)

    @app.get("/docs/{doc_id}/{n}", include_in_schema=False)
    def article_page(request: Request, doc_id: str, n: str) -> Response:
        doc = corpus.documents.get(doc_id)
        if doc is None or not n.isdigit() or doc.article(int(n)) is None:
            raise HTTPException(404, detail="no such article")
        return pages.page(request, ARTICLE_PAGE)

    @app.get("/static/{version}/{name}", include_in_schema=False)
    def versioned_asset(request: Request, version: str, name: str) -> Response:
        """A script or style under this deploy's version: cached for a year. Under another version (a page of the
        previous deploy during a rolling update) the current file, revalidated each time, so nothing stale is kept."""
        asset = pages.assets.get(name)
        if asset is None:
            raise HTTPException(404, detail="not found")
        return _send(request, asset, {"Cache-Control": LONG_CACHE if version == pages.version else "no-cache"})

    @app.get("/static/{name}", include_in_schema=False)
    def asset(request: Request, name: str) -> Response:
        """A script or style by its bare name (bookmarks, old pages): revalidated each time."""
        found = pages.assets.get(name)
        if found is None:
            raise HTTPException(404, detail="not found")
        return _send(request, found, {"Cache-Control": "no-cache"})

    @app.get("/widget.js", include_in_schema=False)
    def widget(request: Request) -> Response:
        return _send(request, pages.assets["widget.js"], {"Cache-Control": WIDGET_CACHE})

    swagger_dir = _swagger_ui_dir()  # looked up once, not per request

    @app.get("/api/swagger/ui/{name}", include_in_schema=False)
    def swagger_ui(name: str):
        """Swagger UI's own files, from the swagger-ui-py package (installed with the bot, never fetched)."""
        if name not in SWAGGER_UI_FILES or swagger_dir is None:
            raise HTTPException(404, detail="not found")
        return FileResponse(swagger_dir / name, headers={"Cache-Control": "public, max-age=86400"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and request.method in ("GET", "HEAD") and (target := _without_trailing_slash(request)):
            # Relative, so the Host header (anyone can send any) never ends up in a Location.
            return RedirectResponse(target, status_code=308)
        if wants_html(request):
            return pages.error(request, exc.status_code)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))


def _without_trailing_slash(request: Request) -> str | None:
    """/kiosk/ → /kiosk (with the query), when that is a route; never a //host path (an open redirect)."""
    path = request.url.path
    stripped = path.rstrip("/")
    if path == stripped or not stripped.startswith("/") or stripped.startswith("//") or "\\" in stripped:
        return None
    scope = {**request.scope, "path": stripped}
    if not any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
        return None
    query = request.url.query
    return stripped + ("?" + query if query else "")


def _swagger_ui_dir() -> Path | None:
    """Where the installed swagger-ui-py package keeps Swagger UI (found without importing the package)."""
    spec = importlib.util.find_spec("swagger_ui")
    folder = Path(spec.submodule_search_locations[0]) / "static" if spec and spec.submodule_search_locations else None
    return folder if folder and folder.is_dir() else None
