"""Benchmark for helpdesk.deid: dev-corpus scores, throughput, dictionary load time, baseline.

    .venv/bin/python bench/deid_bench.py [--quick]

Scores use the corpus scorer itself (../shared/anonymization/score.py, imported by path) on
dev.jsonl. Throughput is detect()+redact() over the dev texts, repeated for a bounded time in one
process after the dictionary is loaded, in characters per CPU second (so the one-core figure does
not depend on what else runs on the machine) and per wall-clock second. The baseline is the
regex layer alone (no Sudachi): the same patterns, the same overlap resolution and the same
redaction.

The detector does not need Django, so Django is not set up here.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "anonymization"
DEV = SHARED / "dev.jsonl"
HELDOUT_STYLE = REPO / "tests" / "helpdesk" / "test_deid_fictional.jsonl"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from helpdesk import deid  # noqa: E402
from helpdesk.deid import patterns  # noqa: E402
from helpdesk.deid.resolve import resolve  # noqa: E402
from helpdesk.deid.textnorm import Normalized  # noqa: E402
from helpdesk.deid.types import Span  # noqa: E402

Detector = Callable[[str], list[Span]]


def patterns_only(text: str) -> list[Span]:
    """Baseline: the regex layer without Sudachi (no names, places or organisations from morphology)."""
    return resolve(text, [], patterns.find(Normalized(text)))


def _scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("anonymization_score", SHARED / "score.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot import score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _parse_marked(marked: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Inline markup ［［LABEL|surface］］ -> (text, spans), as in score.py convert."""
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    pos = length = 0
    while (o := marked.find("［［", pos)) != -1:
        c = marked.find("］］", o)
        parts.append(marked[pos:o])
        length += o - pos
        label, surface = marked[o + 2 : c].split("|", 1)
        spans.append((length, length + len(surface), label))
        parts.append(surface)
        length += len(surface)
        pos = c + 2
    parts.append(marked[pos:])
    return "".join(parts), spans


def _metrics(score: ModuleType, gold: dict[str, Any], detector: Detector) -> dict[str, float]:
    pred = {doc_id: [(s.start, s.end) for s in detector(g["text"])] for doc_id, g in gold.items()}
    m = score.compute_metrics(gold, pred)
    return {"recall": m["recall"], "precision": m["precision"], "span_recall": m["span_recall"]}


def _throughput(texts: Sequence[str], detector: Detector, budget: float) -> dict[str, float]:
    """Characters per second of detect()+redact() over the dev texts, repeated in rounds.

    Each round is timed in CPU seconds of this process (the one-core figure, which does not
    depend much on what else runs on the machine) and in wall-clock seconds. Reports the median
    and the best round. Stops after ``budget`` CPU seconds or ``budget`` + 0.5 wall seconds.
    """
    chars = sum(len(t) for t in texts)
    for t in texts[:5]:  # warm caches
        deid.redact(t, detector(t))
    cpu_rates: list[float] = []
    wall_rates: list[float] = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while time.process_time() - cpu0 < budget and time.perf_counter() - wall0 < budget + 0.5:
        c, w = time.process_time(), time.perf_counter()
        for t in texts:
            deid.redact(t, detector(t))
        cpu_rates.append(chars / max(time.process_time() - c, 1e-9))
        wall_rates.append(chars / max(time.perf_counter() - w, 1e-9))
    return {
        "chars_per_second": statistics.median(cpu_rates),
        "chars_per_second_best": max(cpu_rates),
        "chars_per_wall_second": statistics.median(wall_rates),
        "rounds": len(cpu_rates),
    }


def _load_time() -> float:
    """Dictionary load in a fresh interpreter (import + Dictionary() + first tokenize)."""
    code = (
        "import time; t = time.perf_counter(); from helpdesk import nlp; nlp.tokenize('辞書の読み込み'); "
        "print(time.perf_counter() - t)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True, timeout=120
    )
    return float(done.stdout.strip())


def run(quick: bool = False) -> dict[str, Any]:
    budget = 0.8 if quick else 4.0  # CPU seconds per measured pass (two passes: detector, baseline)
    result: dict[str, Any] = {"quick": quick, "load_seconds": _load_time()}
    if not DEV.exists():
        result["error"] = f"{DEV} not found"
        return result
    score = _scorer()
    gold = score.load_gold(str(DEV))
    texts = [g["text"] for g in gold.values()]
    result["dev_docs"] = len(texts)
    result["dev_chars"] = sum(len(t) for t in texts)
    result["detector"] = _metrics(score, gold, deid.detect)
    result["baseline"] = _metrics(score, gold, patterns_only)
    if HELDOUT_STYLE.exists():
        own = {}
        for line in HELDOUT_STYLE.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                text, spans = _parse_marked(row["marked"])
                own[row["id"]] = {"text": text, "spans": spans}
        result["heldout_style"] = _metrics(score, own, deid.detect) | {"docs": len(own)}
    for key, detector in (("detector", deid.detect), ("baseline", patterns_only)):
        result[key].update(_throughput(texts, detector, budget))
    result["speed_ratio"] = result["detector"]["chars_per_second"] / result["baseline"]["chars_per_second"]
    return result


def markdown(r: dict[str, Any]) -> str:
    lines = ["## De-identification benchmark (`helpdesk.deid`)", ""]
    if "error" in r:
        return "\n".join([*lines, f"Skipped: {r['error']}", ""])
    lines += [
        f"Dev corpus: {r['dev_docs']} texts, {r['dev_chars']} characters. "
        "Throughput = detect()+redact() after loading, repeated in rounds over the dev texts: median "
        "and best round in characters per CPU second of one process, and the median per wall-clock "
        f"second{' (quick run)' if r['quick'] else ''}.",
        "",
        "| pass | recall | precision | span_recall | chars/s CPU (median) | CPU (best) | wall (median) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, name in (("detector", "Sudachi + patterns + context"), ("baseline", "patterns only (baseline)")):
        m = r[key]
        lines.append(
            f"| {name} | {m['recall']:.3f} | {m['precision']:.3f} | {m['span_recall']:.3f} "
            f"| {m['chars_per_second']:,.0f} | {m['chars_per_second_best']:,.0f} "
            f"| {m['chars_per_wall_second']:,.0f} |"
        )
    lines += [
        "",
        f"- Speed ratio detector / baseline: {r['speed_ratio']:.2f}",
        f"- One-off dictionary load (fresh process, import + first tokenize): {r['load_seconds']:.2f} s",
    ]
    if "heldout_style" in r:
        h = r["heldout_style"]
        lines.append(
            f"- Own fictional held-out-style texts ({h['docs']}, fictional): recall {h['recall']:.3f}, "
            f"precision {h['precision']:.3f}, span_recall {h['span_recall']:.3f}"
        )
    return "\n".join([*lines, ""])


if __name__ == "__main__":
    print(markdown(run(quick="--quick" in sys.argv[1:])))
