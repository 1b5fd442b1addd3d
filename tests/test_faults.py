"""Faults on campaign day: a build killed with SIGKILL, damaged or stale indexes, an install directory
nothing may be written to, oversized bodies, a crashing endpoint, more new questions than the encoder can take.
Real subprocesses (`python -m bot.cli ...`, a build script), real signals, real concurrent requests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.api import create_app
from bot.middleware import MAX_BODY, BodyLimit
from bot.corpus import load_corpus
from bot.engine import Engine
from bot.index import Index, save_atomically
from bot.normalize import Synonyms
from bot.segment import Segmenter
from bot.settings import Settings
from tests.conftest import FakeEncoder

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

# A build run as its own process so it can be SIGKILLed. "plain": a whole build with the fake encoder, killed
# mid-way. The other modes run only the build's last step, save_atomically, with one window widened so the
# kill lands inside it: "slow-save" (the temporary directory lives for seconds), "between-renames" (the old
# index moved away, the new one not yet in place), "after-swap" (the new index in place, the old not yet deleted).
BUILD_SCRIPT = textwrap.dedent(
    """
    import shutil, sys, time
    from pathlib import Path
    corpus_dir, index_dir, cache_dir, mode = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    import bot.index
    if mode == "slow-save":
        sha = bot.index._sha256
        bot.index._sha256 = lambda path: (time.sleep(0.15), sha(path))[1]
    elif mode == "between-renames":
        rename = Path.rename
        def slow_rename(self, target):
            out = rename(self, target)
            if Path(target).name.startswith(f".{index_dir.name}.old-"):
                print("SWAPPING", flush=True)
                time.sleep(120)
            return out
        Path.rename = slow_rename
    elif mode == "after-swap":
        rmtree = shutil.rmtree
        def slow_rmtree(path, *args, **kwargs):
            if Path(path).name.startswith(f".{index_dir.name}.old-") and Path(path).exists():
                print("SWAPPED", flush=True)
                time.sleep(120)
            return rmtree(path, *args, **kwargs)
        shutil.rmtree = slow_rmtree
    print("BUILDING", flush=True)
    if mode == "plain":  # the whole of `bot build` with the fake encoder
        from bot.engine import build
        from tests.conftest import FakeEncoder
        build(corpus_dir, index_dir, FakeEncoder(), cache_dir=cache_dir)
    else:  # only its last step (the one with the windows): save a copy of the current index atomically
        index = bot.index.Index.load(index_dir)
        index.manifest["built_at"] = "rebuilt"
        bot.index.save_atomically(index, index_dir)
    print("DONE", flush=True)
    """
)


def _env(**extra: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _siblings(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.parent.glob(f".{index_dir.name}.*"))


def _wait_for(predicate, timeout: float, proc: subprocess.Popen | None = None, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited ({proc.returncode}) before {what}: {proc.stdout.read() if proc.stdout else ''}")
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def _assert_serves(engine: Engine) -> None:
    client = TestClient(create_app(engine, Settings(rate_limit=0)))
    assert client.get("/readyz").status_code == 200
    response = client.post("/api/chat", json={"message": "发现间谍行为怎么举报"})
    assert response.status_code == 200 and response.json()["channels"]


# ---------------------------------------------------------------- kill -9 during a build (fake encoder, fast)


KILL_MODES = ["plain", "slow-save", "between-renames", "after-swap"]


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _kill_at_the_window(proc: subprocess.Popen, index_dir: Path, mode: str, errors: dict) -> None:
    try:
        if mode == "plain":  # mid-way through segmenting/encoding/training
            _wait_for(lambda: proc.stdout.readline().startswith("BUILDING"), 90, proc, "the build to start")
            time.sleep(1.0)
        elif mode == "slow-save":  # the new index is half written next to the old one
            _wait_for(lambda: any(n.startswith(".index.tmp-") for n in _siblings(index_dir)), 90, proc, "the temporary directory")
            time.sleep(0.3)
        else:  # the build prints a line when it reaches the window
            marker = "SWAPPING" if mode == "between-renames" else "SWAPPED"
            _wait_for(lambda: proc.stdout.readline().startswith(marker), 90, proc, marker)
        if mode == "slow-save" and list(index_dir.parent.glob(".index.tmp-*/manifest.json")):
            errors[mode] = "the kill came too late: the temporary index already has its manifest"
    except AssertionError as exc:
        errors[mode] = str(exc)
    finally:
        _kill(proc)


@pytest.fixture(scope="module")
def killed_builds(fake_index_dir, tmp_path_factory):
    """For each mode: a complete index, then a second build of it (its own process) SIGKILLed in that window.
    The four builds run at once, each killed by its own thread."""
    script = tmp_path_factory.mktemp("script") / "build_script.py"
    script.write_text(BUILD_SCRIPT, encoding="utf-8")
    runs, threads, errors = {}, [], {}
    corpus_root = load_corpus().root
    for mode in KILL_MODES:
        base = tmp_path_factory.mktemp(f"kill-{mode}")
        index_dir = base / "srv" / "index"
        shutil.copytree(fake_index_dir, index_dir)
        before = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
        proc = subprocess.Popen(
            [PY, str(script), str(corpus_root), str(index_dir), str(base / "jieba"), mode],
            cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        runs[mode] = (index_dir, before, proc, base / "jieba")
        threads.append(threading.Thread(target=_kill_at_the_window, args=(proc, index_dir, mode, errors), daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    yield runs, errors
    for _, _, proc, _ in runs.values():
        _kill(proc)


@pytest.mark.parametrize("mode", KILL_MODES)
def test_sigkill_during_build_leaves_a_loadable_index_that_serves(killed_builds, fake_engine, corpus, mode):
    runs, errors = killed_builds
    index_dir, before, proc, cache_dir = runs[mode]
    assert mode not in errors, errors[mode]
    assert proc.returncode == -signal.SIGKILL, f"the build was not killed: {proc.returncode}"

    if mode == "between-renames":
        assert not index_dir.exists()  # the crash left only the moved-away index: loading must put it back
    index = Index.load(index_dir, corpus_version=corpus.version, encoder_name=FakeEncoder.name)
    assert index.vectors.ntotal == len(index.units) > 0
    if mode == "after-swap":  # the kill came after the swap: the new index is the one in place
        assert index.manifest["built_at"] == "rebuilt"
    else:  # the kill came before the swap: the previous index is the one in place
        assert index.manifest["built_at"] == before["built_at"] and index.manifest["files"] == before["files"]
    engine = Engine.open(corpus.root, index_dir, FakeEncoder(), cache_dir=cache_dir)
    try:
        _assert_serves(engine)
    finally:
        engine.close()

    # The next build swaps in cleanly and leaves no debris of the killed one next to the index.
    save_atomically(fake_engine.index, index_dir)
    assert _siblings(index_dir) == []
    Index.load(index_dir, corpus_version=corpus.version, encoder_name=FakeEncoder.name)


# ---------------------------------------------------------------- `bot serve` refuses a broken or stale index


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 3)])


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _rewrite_manifest(index_dir: Path, change) -> None:
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    (index_dir / "manifest.json").write_text(json.dumps(change(manifest)), encoding="utf-8")


def _edit_a_faq_answer(corpus_dir: Path) -> None:
    faq = sorted((corpus_dir / "faq").glob("*.yaml"))[0]
    text = faq.read_text(encoding="utf-8")
    assert "维护国家安全。" in text
    faq.write_text(text.replace("维护国家安全。", "维护国家安全，人人有责。", 1), encoding="utf-8")


DAMAGE = {
    # case: (what to do to the index dir / corpus dir, what the message must name)
    "truncated-vectors": (lambda i, c: _truncate(i / "vectors.faiss"), "vectors.faiss is damaged"),
    "corrupt-units": (lambda i, c: _flip_a_byte(i / "units.jsonl"), "units.jsonl is damaged"),
    "corrupt-units-2-workers": (lambda i, c: _flip_a_byte(i / "units.jsonl"), "units.jsonl is damaged"),  # refused before forking
    "deleted-file": (lambda i, c: (i / "extra.npz").unlink(), "extra.npz is missing"),
    "missing-manifest": (lambda i, c: (i / "manifest.json").unlink(), "no manifest.json"),
    "garbled-manifest": (lambda i, c: _truncate(i / "manifest.json"), "manifest.json is unreadable"),
    "manifest-not-an-object": (lambda i, c: (i / "manifest.json").write_text("[]"), "manifest.json is unreadable"),
    "manifest-without-checksums": (lambda i, c: _rewrite_manifest(i, lambda m: {k: v for k, v in m.items() if k != "files"}),
                                   "lists no file checksums"),
    "no-index": (lambda i, c: shutil.rmtree(i), "no index here"),
    "corpus-changed": (lambda i, c: _edit_a_faq_answer(c), "corpus changed since the build"),
    "other-encoder": (lambda i, c: None, "built with encoder 'fake-bigram-64'"),  # intact, but not e5's
}


@pytest.fixture(scope="module")
def refusals(fake_index_dir, tmp_path_factory):
    """Start `bot serve` on every damaged set-up at once (they only load and refuse, so they can share the cores)."""
    procs = {}
    corpus_root = load_corpus().root
    for case, (damage, _) in DAMAGE.items():
        base = tmp_path_factory.mktemp(case)
        index_dir, corpus_dir = base / "index", base / "corpus"
        shutil.copytree(fake_index_dir, index_dir)
        shutil.copytree(corpus_root, corpus_dir)
        damage(index_dir, corpus_dir)
        port = _free_port()
        env = _env(BOT_INDEX_DIR=str(index_dir), BOT_CORPUS_DIR=str(corpus_dir), BOT_CACHE_DIR=str(base / "cache"))
        workers = ["--workers", "2"] if case.endswith("-2-workers") else []
        procs[case] = subprocess.Popen([PY, "-m", "bot.cli", "serve", "--port", str(port), *workers], cwd=base, env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    yield procs
    for proc in procs.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("case", list(DAMAGE))
def test_serve_refuses_a_broken_or_stale_index_at_once(refusals, case):
    proc = refusals[case]
    try:
        out, err = proc.communicate(timeout=120)  # alone it refuses in ~2.5s; all of them at once on 2 shared cores, slower
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"`bot serve` kept running on a {case} index:\n{out}\n{err}")
    assert proc.returncode == 1, (proc.returncode, out, err)
    message = err.strip().splitlines()[-1] if err.strip() else ""
    assert message.startswith("bot: ") and DAMAGE[case][1] in message and "run `bot build`" in message, err
    assert "Traceback" not in err
    assert "serving on" not in out and "Uvicorn running" not in err  # it never got as far as binding the port


# ---------------------------------------------------------------- nowhere to write a cache


def test_segmenter_falls_back_when_the_cache_dir_cannot_be_created(tmp_path, corpus):
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file, not a directory")
    segmenter = Segmenter(corpus.root / "userdict.txt", Synonyms(corpus.synonyms), blocker / "sub")
    assert segmenter._jieba.tmp_dir == tempfile.gettempdir()
    assert "发现" in segmenter.tokens("发现间谍怎么办")
    assert blocker.is_file()


def test_default_cache_dir_under_an_unwritable_home_falls_back(tmp_path, corpus, monkeypatch):
    monkeypatch.setenv("HOME", "/proc/no-such-home")  # mkdir fails here even for root
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    segmenter = Segmenter(corpus.root / "userdict.txt", Synonyms(corpus.synonyms))
    assert segmenter._jieba.tmp_dir == tempfile.gettempdir()
    assert segmenter.tokens("国安局电话")


def test_an_engine_with_an_unusable_cache_dir_still_serves(fake_index_dir, tmp_path, corpus):
    blocker = tmp_path / "file.txt"
    blocker.write_text("")
    engine = Engine.open(corpus.root, fake_index_dir, FakeEncoder(), cache_dir=blocker / "sub")
    try:
        _assert_serves(engine)
    finally:
        engine.close()


# ---------------------------------------------------------------- end to end with the real encoder (slow)


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))}


def _start_server(app: Path, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    proc = subprocess.Popen([PY, "-m", "bot.cli", "serve", "--port", str(port)], cwd=app, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, port


def _wait_ready(proc: subprocess.Popen, port: int) -> None:
    def ready() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():
            return
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"`bot serve` never became ready (exit {proc.poll()}):\n{proc.communicate()[0]}")


@pytest.mark.slow
def test_killed_real_build_then_read_only_install_still_serves(e5_index, tmp_path):
    # An install directory as in a container image: the package, corpus, web pages and a built index.
    app = tmp_path / "app"
    for name in ("bot", "corpus", "web"):
        shutil.copytree(ROOT / name, app / name, ignore=shutil.ignore_patterns("__pycache__"))
    index_dir = app / "index"
    shutil.copytree(e5_index, index_dir)
    before = (index_dir / "manifest.json").read_text(encoding="utf-8")
    env = _env(BOT_INDEX_DIR=str(index_dir), BOT_CORPUS_DIR=str(app / "corpus"), PYTHONPATH=str(app), PYTHONDONTWRITEBYTECODE="1")
    which = subprocess.run([PY, "-c", "import bot; print(bot.__file__)"], cwd=app, env=env, capture_output=True, text=True, check=True)
    assert which.stdout.strip() == str(app / "bot" / "__init__.py")

    # The real `bot build` (default encoder), SIGKILLed while it encodes.
    proc = subprocess.Popen([PY, "-m", "bot.cli", "build"], cwd=app, env=_env(**{**env, "BOT_CACHE_DIR": str(tmp_path / "jieba")}),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(6)
    _kill(proc)
    assert proc.returncode == -signal.SIGKILL, f"the build was not killed mid-way: {proc.stdout.read()}"
    assert (index_dir / "manifest.json").read_text(encoding="utf-8") == before

    # Nothing may be written into the install directory from here on (root ignores chmod, so compare snapshots).
    subprocess.run(["chmod", "-R", "a-w", str(app)], check=True)
    snapshot = _snapshot(app)
    blocker = tmp_path / "file.txt"
    blocker.write_text("")
    servers = [
        # jieba's cache dir cannot be created (a path under a regular file)
        _start_server(app, {**env, "BOT_CACHE_DIR": str(blocker / "sub")}),
        # no usable HOME, no XDG_CACHE_HOME: the default cache dir cannot be created either
        _start_server(app, _env(**{**env, "HOME": "/proc/no-such-home", "XDG_CACHE_HOME": None})),
    ]
    try:
        for proc, port in servers:
            _wait_ready(proc, port)
            response = httpx.post(f"http://127.0.0.1:{port}/api/chat", json={"message": "发现间谍行为应该怎么举报？"}, timeout=30)
            assert response.status_code == 200, response.text
            answer = response.json()
            assert answer["intent"] in ("question", "report") and answer["citations"] and answer["channels"]
    finally:
        for proc, _ in servers:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        subprocess.run(["chmod", "-R", "u+w", str(app)], check=True)
    assert _snapshot(app) == snapshot, "the server wrote into its install directory"


# ---------------------------------------------------------------- the HTTP layer: oversized bodies, a crashing endpoint, headers


def _scope(method: str, path: str, headers: dict[str, str]) -> dict:
    """An ASGI HTTP scope as a server would build it."""
    return {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "scheme": "http", "server": ("testserver", 80), "client": ("127.0.0.1", 5000), "http_version": "1.1",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}


async def _call(app, method: str, path: str, headers: dict[str, str], chunks: list[bytes]) -> tuple[int, bytes]:
    """One request straight through an ASGI app, its body sent in the given chunks: (status, response body)."""
    incoming = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict] = []

    async def receive():
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    await app(_scope(method, path, headers), receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


@pytest.fixture(scope="module")
def body_limited():
    """BodyLimit around an app that echoes the length of the body it read (and remembers it)."""
    seen: list[bytes] = []

    async def echo(scope, receive, send):
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        seen.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})

    return BodyLimit(echo), seen


@pytest.mark.parametrize(
    "headers,chunks,status",
    [
        ({"content-length": str(MAX_BODY + 1)}, [b"x" * (MAX_BODY + 1)], 413),  # by the header, unread
        ({"content-length": "12abc"}, [b"x"], 413),  # a header that is not a number
        ({}, [b"x" * 6000] * 3, 413),  # chunked, no Content-Length: by the bytes read
        ({"content-length": "10"}, [b"x" * 10, b"x" * MAX_BODY], 413),  # a Content-Length that lies
        ({}, [b"x" * 6000, b"x" * 6000, b"x" * 4384], 200),  # exactly MAX_BODY in three chunks: passed on whole
        ({"content-length": "2"}, [b"{}"], 200),
    ],
    ids=["length-over", "length-garbage", "chunked-over", "length-lies", "chunked-at-limit", "small"],
)
def test_body_limit_refuses_by_header_and_by_bytes_read(body_limited, headers, chunks, status):
    app, seen = body_limited
    seen.clear()
    got, body = asyncio.run(_call(app, "POST", "/api/chat", headers, chunks))
    assert got == status
    if status == 413:
        assert json.loads(body) == {"detail": f"request body too large: at most {MAX_BODY} bytes"}
        assert seen == []  # the app never saw the request
    else:
        assert seen == [b"".join(chunks)] and body == str(len(seen[0])).encode()


def test_oversized_chunked_body_through_the_whole_app_is_refused(fake_engine):
    client = TestClient(create_app(fake_engine, Settings(rate_limit=0)))
    chunks = iter([b'{"message": "', b"a" * MAX_BODY, b'"}'])  # an iterator: sent chunked, without Content-Length
    response = client.post("/api/chat", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "too large" in response.json()["detail"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_crashing_endpoint_gives_a_json_500_without_the_traceback_and_is_counted(fake_engine, caplog):
    app = create_app(fake_engine, Settings(rate_limit=0))

    def boom():
        raise RuntimeError("secret internals zq7")

    app.add_api_route("/boom", boom)
    client = TestClient(app)  # raise_server_exceptions: anything not turned into a 500 here would fail the test
    with caplog.at_level(logging.ERROR, logger="bot"):
        response = client.get("/boom")
    assert response.status_code == 500 and response.json() == {"detail": "internal error"}
    assert "zq7" not in response.text and "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff" and response.headers["referrer-policy"] == "no-referrer"
    assert "internal error on /boom" in caplog.text  # the server's log has it, for the deployer
    assert 'bot_requests_total{method="GET",route="/boom",status="500"} 1.0' in client.get("/metrics").text


def test_a_client_leaving_mid_body_is_counted_as_499_not_as_a_server_error(fake_engine, caplog):
    app = create_app(fake_engine, Settings(rate_limit=0))
    incoming = [{"type": "http.request", "body": b'{"message": "', "more_body": True}, {"type": "http.disconnect"}]
    sent: list[dict] = []

    async def receive():
        return incoming.pop(0)

    async def send(message):
        sent.append(message)

    with caplog.at_level(logging.ERROR, logger="bot"):
        asyncio.run(app(_scope("POST", "/api/chat", {"content-type": "application/json"}), receive, send))
    assert sent == [] and "internal error" not in caplog.text
    metrics = TestClient(app).get("/metrics").text
    assert 'method="POST",route="unmatched",status="499"} 1.0' in metrics
    assert 'status="500"' not in metrics


def test_security_headers_and_metrics_by_route_template(fake_engine):
    client = TestClient(create_app(fake_engine, Settings(rate_limit=0)))
    page = client.get("/")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    api = client.get("/api/docs/zhejiang-2019/articles/19")
    assert api.status_code == 200 and "content-security-policy" not in api.headers
    assert api.headers["x-content-type-options"] == "nosniff" and api.headers["referrer-policy"] == "no-referrer"
    client.get("/api/docs/zhejiang-2019/articles/99")
    client.get("/no/such/page")
    metrics = client.get("/metrics").text
    assert 'bot_requests_total{method="GET",route="/api/docs/{doc_id}/articles/{n}",status="200"} 1.0' in metrics
    assert 'bot_requests_total{method="GET",route="/api/docs/{doc_id}/articles/{n}",status="404"} 1.0' in metrics
    assert 'bot_requests_total{method="GET",route="unmatched",status="404"} 1.0' in metrics


def test_access_log_is_opt_in(fake_engine, caplog):
    for enabled in (False, True):
        client = TestClient(create_app(fake_engine, Settings(rate_limit=0, access_log=enabled)))
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="bot"):
            client.get("/healthz")
        assert ("GET /healthz 200" in caplog.text) is enabled


# ---------------------------------------------------------------- cache hits and load shedding


def test_cache_hits_send_the_stored_bytes_and_the_schema_still_documents_answer_out(fake_engine):
    client = TestClient(create_app(fake_engine, Settings(rate_limit=0)))
    first = client.post("/api/chat", json={"message": "宣传日是哪天"})
    again = client.post("/api/chat", json={"message": " 宣传日是哪天 "})
    ask = client.get("/api/ask", params={"q": "宣传日是哪天"})
    assert first.status_code == again.status_code == ask.status_code == 200
    assert first.content == again.content == ask.content  # one serialised answer, for both endpoints
    assert first.headers["content-type"] == "application/json"
    metrics = client.get("/metrics").text
    assert 'bot_answer_cache_total{result="hit"} 2.0' in metrics and 'bot_answer_cache_total{result="miss"} 1.0' in metrics
    paths = client.get("/api/openapi.json").json()["paths"]
    for path, method in (("/api/chat", "post"), ("/api/ask", "get")):
        responses = paths[path][method]["responses"]
        assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/AnswerOut")
        assert responses["503"]["content"]["application/json"]["schema"]["$ref"].endswith("/Problem")


class GatedEncoder(FakeEncoder):
    """The fake encoder behind a gate: while it is closed, every uncached answer waits (stays pending)."""

    def __init__(self):
        self.gate = threading.Event()
        self.gate.set()

    def encode_queries(self, texts):
        assert self.gate.wait(30), "the test never opened the gate"
        return super().encode_queries(texts)


@pytest.fixture
def gated(fake_engine):
    """(encoder, engine): the fake-encoder engine behind a gate the test closes and opens."""
    encoder = GatedEncoder()
    engine = Engine.assemble(fake_engine.corpus, fake_engine.index, encoder, segmenter=fake_engine.segmenter)
    yield encoder, engine
    encoder.gate.set()  # never leave a request (or the encoder thread) hanging
    engine.close()


def test_past_max_pending_new_questions_get_503_at_once_while_cache_hits_are_served(gated):
    encoder, engine = gated
    app = create_app(engine, Settings(rate_limit=0, max_pending=2))

    def pending() -> float:
        return app.state.metrics.registry.get_sample_value("bot_answers_pending")

    async def scenario():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            cached = await client.get("/api/ask", params={"q": "宣传日是哪天"})
            assert cached.status_code == 200
            encoder.gate.clear()
            held = [asyncio.create_task(client.post("/api/chat", json={"message": f"发现间谍怎么举报{i}"})) for i in range(2)]
            for _ in range(500):
                if pending() == 2:
                    break
                await asyncio.sleep(0.01)
            assert pending() == 2

            started = time.perf_counter()
            refused = [
                await client.post("/api/chat", json={"message": "重点单位要做什么"}),
                await client.get("/api/ask", params={"q": "举报有奖励吗"}),
                await client.post("/api/chat", json={"message": "宣传日是哪天", "history": [{"role": "user", "text": "你好"}]}),
            ]
            assert time.perf_counter() - started < 5  # answered at once, not queued behind the held ones
            for response in refused:
                assert response.status_code == 503 and response.headers["retry-after"] == "1"
                assert "稍后再试" in response.json()["detail"] and "try again" in response.json()["detail"]
            hits = [await client.get("/api/ask", params={"q": "宣传日是哪天"}),
                    await client.post("/api/chat", json={"message": "宣传日是哪天"})]
            assert [h.status_code for h in hits] == [200, 200] and hits[0].content == cached.content

            encoder.gate.set()
            answered = await asyncio.gather(*held)
            assert [r.status_code for r in answered] == [200, 200] and pending() == 0
            assert (await client.post("/api/chat", json={"message": "重点单位要做什么"})).status_code == 200  # room again
            return (await client.get("/metrics")).text

    metrics = asyncio.run(scenario())
    assert "bot_shed_total 3.0" in metrics and "bot_answers_pending 0.0" in metrics
    assert 'bot_requests_total{method="POST",route="/api/chat",status="503"} 2.0' in metrics


def test_max_pending_zero_never_sheds(gated):
    encoder, engine = gated
    app = create_app(engine, Settings(rate_limit=0, max_pending=0))

    async def scenario():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            encoder.gate.clear()
            held = [asyncio.create_task(client.get("/api/ask", params={"q": f"举报{i}"})) for i in range(20)]
            await asyncio.sleep(0.3)
            encoder.gate.set()
            return [r.status_code for r in await asyncio.gather(*held)]

    assert asyncio.run(scenario()) == [200] * 20


# ---------------------------------------------------------------- the chat page when the bot is busy (real chromium)

CHROMIUM = "/usr/bin/chromium"


@contextlib.contextmanager
def uvicorn_in_thread(app, **options):
    """An app under uvicorn on a free loopback port, in a thread of this process; yields the port."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, **{"host": "127.0.0.1", "log_level": "warning", **options, "port": _free_port()}))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        _wait_for(lambda: server.started, 30, what="uvicorn to start")
        yield server.config.port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def live_fake_server(fake_engine):
    """The real app (fake encoder) under uvicorn, in a thread of this process."""
    with uvicorn_in_thread(create_app(fake_engine, Settings(rate_limit=0))) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.mark.browser
@pytest.mark.parametrize("refusals", [1, 2], ids=["busy-once", "busy-twice"])
def test_chat_page_says_busy_and_retries_once_after_retry_after(live_fake_server, refusals):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    posts: list[float] = []

    def busy_then_real(route):
        posts.append(time.monotonic())
        if len(posts) <= refusals:  # what a shedding bot sends
            route.fulfill(status=503, headers={"Retry-After": "1", "Content-Type": "application/json"},
                          body=json.dumps({"detail": "服务繁忙，请稍后再试。"}))
        else:
            route.continue_()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(locale="zh-CN")
            page.route("**/api/chat", busy_then_real)
            page.goto(live_fake_server + "/")
            sync_api.expect(page.locator("#channel-list li").first).to_be_visible()
            page.locator("#chat-input").fill("发现间谍怎么举报")
            page.locator("#chat-input").press("Enter")
            sync_api.expect(page.locator(".msg-status")).to_have_text("现在提问的人较多，请稍候，马上为你重试…")
            sync_api.expect(page.locator("#chat-log")).to_have_attribute("aria-busy", "false", timeout=15000)
            log = page.locator("#chat-log")
            if refusals == 1:  # the retry got the answer
                sync_api.expect(log.locator("article.msg-bot").last.locator(".answer-text")).not_to_be_empty()
                sync_api.expect(log.locator(".msg-error")).to_have_count(0)
            else:  # both refused: a plain "busy" message, the channels still on screen
                sync_api.expect(log.locator(".msg-error")).to_contain_text("现在提问的人较多，请稍等片刻再试。")
                sync_api.expect(log.locator(".msg-error")).to_contain_text("官方渠道")
        finally:
            browser.close()
    assert len(posts) == 2  # one retry, never more
    assert posts[1] - posts[0] >= 0.9  # after Retry-After, not at once


# ---------------------------------------------------------------- keep-alive: never close under a pausing visitor


def test_an_idle_keep_alive_connection_outlives_a_visitors_pause(fake_engine):
    """uvicorn closes idle connections after 5 s by default: a client sending just then gets a reset (seen once in a
    1,238-request bench soak with 1–5 s pauses). `bot serve` keeps them open longer than a visitor's or a proxy's pause."""
    import http.client

    from bot.cli import uvicorn_options

    settings = Settings(rate_limit=0)
    with uvicorn_in_thread(create_app(fake_engine, settings), **uvicorn_options(settings, "127.0.0.1", 0)) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/healthz")
        assert conn.getresponse().read() and conn.sock is not None
        first_socket = conn.sock
        time.sleep(6)  # past uvicorn's default of 5 s
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        assert response.status == 200 and conn.sock is first_socket
        conn.close()
