"""The bench's report from made-up measurements: shed requests kept apart from errors and latency, the targets
judged on the visitors' soak (think time), the capacity grid kept. No server, no locust (never imported here)."""

from __future__ import annotations

import json

from bench.harness import LoadResult, find, little_law, parse_locust_json, report_markdown, soak_run, targets


def _entry(name: str, times: dict[int, int], failures: int = 0, start: float = 100.0, end: float = 110.0) -> dict:
    return {"name": name, "num_requests": sum(times.values()), "num_failures": failures, "start_time": start,
            "last_request_timestamp": end, "response_times": {str(ms): n for ms, n in times.items()}}


def test_shed_requests_are_counted_apart_and_left_out_of_latency_and_throughput(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps([
        _entry("popular GET /api/ask", {2: 90, 3: 10}, end=104.0),
        _entry("unique POST /api/chat", {150: 48, 900: 2}, failures=1, end=103.0),
        _entry("shed unique POST /api/chat", {1: 400}, failures=400, end=110.0),
    ]))
    out = parse_locust_json(path)
    assert (out["requests"], out["failures"], out["shed"]) == (150, 1, 400)
    assert out["rps"] == 15.0  # 150 served over the run's 10 s (its last request was shed); the 503s are not throughput
    assert out["p50"] == 2.0 and out["p99"] == 900.0  # with the 400 refusals of 1 ms the median would be 1 ms
    assert out["by_name"]["shed unique POST /api/chat"]["requests"] == 400
    assert parse_locust_json(path, seconds=30)["rps"] == 5.0  # a 30 s run whose clients all stalled after 10 s


def _result(think: str = "1-5", soak_seconds: int = 60, shed: int = 0, p99: float = 120.0) -> dict:
    pct = {"n": 10, "p50": 1.5, "p95": 2.0, "p99": 3.0}
    grid = [LoadResult(mode, users, 1, 10, requests=1000, rps=rps, p50=5, p95=50, p99=900, shed=shed_n,
                       server_cpu_ms=2.0, locust_cpu=0.3, rss=[(0, 200.0), (1, 210.0)])
            for mode, rps, shed_n in (("cached", 1200.0, 0), ("uncached", 28.0, 300), ("mix", 90.0, 40)) for users in (1, 8, 32, 64)]
    soak = LoadResult("mix", 64, 1, soak_seconds, think, requests=1200, rps=20.0, p50=4, p95=60, p99=p99, shed=shed,
                      server_cpu_ms=6.0, locust_cpu=0.05, rss=[(0, 220.0), (1, 225.0)])
    return {
        "date": "2026-11-28 00:00", "machine": "test box", "commit": "abc1234", "load_start": (1.0, 1.0, 1.0), "load_end": (1.0, 1.0, 1.0),
        "cell_seconds": 10, "soak_seconds": soak_seconds, "think": think, "full": soak_seconds >= 60, "cache_size": 2048,
        "max_pending": 16, "locust": "2.x", "extra_env": {}, "popular": ["你好"], "ready": [2.0, 2.1, 2.2], "rss_idle": 190.0,
        "rss_end": 230.0, "torch": False, "workers_note": "not measured here",
        "floor": {"encode": {"n": 10, "p50": 17.0, "p95": 20.0, "p99": 25.0}, "bm25": pct, "floor": pct, "retrieve": pct, "answer": pct,
                  "encoder": "fake", "threads": {"threads": 4, "direct_ms": 20.0, "worker_ms": 17.0}},
        "single": {k: {**pct, "errors": 0} for k in ("chat_uncached", "ask_uncached", "chat_cached", "ask_cached", "ask_304")},
        "loads": [*grid, soak],
    }


def _verdicts(res: dict) -> dict[str, bool | None]:
    return {name.split(",")[0]: ok for name, _, ok in targets(res)}


def test_the_load_targets_are_judged_on_the_visitors_soak_not_the_closed_loop_grid():
    res = _result()
    assert soak_run(res).think == "1-5" and find(res["loads"], "mix", 64).think == "0"
    verdicts = _verdicts(res)
    assert verdicts["0 errors"] is True and verdicts["p99 ≤ 200 ms under that load"] is True  # the grid's p99 900 ms is not judged
    assert verdicts["cached answers ≥ 1"] is True


def test_a_shed_visitor_counts_against_zero_errors_and_a_short_soak_is_not_a_pass():
    assert _verdicts(_result(shed=3))["0 errors"] is False
    assert _verdicts(_result(soak_seconds=30))["0 errors"] is None  # clean, but not the 60 s of the target
    assert _verdicts(_result(p99=250.0))["p99 ≤ 200 ms under that load"] is False


def test_report_states_think_time_littles_law_and_shed_counts():
    res = _result()
    report = report_markdown(res)
    assert "Little's law" in report and "1-5 s" in report and "BOT_MAX_PENDING=16" in report
    assert "**Visitors**" in report and "0 shed (503)" in report
    assert "· 0 err · 300 shed" in report  # the uncached capacity row shows what was shed, apart from errors
    for heading in ("**Targets**", "**Latency, one client**", "**Capacity: throughput", "**Start-up, memory, scale-out**"):
        assert heading in report
    # 64 clients at the 90/s of the closed-loop mix: at least 64/90 s ≈ 711 ms of mean latency, by Little's law
    assert "≈ 711 ms" in little_law(res)


def test_think_time_zero_keeps_the_old_closed_loop_soak_apart_from_the_grid_row():
    res = _result(think="0")
    assert soak_run(res) is res["loads"][-1] and soak_run(res) is not find(res["loads"], "mix", 64)


def test_unique_questions_are_asked_as_typed_first_then_tagged_and_never_repeat():
    from bench.harness import UniqueQuestions

    pool = ["单位有哪些义务？", "學校要教嗎", "学校要教吗", "怎么举报"]
    ask = UniqueQuestions(pool, "t", exclude=["怎么举报"])
    asked = [ask() for _ in range(5)]
    assert asked[:2] == ["单位有哪些义务？", "學校要教嗎"]  # bare; the simplified twin and the popular one are left out
    assert all(q.startswith(pool[i % 2]) and "#t" in q for i, q in enumerate(asked[2:], start=2))  # then tagged
    assert len(set(asked)) == len(asked)


def test_failure_messages_name_what_failed_and_leave_shed_requests_out(tmp_path):
    from bench.harness import failure_messages

    path = tmp_path / "run_failures.csv"
    path.write_text("Method,Name,Error,Occurrences\n"
                    "POST,unique POST /api/chat,HTTP 500,1\n"
                    "GET,shed unique GET /api/ask,HTTP 503,40\n", encoding="utf-8")
    assert failure_messages(path) == ["HTTP 500 × 1 (POST unique POST /api/chat)"]
    assert failure_messages(tmp_path / "missing.csv") == []
