"""The encoder beside other CPU load: how many OpenMP threads a deployment should give it (BOT_ENCODER_THREADS).

A kiosk box runs chromium on the same two cores as the bot. An OpenMP team of one thread per core waits for its
slowest thread at every step, and a thread the scheduler has handed to another process makes every step wait. So for
each number of busy processes beside it (0, 1, 2: any CPU load, e.g. a browser rendering) and each thread count, a
fresh process loads the encoder the way `bot serve` does (Settings → make_encoder, so BOT_ENCODER_THREADS is what
is measured) and times one question at a time, as the server asks it. Results go to the encoder-threads section of
docs/benchmarks.md.

    python -m bench.encoder_threads                 # about 2–3 minutes on 2 cores (`make bench-threads`)
    python -m bench.encoder_threads --calls 30 --seconds 5 --no-write    # a quick check that it all runs
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence

import numpy as np

from bot.evaluate import commit, machine, write_section

from .harness import PROJECT_DIR, REPORT, load_pool, say

SPIN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass\n"  # one busy core, bounded


def measure(threads: int, calls: int, seconds: float) -> dict:
    """In this process: load the encoder with BOT_ENCODER_THREADS=threads and time up to `calls` single questions."""
    os.environ["BOT_ENCODER_THREADS"] = str(threads)
    from bot.encoders import make_encoder
    from bot.settings import Settings

    settings = Settings()
    encoder = make_encoder(settings.encoder, settings.query_prompt, settings.passage_prompt, settings.encoder_threads)
    pool = load_pool(PROJECT_DIR / "eval" / "dev.yaml")
    for q in pool[:5]:  # start the OpenMP team, warm the caches
        encoder.encode_queries([q])
    times, cpu = [], time.process_time()
    deadline = time.perf_counter() + seconds
    for q in (pool * (calls // len(pool) + 1))[:calls]:
        if time.perf_counter() > deadline:  # a pathological cell gets fewer samples, not a longer bench
            break
        started = time.perf_counter()
        encoder.encode_queries([q])
        times.append((time.perf_counter() - started) * 1000)
    arr = np.asarray(times)
    return {
        "threads": threads, "n": len(times), "p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95)),
        "p99": float(np.percentile(arr, 99)), "max": float(arr.max()), "cpu_ms": (time.process_time() - cpu) * 1000 / len(times),
        "os_threads": len(os.listdir("/proc/self/task")),
    }


def run_cell(busy: int, threads: int, calls: int, seconds: float) -> dict:
    """One measurement in a fresh process (the team size is fixed when the encoder loads) beside `busy` spinning ones."""
    bound = seconds + 60  # the spinners stop by themselves even if this process dies
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN.format(seconds=bound)]) for _ in range(busy)]
    try:
        time.sleep(0.5 if busy else 0)
        out = subprocess.run(
            [sys.executable, "-m", "bench.encoder_threads", "--child", str(threads), "--calls", str(calls), "--seconds", str(seconds)],
            capture_output=True, text=True, timeout=bound + 60, cwd=PROJECT_DIR, check=True,
        )
    finally:
        for proc in spinners:
            proc.kill()
            proc.wait()
    return {"busy": busy, **json.loads(out.stdout.strip().splitlines()[-1])}


def report_markdown(cells: Sequence[dict], load_start: tuple, load_end: tuple) -> str:
    """The encoder-threads section of docs/benchmarks.md."""
    cores = os.cpu_count()
    lines = [
        "## The encoder beside other CPU load (`make bench-threads`)",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {machine()}, commit {commit()}, with `python -m bench.encoder_threads`."
        f" Load average at start {load_start[0]:.2f}, at the end {load_end[0]:.2f} (the machine is shared: other work adds to the"
        " busy processes below). Each cell: a fresh process loads the encoder with `BOT_ENCODER_THREADS` = the team size and"
        " encodes eval/dev.yaml questions one at a time while that many other processes keep a core busy each.",
        "",
        "| busy processes beside it | threads | n | p50 ms | p95 ms | p99 ms | max ms | CPU ms per call |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in cells:
        lines.append(f"| {c['busy']} of {cores} cores | {c['threads']} | {c['n']} | {c['p50']:.1f} | {c['p95']:.1f} | {c['p99']:.1f}"
                     f" | {c['max']:.0f} | {c['cpu_ms']:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every cell, print the table and write it to docs/benchmarks.md."""
    parser = argparse.ArgumentParser(prog="python -m bench.encoder_threads", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", default=f"1,{os.cpu_count()}", help="team sizes to measure, comma-separated (default 1,cores)")
    parser.add_argument("--busy", default=",".join(str(n) for n in range((os.cpu_count() or 1) + 1)),
                        help="busy processes beside it, comma-separated (default 0 to cores)")
    parser.add_argument("--calls", type=int, default=200, help="questions per cell (default 200)")
    parser.add_argument("--seconds", type=float, default=20, help="at most this long per cell (default 20)")
    parser.add_argument("--no-write", action="store_true", help="print the table but do not update docs/benchmarks.md")
    parser.add_argument("--child", type=int, metavar="THREADS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not (1 <= args.calls <= 5000 and 1 <= args.seconds <= 120):
        parser.error("--calls is 1–5000 and --seconds 1–120")
    if args.child is not None:
        print(json.dumps(measure(args.child, args.calls, args.seconds)))
        return 0
    try:
        threads = [int(t) for t in args.threads.split(",")]
        busy = [int(b) for b in args.busy.split(",")]
    except ValueError:
        parser.error("--threads and --busy want comma-separated numbers")
    if not all(1 <= t <= 64 for t in threads) or not all(0 <= b <= 8 for b in busy):
        parser.error("--threads is 1–64 each, --busy 0–8 each")
    load_start, cells = os.getloadavg(), []
    for b in busy:
        for t in threads:
            say(f"{b} busy, {t} thread{'s' if t > 1 else ''}")
            cells.append(run_cell(b, t, args.calls, args.seconds))
    body = report_markdown(cells, load_start, os.getloadavg())
    print(body)
    if not args.no_write:
        write_section(REPORT, "encoder-threads", body)
        say(f"written to {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
