"""`bot eval`: metrics on the question sets in eval/, written to docs/benchmarks.md.

Three kinds of set, told apart by their shape:
- question sets (dev, holdout, their English parts, external): retrieval hit@k for every mode, the citations the bot
  shows, intents, partial answers;
- conversations (a list of {id, turns}): replayed turn by turn with the bot's real answers as history, as the page
  sends them; turn accuracy and follow-up accuracy;
- hard out-of-scope questions ({q, kind}): share refused or answered as partial.
Over every set: open questions answered with a bare yes/no verdict (must be 0) and sensitive messages answered
neutrally (must be all).
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from .answer import Answer, Answerer, Turn
from .corpus import Citation, opens_with_verdict
from .engine import Engine
from .normalize import normalize
from .retrieve import MODES

PRIMARY = "zhejiang-2019"
SETS = ("dev.yaml", "calibration.yaml", "holdout.yaml", "dev-en.yaml", "holdout-en.yaml", "external.yaml", "conversations.yaml", "hard-oos.yaml")
# An open question, judged on the question alone (independent of the bot's own reading), for sets without a `form`.
_OPEN = re.compile(r"什么|哪些|哪个|哪里|怎么|如何|怎样|为什么|为啥|多少|几[条个次年天]|谁|何时|^(what|which|how|why|who|when|where)\b", re.I)


@dataclass(frozen=True)
class EvalItem:
    """One labelled question."""

    q: str
    intent: str
    gold: tuple[tuple[str, int], ...]
    lang: str
    form: str = ""  # open | yesno | none ('' = judge from the question)
    coverage: str = ""  # partial: the texts only partly answer it


@dataclass(frozen=True)
class ConversationTurn:
    """One user turn of a conversation and what its answer must satisfy."""

    say: str
    form: str
    expect: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Conversation:
    id: str
    turns: tuple[ConversationTurn, ...]


def load_set(path: Path) -> list:
    """Read a set: question items, conversations or hard out-of-scope questions (YAML lists)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if data and "turns" in data[0]:
        return [
            Conversation(str(c["id"]), tuple(ConversationTurn(str(t["say"]), str(t.get("form", "")), dict(t.get("expect") or {})) for t in c["turns"]))
            for c in data
        ]
    return [
        EvalItem(
            str(d["q"]),
            str(d.get("intent", "out_of_scope" if "kind" in d or d.get("label") == "off_topic" else "question")),
            tuple((str(g[0]), int(g[1])) for g in d.get("gold") or []),
            str(d.get("lang", "zh-Hans")),
            str(d.get("form", "")),
            "partial" if "kind" in d or d.get("label") == "partial" else str(d.get("coverage", "")),
        )
        for d in data
    ]


def _rank_of_gold(ranked: list[tuple[str, int]], gold: set[tuple[str, int]]) -> int | None:
    for i, key in enumerate(ranked, start=1):
        if key in gold:
            return i
    return None


def _rate(xs) -> float | None:
    return round(float(np.mean(xs)), 3) if len(xs) else None


def is_open(question: str, form: str = "") -> bool:
    """Whether a question is open (what/how/why…): from the set's label, else from its question words."""
    return form == "open" if form else bool(_OPEN.search(normalize(question))) and "吗" not in question


def verdict_to_open(answer: Answer, question: str, form: str = "") -> bool:
    """An open question answered with a bare yes/no verdict (算。/ 要。/ 有。…)."""
    return is_open(question, form) and opens_with_verdict(answer.answer)


def is_neutral(answer: Answer) -> bool:
    """The sensitive-message reply: out of scope, the neutral text, no citation."""
    return answer.intent == "out_of_scope" and "sensitive" in answer.source and not answer.citations


def evaluate(engine: Engine, items: list, answerer: Answerer | None = None) -> dict:
    """Every metric of one set; returns a JSON-ready dict."""
    answerer = answerer or Answerer(engine)
    if items and isinstance(items[0], Conversation):
        return evaluate_conversations(answerer, items)
    if items and all(i.coverage == "partial" and i.intent == "out_of_scope" and not i.gold for i in items):
        return evaluate_hard_oos(answerer, items)
    return evaluate_questions(engine, answerer, items)


def evaluate_questions(engine: Engine, answerer: Answerer, items: list[EvalItem]) -> dict:
    """Retrieval hit@k per mode, the citations shown, intents and partial answers on a question set."""
    vectors = engine.retriever.embed([i.q for i in items])
    modes = (*MODES, "answer")  # answer: the citations the bot shows (lookups, FAQ, articles), then the rest
    per_mode: dict[str, dict[str, list[float]]] = {m: {"h1": [], "h3": [], "rr": [], "all_h1": [], "all_h3": []} for m in modes}
    predicted, hedged, misses, verdicts, neutral, partial_ok = [], [], [], [], [], []
    encoding, latencies = [], []  # the encoder call alone, and retrieval end to end as served
    for item, vec in zip(items, vectors):
        started = time.perf_counter()
        full = engine.retriever.search(item.q)
        latencies.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        engine.retriever.embed([item.q])
        encoding.append((time.perf_counter() - started) * 1000)
        answer = answerer.answer(item.q)
        intent = "sensitive" if "sensitive" in answer.source else answer.intent
        predicted.append(intent)
        hedged.append(answer.coverage == "partial")  # "no rule answers this; the nearest article, for reference"
        verdicts.append(verdict_to_open(answer, item.q, item.form))
        if item.intent == "sensitive":
            neutral.append(is_neutral(answer))
        if intent != item.intent and not (item.intent == "out_of_scope" and answer.coverage == "partial"):
            misses.append({"q": item.q, "gold_intent": item.intent, "predicted": intent, "source": answer.source})
        shown = [(c.doc_id, c.article) for c in answer.citations]
        if item.coverage == "partial":
            partial_ok.append(answer.coverage == "partial" or answer.intent == "out_of_scope" or bool(set(shown[:3]) & set(item.gold)))
        if item.intent not in ("question", "report") or not item.gold:
            continue
        gold = set(item.gold)
        primary_gold = {g for g in gold if g[0] == PRIMARY}
        for mode in modes:
            if mode == "answer":
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
        shown_rank = _rank_of_gold(shown, gold)
        first_primary = per_mode["answer"]["h1"][-1] if primary_gold and item.intent == "question" else True
        if shown_rank is None or shown_rank > 3 or not first_primary:
            miss = "not shown" if shown_rank is None or shown_rank > 3 else "measures' article not first"
            misses.append({"q": item.q, "gold": sorted(gold), "shown": shown[:3], "source": answer.source, "miss": miss})

    empty = []  # the encoder's fixed cost per call: what even an empty question takes
    for _ in range(50):
        started = time.perf_counter()
        engine.retriever.embed([""])
        empty.append((time.perf_counter() - started) * 1000)

    gold_intents = [i.intent for i in items]
    in_scope = [g in ("question", "report") for g in gold_intents]
    report_pred = [p == "report" for p in predicted]
    report_gold = [g == "report" for g in gold_intents]
    tp = sum(p and g for p, g in zip(report_pred, report_gold))
    refused = [p in ("out_of_scope", "sensitive") for p in predicted]
    declined = [r or h for r, h in zip(refused, hedged)]  # refused, or said no rule answers it
    return {
        "kind": "questions",
        "questions": len(items),
        "modes": {
            m: {
                "hit@1": _rate(v["h1"]), "hit@3": _rate(v["h3"]), "mrr": _rate(v["rr"]),
                "any_doc_hit@1": _rate(v["all_h1"]), "any_doc_hit@3": _rate(v["all_h3"]), "n": len(v["h1"]), "n_any": len(v["all_h1"]),
            }
            for m, v in per_mode.items()
        },
        "intent": {
            "accuracy": _rate([p == g for p, g in zip(predicted, gold_intents)]),
            "report_recall": round(tp / max(sum(report_gold), 1), 3) if any(report_gold) else None,
            "report_precision": round(tp / max(sum(report_pred), 1), 3) if any(report_gold) else None,
            "out_of_scope_recall": _rate([d for d, g in zip(declined, gold_intents) if g == "out_of_scope"]),
            "out_of_scope_refused": _rate([r for r, g in zip(refused, gold_intents) if g == "out_of_scope"]),
            "false_refusal_rate": _rate([r for r, s in zip(refused, in_scope) if s]),
        },
        "partial_ok": _rate(partial_ok),
        "partial_n": len(partial_ok),
        "verdicts_to_open": int(sum(verdicts)),
        "sensitive_neutral": f"{sum(neutral)}/{len(neutral)}",
        "latency_ms": {
            "p50": round(float(np.percentile(latencies, 50)), 2),
            "p95": round(float(np.percentile(latencies, 95)), 2),
            "encoder_alone_p50": round(float(np.percentile(encoding, 50)), 2),
            "encoder_empty_question_p50": round(float(np.percentile(empty, 50)), 2),
        },
        "misses": misses,
    }


def evaluate_hard_oos(answerer: Answerer, items: list[EvalItem]) -> dict:
    """Questions the texts do not answer: refused (out of scope) or answered as partial."""
    ok, verdicts, misses = [], [], []
    for item in items:
        answer = answerer.answer(item.q)
        good = answer.intent == "out_of_scope" or answer.coverage == "partial"
        ok.append(good)
        verdicts.append(verdict_to_open(answer, item.q, item.form))
        if not good:
            misses.append({"q": item.q, "source": answer.source, "shown": [(c.doc_id, c.article) for c in answer.citations[:2]]})
    return {"kind": "hard-oos", "questions": len(items), "refused_or_partial": _rate(ok), "verdicts_to_open": int(sum(verdicts)), "misses": misses}


def check_turn(answer: Answer, turn: ConversationTurn, previous: Answer | None) -> list[str]:
    """Which expectations of a conversation turn the answer fails (empty: the turn is right)."""
    e, failed = turn.expect, []
    text = normalize(answer.answer)
    shown = [(c.doc_id, c.article) for c in answer.citations]
    if "intent" in e:
        got = "sensitive" if is_neutral(answer) else answer.intent
        if got != e["intent"]:
            failed.append(f"intent {got} (want {e['intent']})")
    if e.get("gold") and not {(str(g[0]), int(g[1])) for g in e["gold"]} & set(shown[:3]):
        if not (e.get("coverage") == "partial" and answer.coverage == "partial"):
            failed.append(f"citations {shown[:3]} (want one of {[tuple(g) for g in e['gold']]})")
    for need in e.get("contains") or []:
        if not any(normalize(alt) in text for alt in str(need).split("|")):
            failed.append(f"missing {need!r}")
    for bad in e.get("absent") or []:
        if normalize(str(bad)) in text:
            failed.append(f"contains {bad!r}")
    if e.get("coverage") == "partial" and answer.coverage != "partial" and not (answer.intent == "out_of_scope" and not e.get("gold")):
        failed.append(f"coverage {answer.coverage} (want partial)")
    if e.get("shown"):
        before = {(c.doc_id, c.article) for c in previous.citations} if previous else set()
        if not shown or shown[0] not in before:
            failed.append(f"first citation {shown[:1]} was not shown before ({sorted(before)[:3]})")
    if "lang" in e and answer.lang != e["lang"]:
        failed.append(f"lang {answer.lang} (want {e['lang']})")
    if verdict_to_open(answer, turn.say, turn.form):
        failed.append("a yes/no verdict to an open question")
    return failed


def evaluate_conversations(answerer: Answerer, conversations: list[Conversation]) -> dict:
    """Replay each conversation with the bot's real answers as history (as the page sends it)."""
    turns_ok, follow_ok, verdicts, neutral, misses = [], [], [], [], []
    for conv in conversations:
        history: list[Turn] = []
        previous = None
        for i, turn in enumerate(conv.turns):
            answer = answerer.answer(turn.say, history)
            failed = check_turn(answer, turn, previous)
            turns_ok.append(not failed)
            if i:
                follow_ok.append(not failed)
            verdicts.append(verdict_to_open(answer, turn.say, turn.form))
            if turn.expect.get("intent") == "sensitive":
                neutral.append(is_neutral(answer))
            if failed:
                misses.append({"conversation": conv.id, "turn": i + 1, "say": turn.say, "failed": failed, "source": answer.source})
            shown = tuple(Citation(c.doc_id, c.article, c.paragraph) for c in answer.citations)
            history = [*history, Turn("user", turn.say), Turn("bot", answer.answer, shown)][-10:]
            previous = answer
    return {
        "kind": "conversations",
        "conversations": len(conversations),
        "turns": len(turns_ok),
        "turn_accuracy": _rate(turns_ok),
        "follow_up_turns": len(follow_ok),
        "follow_up_accuracy": _rate(follow_ok),
        "verdicts_to_open": int(sum(verdicts)),
        "sensitive_neutral": f"{sum(neutral)}/{len(neutral)}",
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
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def commit() -> str:
    """The current git commit, or 'unknown'."""
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def report_markdown(results: dict[str, dict], encoder: str) -> str:
    """The evaluation section of docs/benchmarks.md."""
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}, commit {commit()}, encoder `{encoder}`, with `bot eval`.",
        "hit@k and MRR: rank of the first gold article among the measures' articles, questions with a measures gold;"
        " any-doc: among all documents; `answer` = the citations the bot shows, then the rest of the ranking.",
        "",
    ]
    summary = ["| set | n | measure | value | verdicts to open questions | sensitive answered neutrally |", "|---|---|---|---|---|---|"]
    for name, res in results.items():
        if res["kind"] == "conversations":
            summary.append(
                f"| {name} | {res['conversations']} conversations, {res['turns']} turns | turn accuracy / follow-up accuracy"
                f" ({res['follow_up_turns']} follow-ups) | {res['turn_accuracy']} / {res['follow_up_accuracy']} | {res['verdicts_to_open']} | {res['sensitive_neutral']} |"
            )
        elif res["kind"] == "hard-oos":
            summary.append(f"| {name} | {res['questions']} | refused or partial | {res['refused_or_partial']} | {res['verdicts_to_open']} | – |")
        else:
            a = res["modes"]["answer"]
            summary.append(
                f"| {name} | {res['questions']} | answer hit@1 / hit@3 (measures gold) · any-doc hit@3 | {a['hit@1']} / {a['hit@3']} · {a['any_doc_hit@3']}"
                f" | {res['verdicts_to_open']} | {res['sensitive_neutral']} |"
            )
    lines += summary + [""]
    for name, res in results.items():
        if res["kind"] != "questions":
            continue
        lines += [
            f"**{name}** ({res['questions']} questions, {res['modes']['hybrid+faq']['n']} with a measures gold, "
            f"{res['modes']['hybrid+faq']['n_any']} with any gold)",
            "",
            "| mode | hit@1 | hit@3 | MRR | any-doc hit@1 | any-doc hit@3 |",
            "|---|---|---|---|---|---|",
        ]
        for mode, m in res["modes"].items():
            lines.append(f"| {mode} | {m['hit@1']} | {m['hit@3']} | {m['mrr']} | {m['any_doc_hit@1']} | {m['any_doc_hit@3']} |")
        it, lat = res["intent"], res["latency_ms"]
        partial = f" Partly covered questions said so or cited gold: {res['partial_ok']} ({res['partial_n']})." if res["partial_n"] else ""
        lines += [
            "",
            f"Intents: accuracy {it['accuracy']}, report recall {it['report_recall']} / precision {it['report_precision']}, "
            f"out-of-scope recall {it['out_of_scope_recall']} (refused or said no rule answers it; refused outright "
            f"{it['out_of_scope_refused']}), false refusals {it['false_refusal_rate']}.{partial} "
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
