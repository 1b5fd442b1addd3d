"""`bot eval`: retrieval and intent metrics on a question set, every retrieval mode side by side."""

from __future__ import annotations

import platform
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from .engine import Engine
from .retrieve import MODES

PRIMARY = "zhejiang-2019"


@dataclass(frozen=True)
class EvalItem:
    """One labelled question."""

    q: str
    intent: str
    gold: tuple[tuple[str, int], ...]
    lang: str


def load_set(path: Path) -> list[EvalItem]:
    """Read a question set (YAML list of q, intent, gold, lang)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [
        EvalItem(str(d["q"]), str(d.get("intent", "question")), tuple((str(g[0]), int(g[1])) for g in d.get("gold") or []), str(d.get("lang", "zh-Hans")))
        for d in data
    ]


def _rank_of_gold(ranked: list[tuple[str, int]], gold: set[tuple[str, int]]) -> int | None:
    for i, key in enumerate(ranked, start=1):
        if key in gold:
            return i
    return None


def evaluate(engine: Engine, items: list[EvalItem]) -> dict:
    """Compute every metric; returns a JSON-ready dict."""
    from .answer import Answerer

    answerer = Answerer(engine)
    vectors = engine.retriever.embed([i.q for i in items])
    modes = (*MODES, "answer")  # answer: the citations the bot shows (lookups, FAQ, articles), then the rest
    per_mode: dict[str, dict[str, list[float]]] = {m: {"h1": [], "h3": [], "rr": [], "all_h1": [], "all_h3": []} for m in modes}
    predicted: list[str] = []
    misses: list[dict] = []
    encoding: list[float] = []  # the encoder call alone, for comparison: it is most of the time
    latencies: list[float] = []  # end to end as served: encoding (overlapped with BM25), segmentation, scoring, fusion
    for item, vec in zip(items, vectors):
        started = time.perf_counter()
        full = engine.retriever.search(item.q)
        latencies.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        engine.retriever.embed([item.q])
        encoding.append((time.perf_counter() - started) * 1000)
        intent, _ = engine.intent(full)
        predicted.append(intent)
        if intent != item.intent:
            misses.append({"q": item.q, "gold_intent": item.intent, "predicted": intent})
        if item.intent not in ("question", "report") or not item.gold:
            continue
        gold = set(item.gold)
        primary_gold = {g for g in gold if g[0] == PRIMARY}
        for mode in modes:
            if mode == "answer":
                shown = [(c.doc_id, c.article) for c in answerer.answer(item.q).citations]
                ranked = list(dict.fromkeys(shown + [h.key for h in full.articles]))
            else:
                result = full if mode == "hybrid+faq" else engine.retriever.search(item.q, mode=mode, vector=vec)
                ranked = [h.key for h in result.articles]
            rank = _rank_of_gold(ranked, gold)
            per_mode[mode]["all_h1"].append(rank == 1)
            per_mode[mode]["all_h3"].append(rank is not None and rank <= 3)
            if primary_gold and item.intent == "question":
                prank = _rank_of_gold([k for k in ranked if k[0] == PRIMARY], primary_gold)
                per_mode[mode]["h1"].append(prank == 1)
                per_mode[mode]["h3"].append(prank is not None and prank <= 3)
                per_mode[mode]["rr"].append(1 / prank if prank else 0.0)
                if mode == "answer" and prank != 1:
                    misses.append({"q": item.q, "gold": sorted(primary_gold), "got": ranked[:3]})

    def rate(xs):
        return round(float(np.mean(xs)), 3) if xs else None

    empty: list[float] = []  # the encoder's fixed cost per call: what even an empty question takes
    for _ in range(50):
        started = time.perf_counter()
        engine.retriever.embed([""])
        empty.append((time.perf_counter() - started) * 1000)

    gold_intents = [i.intent for i in items]
    in_scope = [g in ("question", "report") for g in gold_intents]
    report_pred = [p == "report" for p in predicted]
    report_gold = [g == "report" for g in gold_intents]
    tp = sum(p and g for p, g in zip(report_pred, report_gold))
    oos_gold = [g == "out_of_scope" for g in gold_intents]
    return {
        "questions": len(items),
        "modes": {
            m: {
                "hit@1": rate(v["h1"]),
                "hit@3": rate(v["h3"]),
                "mrr": rate(v["rr"]),
                "any_doc_hit@1": rate(v["all_h1"]),
                "any_doc_hit@3": rate(v["all_h3"]),
                "n": len(v["h1"]),
            }
            for m, v in per_mode.items()
        },
        "intent": {
            "accuracy": rate([p == g for p, g in zip(predicted, gold_intents)]),
            "report_recall": round(tp / max(sum(report_gold), 1), 3),
            "report_precision": round(tp / max(sum(report_pred), 1), 3),
            "out_of_scope_recall": rate([p == "out_of_scope" for p, g in zip(predicted, oos_gold) if g]),
            "false_refusal_rate": rate([p == "out_of_scope" for p, s in zip(predicted, in_scope) if s]),
        },
        "latency_ms": {
            "p50": round(float(np.percentile(latencies, 50)), 2),
            "p95": round(float(np.percentile(latencies, 95)), 2),
            "encoder_alone_p50": round(float(np.percentile(encoding, 50)), 2),
            "encoder_empty_question_p50": round(float(np.percentile(empty, 50)), 2),
        },
        "misses": misses,
    }


def machine() -> str:
    """A one-line description of this machine, for reports."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def commit() -> str:
    """The current git commit, or 'unknown'."""
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def report_markdown(results: dict[str, dict], encoder: str) -> str:
    """The evaluation table for docs/benchmarks.md."""
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}, commit {commit()}, encoder `{encoder}`, with `bot eval`.",
        "hit@k and MRR: rank of the first gold article among the measures' articles, questions with a measures gold.",
        "",
    ]
    for name, res in results.items():
        lines += [
            f"**{name}** ({res['questions']} questions, {res['modes']['hybrid+faq']['n']} with a measures gold; "
            "`answer` = the citations the bot shows, then the rest of the ranking)",
            "",
            "| mode | hit@1 | hit@3 | MRR | any-doc hit@1 | any-doc hit@3 |",
            "|---|---|---|---|---|---|",
        ]
        for mode, m in res["modes"].items():
            lines.append(f"| {mode} | {m['hit@1']} | {m['hit@3']} | {m['mrr']} | {m['any_doc_hit@1']} | {m['any_doc_hit@3']} |")
        it, lat = res["intent"], res["latency_ms"]
        lines += [
            "",
            f"Intents: accuracy {it['accuracy']}, report recall {it['report_recall']} / precision {it['report_precision']}, "
            f"out-of-scope recall {it['out_of_scope_recall']}, false refusals {it['false_refusal_rate']}. "
            f"Retrieval latency (hybrid+faq, incl. encoding) p50 {lat['p50']} ms, p95 {lat['p95']} ms; the encoder call alone"
            f" (same questions, same run) p50 {lat['encoder_alone_p50']} ms; on an empty question (its fixed cost per call)"
            f" p50 {lat['encoder_empty_question_p50']} ms.",
            "",
        ]
    return "\n".join(lines)


def write_section(path: Path, name: str, body: str) -> None:
    """Replace (or append) the section between <!-- name:start --> and <!-- name:end --> in a markdown file."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
