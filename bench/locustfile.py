"""Load for `make bench`: visitors asking questions of a live `bot serve`, with or without think time.

Run by `python -m bench.harness` as a separate process (never imported by the app or the tests):

    BENCH_QUESTIONS=questions.json BENCH_MODE=mix locust -f bench/locustfile.py --headless \
        -u 64 -r 64 -t 20s --host http://127.0.0.1:8000 --csv out/mix-64

Environment:
- BENCH_QUESTIONS      JSON file {"popular": [...], "pool": [...]} written by bench/harness.py
- BENCH_MODE           cached (popular questions only), uncached (unique questions only) or mix
- BENCH_POPULAR_SHARE  share of popular questions in the mix (default 0.7)
- BENCH_ENDPOINT       chat (POST /api/chat), ask (GET /api/ask) or both (half each; default)
- BENCH_TAG            makes this run's unique questions differ from every other run's
- BENCH_MAX_REQUESTS   stop after this many requests in all (default 200000); -t bounds the time
- BENCH_THINK          seconds a visitor types and reads between questions: "1-5" (uniform), "3" (fixed) or
                       "0" (default: a closed loop with no pause, which measures capacity, not visitors)

A 503 (the server shedding load) is a failure reported under the name "shed <name>", so the bench can tell
deliberate refusals from other errors and keep them out of the latency of answered requests. After a 503 or a
429 the visitor waits Retry-After seconds, as the web pages do, instead of hammering the server at once.

Only loopback hosts are accepted: a load test here never leaves the machine.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import os
import random
from urllib.parse import quote, urlsplit

import gevent
from locust import FastHttpUser, between, constant, events, task
from locust.exception import StopUser

with open(os.environ["BENCH_QUESTIONS"], encoding="utf-8") as fh:
    QUESTIONS = json.load(fh)
POPULAR: list[str] = QUESTIONS["popular"]
POOL: list[str] = QUESTIONS["pool"]
MODE = os.environ.get("BENCH_MODE", "mix")
POPULAR_SHARE = {"cached": 1.0, "uncached": 0.0}.get(MODE, float(os.environ.get("BENCH_POPULAR_SHARE", "0.7")))
ENDPOINT = os.environ.get("BENCH_ENDPOINT", "both")
TAG = os.environ.get("BENCH_TAG", f"p{os.getpid()}")
MAX_REQUESTS = int(os.environ.get("BENCH_MAX_REQUESTS", "200000"))
THINK = os.environ.get("BENCH_THINK", "0")

_sent = itertools.count()  # users are greenlets on one thread: a plain counter is safe
_unique = itertools.count()
_rng = random.Random(7)


def is_loopback(url: str) -> bool:
    """Whether a URL points at this machine (127.0.0.0/8, ::1 or localhost)."""
    name = urlsplit(url or "").hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def think_time(spec: str):
    """A locust wait_time from "low-high" (uniform seconds) or one number of seconds."""
    low, _, high = spec.partition("-")
    return between(float(low), float(high)) if high else constant(float(low))


def unique_question() -> str:
    """A question never asked before in this bench: an eval question plus a run tag and counter."""
    n = next(_unique)
    return f"{POOL[n % len(POOL)]} #{TAG}{n}"


@events.test_start.add_listener
def _refuse_remote(environment, **_kwargs):
    if not is_loopback(environment.host or ""):
        print(f"locustfile: refusing non-loopback host {environment.host!r}", flush=True)
        environment.runner.quit()


class Visitor(FastHttpUser):
    """One client asking question after question (keep-alive), pausing BENCH_THINK seconds in between."""

    wait_time = think_time(THINK)

    def on_start(self):
        if not is_loopback(self.host or ""):
            raise StopUser()
        if THINK != "0":  # a visitor types the first question too: arrivals spread out instead of all in the first second
            self.wait()

    @task
    def ask(self):
        if next(_sent) >= MAX_REQUESTS:
            self.environment.runner.quit()
            raise StopUser()
        popular = _rng.random() < POPULAR_SHARE
        question = _rng.choice(POPULAR) if popular else unique_question()
        kind = "popular" if popular else "unique"
        use_chat = ENDPOINT == "chat" or (ENDPOINT == "both" and _rng.random() < 0.5)
        if use_chat:
            request = self.client.post("/api/chat", json={"message": question}, name=f"{kind} POST /api/chat", catch_response=True)
        else:
            request = self.client.get("/api/ask?q=" + quote(question), name=f"{kind} GET /api/ask", catch_response=True)
        with request as response:
            if response.status_code == 503:
                response.request_meta["name"] = f"shed {response.request_meta['name']}"
                response.failure("shed: HTTP 503")
            # every answer carries the reporting channels: a cheap check that it is a real answer
            elif response.status_code != 200 or b'"channels"' not in (response.content or b""):
                response.failure(f"HTTP {response.status_code}")
            else:
                response.success()
            retry_after = response.headers.get("Retry-After") if response.status_code in (429, 503) else None
        if retry_after:
            gevent.sleep(min(float(retry_after), 10.0))
