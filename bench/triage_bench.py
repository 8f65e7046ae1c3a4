"""Benchmark for helpdesk.triage: dev-corpus scores against a keyword baseline, latency, load time.

    .venv/bin/python bench/triage_bench.py [--quick]

Scores: urgent recall and false-urgent rate on ../shared/triage/dev.jsonl (and on the fictional
held-out-style examples in tests/helpdesk/test_triage_fictional.jsonl), for our triage and for the
baseline keyword list (any substring match of 自殺, 死にたい, 希死念慮, 自傷, 暴力, 刃物, 虐待,
食事をとっていない), in the same run. Latency: per-text wall time of triage() over the dev texts
and over dev texts joined to ~300 characters, after loading, each in a loop bounded to 5 s (1 s
with --quick; 10 s in all at most). Load time: a fresh interpreter
importing helpdesk.triage and triaging one text (Sudachi dictionary + lexicons), plus the lexicon
parse alone.

The triage package does not need Django, so Django is not set up here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEV = REPO.parent / "shared" / "triage" / "dev.jsonl"
FICTIONAL = REPO / "tests" / "helpdesk" / "test_triage_fictional.jsonl"
BASELINE_KEYWORDS = ("自殺", "死にたい", "希死念慮", "自傷", "暴力", "刃物", "虐待", "食事をとっていない")

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from helpdesk.triage import triage  # noqa: E402
from helpdesk.triage.lexicon import load_lexicon  # noqa: E402

Decider = Callable[[str], bool]


def baseline(text: str) -> bool:
    return any(keyword in text for keyword in BASELINE_KEYWORDS)


def ours(text: str) -> bool:
    return triage(summary=text).urgent


def _load(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def scores(rows: Sequence[dict[str, Any]], decide: Decider) -> dict[str, Any]:
    urgent = [r for r in rows if r["urgent"]]
    calm = [r for r in rows if not r["urgent"]]
    missed = [r["id"] for r in urgent if not decide(r["text"])]
    false_urgent = [r["id"] for r in calm if decide(r["text"])]
    return {
        "n": len(rows),
        "recall": (len(urgent) - len(missed)) / len(urgent) if urgent else 1.0,
        "false_urgent_rate": len(false_urgent) / len(calm) if calm else 0.0,
        "missed": missed,
        "false_urgent": false_urgent,
    }


def latency(texts: Sequence[str], budget: float) -> dict[str, float]:
    triage(summary=texts[0])  # loaded before timing
    timings: list[float] = []
    deadline = time.perf_counter() + budget
    while time.perf_counter() < deadline and len(timings) < 200_000:
        for text in texts:
            start = time.perf_counter()
            triage(summary=text)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return {
        "runs": len(timings),
        "p50_ms": timings[len(timings) // 2],
        "p99_ms": timings[min(len(timings) - 1, int(len(timings) * 0.99))],
        "max_ms": timings[-1],
        "mean_chars": sum(len(t) for t in texts) / len(texts),
    }


def cold_load_seconds() -> float:
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); t = time.perf_counter(); "
        "from helpdesk.triage import triage; triage(summary='テスト'); print(time.perf_counter() - t)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(REPO)], capture_output=True, text=True, check=True, timeout=120
    )
    return float(done.stdout.strip())


def lexicon_parse_seconds() -> float:
    start = time.perf_counter()
    load_lexicon()
    return time.perf_counter() - start


def run(quick: bool = False) -> dict[str, Any]:
    dev = _load(DEV)
    fictional = _load(FICTIONAL)
    texts = [r["text"] for r in dev] or ["本人が「消えたい」と話した。"]
    # consultation-sized texts: dev texts joined to about 300 characters
    sized = ["".join(texts[i : i + 4])[:300] for i in range(0, len(texts), 4)]
    return {
        "dev": {"ours": scores(dev, ours), "baseline": scores(dev, baseline)} if dev else None,
        "fictional": (
            {"ours": scores(fictional, ours), "baseline": scores(fictional, baseline)} if fictional else None
        ),
        "latency": latency(texts, 1.0 if quick else 5.0),
        "latency_300": latency(sized, 1.0 if quick else 5.0),
        "cold_load_s": cold_load_seconds(),
        "lexicon_parse_s": lexicon_parse_seconds(),
    }


def markdown(result: dict[str, Any]) -> str:
    lines = ["## Urgent-lane triage (helpdesk.triage)", ""]
    for name, title in (("dev", "dev.jsonl"), ("fictional", "fictional held-out-style examples")):
        block = result[name]
        if block is None:
            lines += [f"{title}: not available", ""]
            continue
        lines += [
            f"### {title} ({block['ours']['n']} items)",
            "",
            "| method | urgent recall | false-urgent rate | missed | false urgent |",
            "|---|---|---|---|---|",
        ]
        for method in ("ours", "baseline"):
            s = block[method]
            lines.append(
                f"| {method} | {s['recall']:.3f} | {s['false_urgent_rate']:.3f} | "
                f"{', '.join(s['missed']) or '-'} | {', '.join(s['false_urgent']) or '-'} |"
                if method == "ours"
                else f"| {method} (keywords) | {s['recall']:.3f} | {s['false_urgent_rate']:.3f} | "
                f"{len(s['missed'])} | {len(s['false_urgent'])} |"
            )
        lines.append("")
    lines += ["### Latency and load", ""]
    for key, what in (("latency", "dev texts"), ("latency_300", "consultation-sized texts")):
        lat = result[key]
        lines.append(
            f"- per text, {what} (mean {lat['mean_chars']:.0f} chars, {lat['runs']} runs): "
            f"p50 {lat['p50_ms']:.2f} ms, p99 {lat['p99_ms']:.2f} ms, max {lat['max_ms']:.2f} ms"
        )
    lines += [
        "- one-off load in a fresh process (Sudachi dictionary + lexicons + first text): "
        f"{result['cold_load_s']:.2f} s",
        f"- lexicon parse alone: {result['lexicon_parse_s'] * 1000:.1f} ms",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run(quick="--quick" in sys.argv[1:])))
