"""The `bot` command: build, serve, ask, eval, check-corpus."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .check import check_corpus
from .numerals import paragraph_label
from .settings import PROJECT_DIR, Settings


class UserError(Exception):
    """A mistake the user can fix; printed without a traceback, exit 1."""


def _encoder(settings: Settings):
    from .encoders import make_encoder

    try:
        return make_encoder(settings.encoder, settings.query_prompt, settings.passage_prompt, settings.encoder_threads)
    except (ValueError, ImportError) as exc:
        raise UserError(f"cannot load encoder {settings.encoder!r}: {exc}") from exc


def _open_engine(settings: Settings):
    from .corpus import CorpusError
    from .engine import Engine
    from .index import IndexError_

    try:
        return Engine.open(settings.corpus_dir, settings.index_dir, _encoder(settings), settings.cache_dir)
    except (IndexError_, CorpusError) as exc:
        raise UserError(str(exc)) from exc


def cmd_check_corpus(args: argparse.Namespace, settings: Settings) -> int:
    """Validate corpus/; print each defect as file:line: message."""
    root = Path(args.corpus) if args.corpus else settings.corpus_dir
    defects = check_corpus(root)
    for defect in defects:
        print(defect, file=sys.stderr)
    if defects:
        print(f"{len(defects)} defect(s) in {root}", file=sys.stderr)
        return 1
    from .corpus import load_corpus

    corpus = load_corpus(root)
    print(
        f"corpus OK: {len(corpus.documents)} documents, "
        f"{sum(len(d.articles) for d in corpus.documents.values())} articles, {len(corpus.faq)} FAQ entries, "
        f"{len(corpus.channels)} channels, {len(corpus.quiz)} quiz items (version {corpus.version})"
    )
    return 0


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    """Build the index (atomically) unless --if-stale finds it current."""
    from .corpus import CorpusError, load_corpus
    from .engine import build
    from .index import Index, IndexError_

    encoder = _encoder(settings)
    if args.if_stale:
        try:
            Index.load(settings.index_dir, load_corpus(settings.corpus_dir).version, encoder.name)
            print(f"index is current: {settings.index_dir}")
            return 0
        except IndexError_ as exc:
            print(f"building: {exc.args[0].split(';')[0]}")
    started = time.time()

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\rencoding {done}/{total}", end="", file=sys.stderr, flush=True)

    try:
        manifest = build(settings.corpus_dir, settings.index_dir, encoder, settings.cache_dir, progress)
    except (IndexError_, CorpusError) as exc:
        raise UserError(str(exc)) from exc
    if sys.stderr.isatty():
        print(file=sys.stderr)
    counts = manifest["counts"]
    print(
        f"index built in {time.time() - started:.1f}s: {counts['units']} units ({counts['faq_entries']} FAQ entries), "
        f"encoder {manifest['encoder']}, corpus {manifest['corpus_version']} → {settings.index_dir}"
    )
    return 0


def uvicorn_options(settings: Settings, host: str, port: int) -> dict:
    """How `bot serve` runs uvicorn: no access log (it would print questions in query strings), no Server header,
    request heads bounded, and X-Forwarded-For believed only through BOT_TRUSTED_PROXIES (uvicorn's own proxy
    headers would believe it from 127.0.0.1, so any local tunnel could pick its address and escape the rate limit)."""
    from .http_limits import BoundedHttpToolsProtocol

    return {
        "host": host, "port": port, "access_log": False, "log_level": settings.log_level.lower(), "server_header": False,
        "timeout_keep_alive": settings.keep_alive, "proxy_headers": False, "http": BoundedHttpToolsProtocol,
    }


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Load the index (exit 1 at once if it is missing, damaged or stale) and serve."""
    import uvicorn

    from .api import create_app

    host = args.host or settings.host
    port = args.port or settings.port
    started = time.time()
    engine = _open_engine(settings)  # also with --workers: refuse a bad index before forking
    run = uvicorn_options(settings, host, port)
    if args.workers > 1:
        engine.close()
        # Each worker has its own encoder: unless BOT_ENCODER_THREADS says, share the cores out instead of letting every
        # worker's OpenMP team spin on all of them.
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // args.workers)))
        print(f"serving on http://{host}:{port} with {args.workers} workers (API docs: /api/swagger)", flush=True)
        uvicorn.run("bot.api:app_from_settings", factory=True, workers=args.workers, **run)
        return 0
    engine.retrieve("你好")  # warm up jieba and the encoder before the first visitor
    app = create_app(engine, settings)
    print(f"serving on http://{host}:{port} (API docs: /api/swagger) — ready in {time.time() - started:.2f}s", flush=True)
    uvicorn.run(app, **run)
    return 0


def _print_answer(answer: dict) -> None:
    print(f"[{answer['intent']}] {answer['answer']}")
    for c in answer["citations"]:
        para = paragraph_label(c["paragraph"]) if c.get("paragraph") else ""
        print(f"\n  《{c['title']}》{c['label']}{para}  {c['url']}")
        for line in c["text"].splitlines():
            print(f"    {line}")
    if answer["suggestions"]:
        print("\n你还可以问：" + " / ".join(answer["suggestions"]))
    print("\n举报渠道：" + "；".join(f"{ch['label']} {ch['value']}" for ch in answer["channels"]))


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer one question."""
    from .answer import Answerer

    question = " ".join(args.question).strip()
    if not question:
        raise UserError("give a question, e.g. bot ask \"发现间谍怎么举报？\"")
    if len(question) > 500:
        raise UserError(f"the question is {len(question)} characters; at most 500")
    engine = _open_engine(settings)
    try:
        answer = Answerer(engine).answer(question).to_dict()
    finally:
        engine.close()
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        _print_answer(answer)
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Metrics on question sets; a run on every set writes the table to docs/benchmarks.md."""
    from .answer import Answerer
    from .evaluate import SETS, evaluate, load_set, report_markdown, write_section

    sets = [Path(p) for p in args.set] if args.set else [PROJECT_DIR / "eval" / name for name in SETS if (PROJECT_DIR / "eval" / name).exists()]
    for path in sets:
        if not path.exists():
            raise UserError(f"question set not found: {path}")
    engine = _open_engine(settings)
    answerer = Answerer(engine)
    results = {}
    for path in sets:
        res = evaluate(engine, load_set(path), answerer)
        if not args.show_misses:
            res.pop("misses")
        results[path.name] = res
    engine.close()
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        print(report_markdown({k: v for k, v in results.items()}, engine.index.manifest["encoder"]))
    if not args.no_write and not args.set:  # the recorded table covers every set: a run on a few would replace it
        write_section(PROJECT_DIR / "docs" / "benchmarks.md", "eval", report_markdown(results, engine.index.manifest["encoder"]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with examples in each --help."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="bot",
        description="反间谍安全防范 public-education chatbot. Settings come from BOT_* environment variables (see README).",
        formatter_class=raw,
        epilog="examples:\n  bot build\n  bot serve --port 8000\n  bot ask \"发现间谍怎么举报？\"\n  bot eval\n  bot check-corpus",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("build", help="build the index into index/ (atomically)", formatter_class=raw,
                       epilog="examples:\n  bot build\n  bot build --if-stale        # only when corpus or encoder changed\n  BOT_INDEX_DIR=/srv/idx bot build")
    p.add_argument("--if-stale", action="store_true", help="do nothing when the index matches the corpus and encoder")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("serve", help="serve the API and the web pages", formatter_class=raw,
                       epilog="examples:\n  bot serve\n  bot serve --host 0.0.0.0 --port 8080 --workers 2")
    p.add_argument("--host", help="bind address (default BOT_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default BOT_PORT or 8000)")
    p.add_argument("--workers", type=int, default=1, help="worker processes; each loads its own index (they share nothing)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("ask", help="answer one question", formatter_class=raw,
                       epilog="examples:\n  bot ask 发现间谍怎么举报\n  bot ask \"第十九条是什么\" --json")
    p.add_argument("question", nargs="*", help="the question")
    p.add_argument("--json", action="store_true", help="print the answer object of the API")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="retrieval and intent metrics on question sets", formatter_class=raw,
                       epilog="examples:\n  bot eval\n  bot eval --set eval/dev.yaml --json")
    p.add_argument("--set", action="append", help="a set in eval/ (questions, conversations or hard out-of-scope); repeatable (default: every set in eval/)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.add_argument("--show-misses", action="store_true", help="include the questions answered wrongly (with --json)")
    p.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md (a run with --set never does)")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("check-corpus", help="validate corpus/ (non-zero exit with file:line on each defect)", formatter_class=raw,
                       epilog="examples:\n  bot check-corpus\n  bot check-corpus --corpus /srv/bot/corpus")
    p.add_argument("--corpus", help="corpus directory (default: BOT_CORPUS_DIR or the bundled corpus/)")
    p.set_defaults(func=cmd_check_corpus)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except Exception as exc:  # pydantic's message names the bad BOT_* variable
        print(f"bot: invalid settings: {exc}", file=sys.stderr)
        return 1
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("bm25s", "faiss", "faiss.loader", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return args.func(args, settings)
    except UserError as exc:
        print(f"bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bot: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
