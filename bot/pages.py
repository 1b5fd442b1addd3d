"""The web pages and their files, served from memory.

At start-up every page in web/ is rendered once with what it must show before its first question: the reporting
channels (from corpus/channels.yaml), the greeting answer, the kiosk's idle time, and versioned URLs of its scripts
and styles. A page then costs no API call, no rate-limit token and no encoder call, and shows the channels with
JavaScript off. Browsers get HTML error pages with the channels; the API keeps its JSON errors.

The chat page, the kiosk and the widget's page are rendered once per language of web/strings.yaml (their own words,
the channels in that language, the greeting in it) and served by `?lang=`: the English/中文 switch is a plain link, so
it works without JavaScript too.
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

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
BILINGUAL = ("index.html", "kiosk.html", "embed.html")  # the pages with the English/中文 switch
STRINGS, WIDGET = "strings.yaml", "widget.js"  # the pages' own words; the widget, rendered with its words
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
_PLACEHOLDER = re.compile(r"\{\{([\w.]+)\}\}")
# The channels as every page shows them: a strip under the header; on the classroom pages, a box on the summary.
CHANNEL_STRIP = """<aside class="channels" aria-labelledby="channels-title">
  <div class="inner">
    <h2 class="channels-title" id="channels-title">{title}</h2>
    <ul class="channel-list" id="channel-list">{items}</ul>
  </div>
</aside>"""
CLASSROOM_CHANNELS = """<aside class="cr-channels" id="cr-channels" aria-labelledby="cr-channels-title">
    <h2 id="cr-channels-title">{title}</h2>
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


def channels_html(
    channels: list[Channel], find_local: str, links: bool = True, short: Mapping[str, str] | None = None, separator: str = "："
) -> str:
    """The <li> items of the channel strip. Phone and website show their number or address (linked unless `links` is
    off: a kiosk must not leave its page), with a `short` name by kind for narrow screens; a channel that says `how`
    expands to it, with the local offices ("name`separator`address")."""
    hotline = next((c for c in channels if c.kind == "hotline" and channel_href(c)), None)

    def text(value: str) -> str:
        """Escaped, the hotline's number dialable wherever it is mentioned (not inside www.12339.gov.cn)."""
        escaped = _esc(value)
        if not (links and hotline):
            return escaped
        number = re.compile(rf"(?<![\w.]){re.escape(_esc(hotline.value))}(?![\w.])", re.ASCII)
        return number.sub(f'<a class="tel-link" href="{_esc(channel_href(hotline))}">{_esc(hotline.value)}</a>', escaped)

    offices = [c for c in channels if c.kind == "office"]
    where = "".join(f"<p>{_esc(o.label)}{_esc(separator)}{text(o.value)}</p>" for o in offices) or (f"<p>{text(find_local)}</p>" if find_local else "")
    items = []
    for ch in channels:
        kind = re.sub(r"[^a-z_]", "", ch.kind.lower()) or "other"
        href = channel_href(ch)
        if ch.how:
            body = f'<details class="ch-how"><summary class="ch-value">{_esc(ch.label)}</summary><p>{text(ch.how)}</p>{where}</details>'
        elif href or kind in ("hotline", "website", "office"):
            name = (short or {}).get(kind, "")
            value = _esc(ch.value)
            if href and links:
                external = ' target="_blank" rel="noopener noreferrer"' if href.lower().startswith("http") else ""
                value = f'<a class="ch-value" href="{_esc(href)}"{external}>{value}</a>'
            else:
                value = f'<span class="ch-value">{value}</span>'
            body = f'<span class="ch-label">{_esc(ch.label)}</span> ' + (f'<span class="ch-short" aria-hidden="true">{_esc(name)}</span> ' if name else "") + value
        else:
            body = f'<span class="ch-value" title="{_esc(ch.value)}">{_esc(ch.label or ch.value)}</span>'
        items.append(f'<li class="ch-{kind}">{body}</li>')
    return "".join(items)


def _json_for_script(data: bytes) -> str:
    """JSON safe inside <script type="application/json">: no '</script>' or comment can close it early."""
    return data.decode().replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# ---------------------------------------------------------------- the pages' own words


@dataclass(frozen=True)
class Wording:
    """web/strings.yaml: the pages' own words, each entry as {language code: text}; the languages, default first."""

    languages: dict[str, dict[str, str]]  # code → html (its <html lang>), name (on the switch), answers (the API's lang)
    page: dict[str, dict[str, str]]
    script: dict[str, dict[str, str]]
    widget: dict[str, dict[str, str]]
    kiosk_questions: list[tuple[dict[str, str], list[dict[str, str]]]]  # (group heading, its questions)

    @property
    def default(self) -> str:
        return next(iter(self.languages))


def load_wording(path: Path) -> Wording:
    """The strings table; ValueError naming any entry without a text in every language."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    languages = {str(code): {k: str(v) for k, v in info.items()} for code, info in raw["languages"].items()}

    def texts(where: str, entry) -> dict[str, str]:
        missing = [code for code in languages if not (isinstance(entry, dict) and str(entry.get(code) or "").strip())]
        if missing:
            raise ValueError(f"web/{path.name}: {where} has no text in {', '.join(missing)}")
        if extra := [str(key) for key in entry if key not in languages]:  # an unquoted comma splits a {zh: …, en: …}
            raise ValueError(f"web/{path.name}: {where} has {', '.join(extra)!r}, which is no language; quote texts with commas")
        return {code: str(entry[code]).strip() for code in languages}

    def section(name: str) -> dict[str, dict[str, str]]:
        return {str(key): texts(f"{name}.{key}", entry) for key, entry in (raw.get(name) or {}).items()}

    questions = [
        (texts(f"kiosk_questions[{i}].group", group.get("group")),
         [texts(f"kiosk_questions[{i}].questions[{j}]", q) for j, q in enumerate(group.get("questions") or [])])
        for i, group in enumerate(raw.get("kiosk_questions") or [])
    ]
    return Wording(languages, section("page"), section("script"), section("widget"), questions)


def kiosk_questions_html(groups: list[tuple[dict[str, str], list[dict[str, str]]]], lang: str) -> str:
    """The kiosk's start screen: a heading per group of askers and a tile per question."""
    sections = []
    for i, (heading, questions) in enumerate(groups, 1):
        tiles = "".join(f'\n          <li><button type="button" class="ask-tile">{_esc(q[lang])}</button></li>' for q in questions)
        sections.append(
            f'<section class="start-group" aria-labelledby="group-{i}">\n        <h3 id="group-{i}">{_esc(heading[lang])}</h3>\n'
            f"        <ul>{tiles}\n        </ul>\n      </section>"
        )
    return "\n      ".join(sections)


# ---------------------------------------------------------------- the pages


class Pages:
    """Every page of web/, rendered once (the chat pages once per language); the files it loads; HTML error pages."""

    def __init__(
        self, corpus: Corpus, greeting: Callable[[str | None], bytes], kiosk_idle_seconds: int, embed_ancestors: str,
        web_dir: Path = WEB_DIR,
    ):
        """`greeting(lang)`: the greeting answer (JSON) in the API's `lang` (None: Chinese), rendered into the chat pages."""
        self.assets, self.version = load_assets(web_dir)
        self.wording = load_wording(web_dir / STRINGS)
        self.default_lang = self.wording.default
        values = {lang: self._values(corpus, lang, greeting, kiosk_idle_seconds) for lang in self.wording.languages}
        self.embed_csp = content_security_policy(embed_ancestors)
        routes = {name: route for route, name in PAGES.items()}
        self.pages = {  # page → language → rendered page
            name: {lang: self._render(web_dir / name, {**values[lang], "lang_switch": self._switch(routes[name], lang)}) for lang in values}
            if name in BILINGUAL else {self.default_lang: self._render(web_dir / name, values[self.default_lang])}
            for name in {*PAGES.values(), ARTICLE_PAGE}
        }
        default = values[self.default_lang]
        self.errors = {
            status: self._render(web_dir / ERROR_PAGE, {**default, "title": _esc(title), "message": _esc(message)})
            for status, (title, message) in ERRORS.items()
        }
        widget_text = {"default": self.default_lang, "languages": {
            lang: {"html": info["html"], **{key: text[lang] for key, text in self.wording.widget.items()}}
            for lang, info in self.wording.languages.items()
        }}
        self.assets[WIDGET] = self._render(web_dir / WIDGET, {"widget_text": json.dumps(widget_text, ensure_ascii=False)}, ASSET_TYPES[".js"])

    def _values(self, corpus: Corpus, lang: str, greeting: Callable[[str | None], bytes], kiosk_idle_seconds: int) -> dict[str, str]:
        """What the pages show in one language: its words, the channels, the greeting, the kiosk's questions."""
        wording, info = self.wording, self.wording.languages[lang]
        answers = info.get("answers")  # None: answers in the question's own language, which on these pages is Chinese
        words = {key: text[lang] for key, text in wording.page.items()}
        source = corpus.channels_source
        find_local = str(source.get(f"find_local_{answers}") or source.get("find_local") or "").strip()
        channels = [c.in_language(answers) for c in corpus.channels] if answers else corpus.channels
        hotline = next((c for c in channels if c.kind == "hotline"), None)
        short = {"hotline": words["channel_short_hotline"], "website": words["channel_short_website"]}
        separator = "：" if info["html"].startswith("zh") else ": "
        items, items_text = (channels_html(channels, find_local, links, short, separator) for links in (True, False))
        script = {"lang": lang, "default_lang": wording.default, "answers": answers, "text": {k: text[lang] for k, text in wording.script.items()}}
        primary = corpus.primary
        return {
            **{f"t.{key}": _esc(text) for key, text in words.items()},
            "html_lang": _esc(info["html"]),
            "lang_field": f'<input type="hidden" name="lang" value="{_esc(lang)}">' if lang != wording.default else "",
            "channel_strip": CHANNEL_STRIP.format(title=_esc(words["channels_title"]), items=items),
            "channel_strip_text": CHANNEL_STRIP.format(title=_esc(words["channels_title"]), items=items_text),  # the kiosk: nothing that leaves the page
            "classroom_channels": CLASSROOM_CHANNELS.format(title=_esc(words["classroom_channels_title"]), items=items),
            "hotline": _esc(hotline.value) if hotline else "",
            "hotline_href": _esc(channel_href(hotline) or "") if hotline else "",
            "greeting": _json_for_script(greeting(answers)),
            "page_text": _json_for_script(json.dumps(script, ensure_ascii=False).encode()),
            "kiosk_questions": kiosk_questions_html(wording.kiosk_questions, lang),
            "idle_seconds": str(int(kiosk_idle_seconds)),
            "primary_title": _esc(str(primary.meta.get(f"title_{answers}") or primary.title) if answers else primary.title),
            "primary_href": _esc(f"/docs/{primary.doc_id}/1"),
        }

    def _switch(self, route: str, lang: str) -> str:
        """The English/中文 switch: a link to this page in the other language (the default needs no ?lang=)."""
        other = next(code for code in self.wording.languages if code != lang)
        info = self.wording.languages[other]
        href = route if other == self.default_lang else f"{route}?lang={other}"
        return f'<a class="lang-switch" id="lang-switch" href="{_esc(href)}" hreflang="{_esc(info["html"])}" lang="{_esc(info["html"])}">{_esc(info["name"])}</a>'

    def _render(self, path: Path, values: dict[str, str], media_type: str = "text/html; charset=utf-8") -> Asset:
        def fill(match: re.Match) -> str:
            if match.group(1) not in values:
                raise ValueError(f"web/{path.name}: unknown placeholder {match.group(0)}")
            return values[match.group(1)]

        template = path.read_text(encoding="utf-8")

        text = _PLACEHOLDER.sub(fill, template).replace('="/static/', f'="/static/{self.version}/')
        return _asset(text.encode(), media_type)

    def page(self, request: Request, name: str, status: int = 200) -> Response:
        """A rendered page in the language asked for (?lang=, else the default); revalidated on every visit
        (no-cache), so a deploy's new asset versions reach it at once."""
        headers = {"Cache-Control": "no-cache"}
        if name == "embed.html":
            headers["Content-Security-Policy"] = self.embed_csp
        versions = self.pages[name]
        return _send(request, versions.get(request.query_params.get("lang", ""), versions[self.default_lang]), headers, status)

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
        return _send(request, pages.assets[WIDGET], {"Cache-Control": WIDGET_CACHE})

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
