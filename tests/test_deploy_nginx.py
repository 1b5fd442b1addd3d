"""deploy/nginx/zj-bot.conf run by Debian's nginx in front of a real `bot serve` configured by deploy/systemd/city.env,
with only its ports, paths and server name changed for the test: TLS, the /api/ask cache (hit, ETag revalidation,
stale answers when the bot fails or sheds), the access log, the client address the bot sees, the per-client limit."""

from __future__ import annotations

import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from deploytools import tool

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "zj-bot.conf"
CITY_ENV = ROOT / "deploy" / "systemd" / "city.env"
QUESTION = "反间谍安全防范宣传日是哪一天呢"  # what a visitor typed: it must never reach a log
pytestmark = pytest.mark.deploy


def env_file(path: Path) -> dict[str, str]:
    """The NAME=VALUE lines of an environment file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_nginx_and_the_bot_agree_on_address_trust_and_keep_alive():
    site, env = SITE.read_text(encoding="utf-8"), env_file(CITY_ENV)
    upstream = re.search(r"upstream zjbot \{(.*?)\}", site, flags=re.S).group(1)
    assert re.search(r"server (\S+);", upstream).group(1) == f"{env['BOT_HOST']}:{env['BOT_PORT']}"
    assert env["BOT_TRUSTED_PROXIES"] == "127.0.0.1"  # nginx on the same box: trust it and nothing else
    # nginx closes idle upstream connections before the bot would: never a request sent on a connection being closed
    assert int(re.search(r"keepalive_timeout (\d+)s;", upstream).group(1)) < int(env["BOT_KEEP_ALIVE"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _templated(tmp: Path, ports: dict[str, int]) -> str:
    """The shipped site config with this test's ports, paths and name; each placeholder must still be there."""
    text = SITE.read_text(encoding="utf-8")
    swaps = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{ports['bot']};",
        "listen 80 default_server;": f"listen 127.0.0.1:{ports['http']} default_server;",
        "listen 443 ssl default_server;": f"listen 127.0.0.1:{ports['https']} ssl default_server;",
        "listen 80;": f"listen 127.0.0.1:{ports['http']};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{ports['https']} ssl http2;",
        "bot.example.gov.cn": "localhost",
        "/etc/ssl/zj-bot/fullchain.pem": str(tmp / "cert.pem"),
        "/etc/ssl/zj-bot/privkey.pem": str(tmp / "key.pem"),
        "/var/cache/nginx/zj-bot": str(tmp / "cache"),
        "/var/log/nginx/": str(tmp / "log") + "/",
    }
    for old, new in swaps.items():
        assert old in text, f"{old!r} is no longer in {SITE.name}: update this test's templating"
        text = text.replace(old, new)
    return text


class Bot:
    """A real `bot serve` with city.env's settings (and the test's port), started and stopped on demand."""

    def __init__(self, index_dir: Path, port: int, log: Path, overrides: dict[str, str]):
        self.port, self.log = port, log
        self.env = {**os.environ, **env_file(CITY_ENV), "BOT_INDEX_DIR": str(index_dir), "BOT_PORT": str(port), **overrides}
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError(f"bot serve never became ready:\n{self.log.read_text(errors='replace')[-3000:]}")

    def requests(self, route: str, status: str) -> float:
        """bot_requests_total of a route and status, from the bot's own /metrics (not through nginx)."""
        text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5).text
        pattern = rf'bot_requests_total\{{method="[A-Z]+",route="{re.escape(route)}",status="{status}"\}} (\S+)'
        return sum(float(v) for v in re.findall(pattern, text))

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


class Busy(http.server.BaseHTTPRequestHandler):
    """Stands in for the bot shedding load: 503 + Retry-After, as the bot answers a new question past BOT_MAX_PENDING.
    (The real bot answers nginx's revalidation of a cached question with a 304 before it could shed it.)"""

    hits = 0

    def do_GET(self):  # noqa: N802
        type(self).hits += 1
        body = json.dumps({"detail": "busy"}).encode()
        self.send_response(503)
        self.send_header("Retry-After", "1")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def stack(tmp_path, e5_index):
    """nginx (the shipped site config) in front of a real bot; yields (bot, nginx's https URL, the log folder)."""
    nginx, openssl = tool("nginx", "nginx"), tool("openssl", "openssl")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    (tmp_path / "log").mkdir()
    ports = {"bot": _free_port(), "http": _free_port(), "https": _free_port()}
    (tmp_path / "zj-bot.conf").write_text(_templated(tmp_path, ports), encoding="utf-8")
    temp_paths = "".join(f"    {kind}_temp_path {tmp_path / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")  # workers must read this test's private tmp folder
        + f"daemon off;\nworker_processes 1;\npid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'log' / 'main.error.log'};\n"
        "events { worker_connections 256; }\n"
        f"http {{\n    include /etc/nginx/mime.types;\n{temp_paths}    include {tmp_path / 'zj-bot.conf'};\n}}\n"
    )
    conf = ["-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    checked = subprocess.run([nginx, "-t", *conf], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr

    # The bot: city.env, a one-second cache lifetime (to see expiry within the test), and loopback clients limited
    # with a small burst (every client here is on 127.0.0.x) to see whose address it counts.
    bot = Bot(e5_index, ports["bot"], tmp_path / "bot.log",
              {"BOT_ASK_MAX_AGE": "1", "BOT_RATE_LIMIT_LOOPBACK": "true", "BOT_RATE_LIMIT_BURST": "3"})
    bot.start()
    server = subprocess.Popen([nginx, *conf], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", ports["https"])) == 0:
                    break
            time.sleep(0.1)
        yield bot, f"https://localhost:{ports['https']}", tmp_path / "log"
    finally:
        server.terminate()
        server.wait(timeout=15)
        bot.stop()


def client(source: str) -> httpx.Client:
    """A visitor at `source` (a loopback address of its own), through nginx's TLS (the test's self-signed certificate)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=source, verify=False), verify=False, timeout=30)


def cache_statuses(log: Path) -> list[str]:
    return [line.rsplit(" ", 1)[-1] for line in (log / "zj-bot.access.log").read_text(encoding="utf-8").splitlines() if "/api/ask" in line]


@pytest.mark.slow
def test_nginx_in_front_of_the_bot(stack):
    bot, url, logs = stack
    ask = f"{url}/api/ask?q={quote(QUESTION)}"
    with client("127.0.0.2") as visitor:
        # Names other than ours get no TLS handshake at all.
        with pytest.raises(httpx.ConnectError):
            httpx.get(url.replace("localhost", "127.0.0.1") + "/healthz", verify=False, timeout=10)

        # The cache: a second identical question never reaches the bot; once expired, the ETag revalidates it (304).
        first, second = visitor.get(ask), visitor.get(ask)
        assert first.status_code == second.status_code == 200 and first.json() == second.json()
        assert first.json()["channels"] and "ETag" in second.headers
        assert cache_statuses(logs)[-2:] == ["MISS", "HIT"] and bot.requests("/api/ask", "200") == 1
        time.sleep(2.5)  # max-age 1 s, and nginx counts whole seconds
        assert visitor.get(ask).json() == first.json()
        assert cache_statuses(logs)[-1] == "REVALIDATED" and bot.requests("/api/ask", "304") == 1

    with client("127.0.0.5") as asker:
        # The bot sees the address nginx forwarded: 3 questions (BOT_RATE_LIMIT_BURST), then its own 429 ...
        chats = [asker.post(f"{url}/api/chat", json={"message": f"{QUESTION}{i}"}) for i in range(4)]
        assert [r.status_code for r in chats] == [200, 200, 200, 429]
        assert chats[-1].json()["detail"].startswith("too many questions; try again in")  # the bot's limit, not nginx's
        # ... and nothing a client forged: another X-Forwarded-For changes nothing for this visitor ...
        forged = asker.post(f"{url}/api/chat", json={"message": f"{QUESTION}forged"}, headers={"X-Forwarded-For": "127.0.0.9"})
        assert forged.status_code == 429
    with client("127.0.0.3") as neighbour:  # ... while a visitor at another address has a bucket of its own
        assert neighbour.post(f"{url}/api/chat", json={"message": "你好"}).status_code == 200

    # nginx's own limit per client address on POST /api/chat (once for all the bot's workers): a burst of 20.
    with client("127.0.0.4") as flood:
        statuses = [flood.post(f"{url}/api/chat", json={"message": "你好"}) for _ in range(26)]
    refused = [r for r in statuses if r.status_code == 429 and "from this address" in r.text]
    assert refused and refused[0].headers["Retry-After"] and refused[0].json()["detail"]

    # The bot down: the cached answer, stale, rather than an error; the bot shedding (503): the same.
    time.sleep(2.5)
    bot.stop()
    with client("127.0.0.2") as visitor:
        down = visitor.get(ask)
        assert down.status_code == 200 and down.json() == first.json() and cache_statuses(logs)[-1] == "STALE"
        busy = http.server.ThreadingHTTPServer(("127.0.0.1", bot.port), Busy)
        threading.Thread(target=busy.serve_forever, daemon=True).start()
        try:
            shed = visitor.get(ask)
        finally:
            busy.shutdown()
            busy.server_close()
    assert Busy.hits >= 1 and shed.status_code == 200 and shed.json() == first.json() and cache_statuses(logs)[-1] == "STALE"

    # Nothing anyone typed in the logs: no query string, no body, in the access log or the error log.
    for name in ("zj-bot.access.log", "zj-bot.error.log"):
        text = (logs / name).read_text(encoding="utf-8") if (logs / name).exists() else ""
        for typed in (QUESTION, quote(QUESTION), "q=", "你好"):
            assert typed not in text, f"{typed!r} in {name}"
    access = (logs / "zj-bot.access.log").read_text(encoding="utf-8")
    assert '"GET /api/ask HTTP/1.1" 200' in access and '"POST /api/chat HTTP/1.1" 429' in access  # it does log requests
