"""Batch de-identification: JSONL in on stdin, JSONL out on stdout.

    python manage.py anonymize < in.jsonl > out.jsonl

Input lines: {"id": ..., "text": "..."}. Output lines: {"id": ..., "redacted": "...",
"spans": [{"start", "end", "label"}]} with offsets into the input text (Python str indices).
Bad lines are reported on stderr by line number (and id, never the text) and skipped; the
command then exits with status 1.
"""

from __future__ import annotations

import json
import sys
from typing import Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError

from helpdesk import deid


def _describe_id(value: Any) -> str:
    if isinstance(value, str | int) and not isinstance(value, bool):
        shown = repr(value)
        return f" (id={shown[:80]})"
    return ""


class Command(BaseCommand):
    help = "De-identify JSONL records {id, text} from stdin; write {id, redacted, spans} to stdout."

    def handle(self, *args: Any, **options: Any) -> None:
        source: BinaryIO = sys.stdin.buffer
        to_buffer = options.get("stdout") is None and hasattr(sys.stdout, "buffer")
        bad = 0
        done = 0
        for number, raw in enumerate(source, 1):
            if not raw.strip():
                continue
            record, problem, where = self._parse(raw)
            if record is None:
                bad += 1
                self.stderr.write(f"line {number}{where}: {problem}")
                continue
            try:
                redaction = deid.redact(record["text"])
            except Exception as error:  # noqa: BLE001 - one bad record must not stop the batch
                bad += 1
                self.stderr.write(
                    f"line {number}{_describe_id(record.get('id'))}: failed ({type(error).__name__})"
                )
                continue
            out = {
                "id": record.get("id"),
                "redacted": redaction.text,
                "spans": [{"start": r.start, "end": r.end, "label": r.label} for r in redaction.replacements],
            }
            line = json.dumps(out, ensure_ascii=False)
            if to_buffer:
                sys.stdout.buffer.write(line.encode("utf-8") + b"\n")
            else:
                self.stdout.write(line)
            done += 1
        if to_buffer:
            sys.stdout.buffer.flush()
        if bad:
            raise CommandError(f"{bad} bad line(s) skipped; {done} record(s) written.")

    @staticmethod
    def _parse(raw: bytes) -> tuple[dict[str, Any] | None, str, str]:
        """(record, problem, " (id=…)"); the problem never quotes the text."""
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None, "not valid UTF-8", ""
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            return None, "not valid JSON", ""
        if not isinstance(record, dict):
            return None, "not a JSON object", ""
        if not isinstance(record.get("text"), str):
            return None, 'no string "text"', _describe_id(record.get("id"))
        return record, "", ""
