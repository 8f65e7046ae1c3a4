"""`python manage.py triage`: JSONL in, JSONL out, bad lines reported by number and skipped."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]
URGENT_TEXT = "昨夜、本人から「今までありがとう」とLINEが来て既読がつかない。"


Outcome = tuple[list[dict[str, object]], str, CommandError | None]


def _run(monkeypatch: pytest.MonkeyPatch, data: bytes) -> Outcome:
    monkeypatch.setattr(sys, "stdin", SimpleNamespace(buffer=io.BytesIO(data)))
    out, err = io.StringIO(), io.StringIO()
    error: CommandError | None = None
    try:
        call_command("triage", stdout=out, stderr=err)
    except CommandError as exc:
        error = exc
    records = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    return records, err.getvalue(), error


def test_each_record_gets_urgent_level_and_reason_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    # given two records, one with optional keys
    lines = [
        {"id": "a1", "text": "本人が「消えたい」と話した。"},
        {"id": 7, "text": "家族会の資料を作っています。", "subtype": "other", "worker_urgency": "high"},
    ]
    data = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode("utf-8")
    # when the command runs
    records, err, error = _run(monkeypatch, data)
    # then each id gets a decision with Japanese reason messages, and nothing is reported
    assert error is None and err == ""
    assert records[0] == {
        "id": "a1",
        "urgent": True,
        "level": "urgent",
        "reasons": ["間接的な希死念慮の表現: 「消えたい」"],
    }
    assert records[1]["id"] == 7
    assert records[1]["urgent"] is False and records[1]["level"] == "high"


def test_bad_lines_are_reported_by_number_and_skipped_with_exit_status_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given good lines mixed with bad ones: not JSON, not an object, no text, bad subtype, bad UTF-8
    canary = "カナリア"
    data = b"\n".join(
        [
            json.dumps({"id": "ok1", "text": "死にたい"}, ensure_ascii=False).encode("utf-8"),
            f"{{not json {canary}".encode(),
            b"[1, 2]",
            json.dumps({"id": "x", "body": canary}, ensure_ascii=False).encode("utf-8"),
            json.dumps({"id": "y", "text": canary, "subtype": "zzz"}, ensure_ascii=False).encode("utf-8"),
            b"\xff\xfe broken",
            b"",
            json.dumps({"id": "ok2", "text": "通常の相談です。"}, ensure_ascii=False).encode("utf-8"),
        ]
    )
    # when the command runs
    records, err, error = _run(monkeypatch, data)
    # then the good lines are written, the bad ones reported by line number, never with their text
    assert [r["id"] for r in records] == ["ok1", "ok2"]
    for number in (2, 3, 4, 5, 6):
        assert f"line {number}:" in err
    assert "line 7" not in err  # a blank line is not an error
    assert canary not in err
    assert error is not None and error.returncode == 1


def test_the_command_reads_and_writes_utf8_bytes_end_to_end(tmp_path: Path) -> None:
    # given a JSONL file and a process whose locale is not UTF-8
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": "u1", "text": URGENT_TEXT}, ensure_ascii=False) + "\nnot json\n",
        encoding="utf-8",
    )
    env = {**os.environ, "DJANGO_ENV": "test", "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii"}
    # when manage.py triage runs on it
    with source.open("rb") as stdin:
        done = subprocess.run(
            [sys.executable, "manage.py", "triage"],
            stdin=stdin,
            capture_output=True,
            cwd=ROOT,
            env=env,
            check=False,
        )
    # then the output is UTF-8 JSON with Japanese kept, the bad line is reported, and the status is 1
    lines = done.stdout.decode("utf-8").splitlines()
    assert len(lines) == 1
    assert "「今までありがとう」" in lines[0]
    assert json.loads(lines[0])["urgent"] is True
    assert b"line 2: not valid JSON" in done.stderr
    assert done.returncode == 1
