"""Batch urgent-lane triage: JSONL in on stdin, JSONL out on stdout.

    python manage.py triage < in.jsonl > out.jsonl

Input lines: {"id": ..., "text": "..."} with optional "question", "subtype" and
"worker_urgency" keys. Output lines: {"id": ..., "urgent": true|false, "level": "...",
"reasons": ["<reason message>", ...]}. Bad lines (not UTF-8, not JSON, not an object, no
string "text", an unknown subtype or urgency) are reported on stderr by line number (and id,
never the text) and skipped; the command then exits with status 1.
"""

from __future__ import annotations

import json
import sys
from typing import Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError

from helpdesk.triage import LEVELS, SUBTYPES, triage

OPTIONAL_KEYS = ("question", "subtype", "worker_urgency")


def _describe_id(value: Any) -> str:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return f" (id={repr(value)[:80]})"
    return ""


def parse_line(raw: bytes) -> tuple[dict[str, Any] | None, str]:
    """The record on one input line, or None and why it was rejected (never quoting the text)."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not valid UTF-8"
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None, "not valid JSON"
    if not isinstance(record, dict):
        return None, "not a JSON object"
    where = _describe_id(record.get("id")).strip()
    prefix = f"{where} " if where else ""
    if not isinstance(record.get("text"), str):
        return None, f'{prefix}no string "text"'
    for key in OPTIONAL_KEYS:
        if key in record and not isinstance(record[key], str):
            return None, f'{prefix}"{key}" must be a string'
    if record.get("subtype", "") not in SUBTYPES:
        return None, f'{prefix}unknown "subtype"'
    if record.get("worker_urgency", "normal") not in LEVELS:
        return None, f'{prefix}"worker_urgency" must be one of {", ".join(LEVELS)}'
    return record, ""


class Command(BaseCommand):
    help = "Triage JSONL records {id, text} from stdin; write {id, urgent, level, reasons} to stdout."

    def handle(self, *args: Any, **options: Any) -> None:
        source: BinaryIO = sys.stdin.buffer
        to_buffer = options.get("stdout") is None and hasattr(sys.stdout, "buffer")
        bad = done = 0
        for number, raw in enumerate(source, 1):
            if not raw.strip():
                continue
            record, problem = parse_line(raw)
            if record is None:
                bad += 1
                self.stderr.write(f"line {number}: {problem}")
                continue
            try:
                result = triage(
                    summary=record["text"],
                    question=record.get("question", ""),
                    subtype=record.get("subtype", ""),
                    worker_urgency=record.get("worker_urgency", "normal"),
                )
            except Exception as error:  # noqa: BLE001 - one bad record must not stop the batch
                bad += 1
                self.stderr.write(
                    f"line {number}{_describe_id(record.get('id'))}: failed ({type(error).__name__})"
                )
                continue
            out = {
                "id": record.get("id"),
                "urgent": result.urgent,
                "level": result.level,
                "reasons": [reason.message for reason in result.reasons],
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
            raise CommandError(f"{bad} bad line(s) skipped; {done} record(s) written.", returncode=1)
