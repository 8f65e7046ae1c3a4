"""The other teams' benches (bench/deid_bench.py, triage_bench.py, dashboard_bench.py).

Each exposes `run(quick=False) -> dict` (and usually `markdown(result) -> str`). Each runs in its own
interpreter with a time limit, so that its imports, settings or a hang cannot disturb this run;
a missing module or a failure becomes a line in the report, never a failed run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from bench.common import BENCH, REPO, Section

BENCHES = [
    ("deid_bench", "5. De-identification (bench/deid_bench.py)"),
    ("triage_bench", "Triage (bench/triage_bench.py)"),
    ("dashboard_bench", "4. Dashboard (bench/dashboard_bench.py)"),
]

RUNNER = """
import json, sys
sys.path.insert(0, {repo!r})
from bench import {module} as bench
result = bench.run(quick={quick})
text = bench.markdown(result) if hasattr(bench, "markdown") else None
print("\\n@@RESULT@@" + json.dumps({{"result": result, "markdown": text}}, default=str, ensure_ascii=False))
"""


def run_one(module: str, title: str, quick: bool, timeout: float, environ: dict[str, str]) -> Section:
    section = Section(title)
    if not (BENCH / f"{module}.py").exists():
        section.error = f"bench/{module}.py is absent (not written yet); nothing measured"
        return section
    started = time.monotonic()
    code = RUNNER.format(repo=str(REPO), module=module, quick=quick)
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            env=environ,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        section.error = f"bench/{module}.py did not finish within {timeout:.0f} s; stopped"
        return section
    section.seconds = time.monotonic() - started
    if done.returncode != 0 or "@@RESULT@@" not in done.stdout:
        tail = (done.stderr or done.stdout).strip().splitlines()[-6:]
        section.error = f"bench/{module}.py failed (exit {done.returncode}): " + " / ".join(tail)
        return section
    payload = json.loads(done.stdout.rsplit("@@RESULT@@", 1)[1])
    section.figures = payload["result"]
    body = (
        payload.get("markdown")
        or "```json\n" + json.dumps(payload["result"], indent=2, ensure_ascii=False) + "\n```"
    )
    # Their Markdown starts with its own '## ' title: keep it as a sub-heading under ours.
    section.markdown_body = body.replace("\n## ", "\n### ").removeprefix("## ").split("\n", 1)[-1]
    if isinstance(payload["result"], dict) and payload["result"].get("error"):
        section.error = str(payload["result"]["error"])
    return section


FULL_NEEDS = {"dashboard_bench": 400.0}  # seconds a full run may take (its docstring: "at most 6 min")


def run_all(quick: bool, seconds_left: float, environ: dict[str, str] | None = None) -> list[Section]:
    """`environ`: the caller's environment from before the bench set its servers' settings.

    A bench whose full run does not fit in what is left of the 10-minute budget runs in quick mode,
    and its section says so.
    """
    sections = []
    for module, title in BENCHES:
        if quick and module in FULL_NEEDS:
            section = Section(title)
            section.intro.append(
                f"Skipped in the quick run (its own quick mode takes about a minute): run "
                f"`.venv/bin/python bench/{module}.py --quick`."
            )
            sections.append(section)
            continue
        started = time.monotonic()
        needs = FULL_NEEDS.get(module, 30.0)
        scaled_down = not quick and module in FULL_NEEDS and seconds_left < needs + 20
        # A floor of 90 s: the others' quick runs take up to a minute on a busy machine.
        budget = max(90.0, min(needs + 60, seconds_left - 10))
        section = run_one(module, title, quick or scaled_down, budget, dict(environ or os.environ))
        if scaled_down:
            section.intro.append(
                f"**Run in quick mode:** its full run needs up to {needs / 60:.0f} minutes, which did "
                "not fit in "
                f"what was left of the 10-minute bench ({seconds_left:.0f} s); run "
                f"`.venv/bin/python bench/{module}.py` on its own for the full-size figures."
            )
        sections.append(section)
        seconds_left -= time.monotonic() - started
    return sections
