"""manage.py anonymize: JSONL in, JSONL out, bad lines reported by number and skipped."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

REPO = Path(__file__).resolve().parents[2]


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def _run(monkeypatch: pytest.MonkeyPatch, data: bytes) -> tuple[list[dict[str, object]], str, bool]:
    monkeypatch.setattr(sys, "stdin", _Stdin(data))
    out, err = io.StringIO(), io.StringIO()
    failed = False
    try:
        call_command("anonymize", stdout=out, stderr=err)
    except CommandError:
        failed = True
    records = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    return records, err.getvalue(), failed


def test_good_lines_are_redacted_with_offsets_into_the_input(monkeypatch: pytest.MonkeyPatch) -> None:
    # given two records, one with full-width digits
    text = "本人は宍戸 大和さん（１９歳）、母の携帯は０８０－００００－２２３１。"
    lines = [{"id": "a1", "text": text}, {"id": 7, "text": "特記事項なし。"}]
    data = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines).encode("utf-8")
    # when running the command
    records, err, failed = _run(monkeypatch, data)
    # then each record is written with its id, the redacted text and spans into the input
    assert not failed and err == ""
    assert [r["id"] for r in records] == ["a1", 7]
    first = records[0]
    assert first["redacted"] == "本人は【人物A】さん（10代）、母の携帯は【電話番号】。"
    spans = first["spans"]
    assert isinstance(spans, list)
    assert [(text[s["start"] : s["end"]], s["label"]) for s in spans] == [
        ("宍戸 大和", "PERSON"),
        ("１９歳", "AGE"),
        ("０８０－００００－２２３１", "PHONE"),
    ]
    assert records[1] == {"id": 7, "redacted": "特記事項なし。", "spans": []}


def test_bad_lines_are_reported_by_number_and_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a mix of good and bad lines; one bad line carries an id and a secret-looking text
    data = (
        "\n".join(
            [
                json.dumps({"id": "ok1", "text": "佐久間さんと面談。"}, ensure_ascii=False),
                "not json at all",
                "[1, 2, 3]",
                json.dumps({"id": "x9", "text": 42}),
                json.dumps({"id": "x10", "body": "氏名は漆原 要"}, ensure_ascii=False),
                "",
                json.dumps({"id": "ok2", "text": "問題なし。"}, ensure_ascii=False),
            ]
        ).encode("utf-8")
        + b"\n\xff\xfe\n"
    )
    # when running the command
    records, err, failed = _run(monkeypatch, data)
    # then the good records are written, the bad ones are reported by line (and id) and the run fails
    assert [r["id"] for r in records] == ["ok1", "ok2"]
    assert failed
    assert "line 2: not valid JSON" in err
    assert "line 3: not a JSON object" in err
    assert "line 4 (id='x9'): no string \"text\"" in err
    assert "line 5 (id='x10'): no string \"text\"" in err
    assert "line 8: not valid UTF-8" in err
    assert "漆原" not in err and "佐久間" not in err


def _subprocess(data: bytes) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    return subprocess.run(
        [sys.executable, "manage.py", "anonymize"],
        input=data,
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_exit_status_is_0_for_clean_input_and_1_with_a_bad_line() -> None:
    # given clean input
    good = json.dumps({"id": "g", "text": "蔵前さん（２８歳）"}, ensure_ascii=False).encode("utf-8") + b"\n"
    # when running the real command / then it succeeds and writes UTF-8 JSON (not ASCII escapes)
    ok = _subprocess(good)
    assert ok.returncode == 0, ok.stderr.decode("utf-8", "replace")
    assert json.loads(ok.stdout.decode("utf-8"))["redacted"] == "【人物A】さん（20代）"
    assert "【人物A】".encode() in ok.stdout
    # and given one bad line more / then the exit status is 1 and the good line is still written
    bad = _subprocess(good + b"{broken\n")
    assert bad.returncode == 1
    assert b"line 2" in bad.stderr
    assert len(bad.stdout.splitlines()) == 1
