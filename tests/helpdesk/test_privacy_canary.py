"""A canary in the raw summary must never reach the database, a log, the cache, a session or Sentry."""

from __future__ import annotations

import io
import json
import logging
import os
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sentry_sdk
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client

from accounts.models import Role, User
from helpdesk.models import Consultation
from tests.conftest import CapturingTransport
from tests.helpdesk.conftest import FORM


def _everything_logged(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(name)s %(message)s")
    return "\n".join(formatter.format(record) + repr(record.__dict__) for record in records)


def _database_dump() -> str:
    buffer = io.StringIO()
    call_command("dumpdata", stdout=buffer)
    sessions = [json.dumps(s.get_decoded(), ensure_ascii=False) for s in Session.objects.all()]
    return buffer.getvalue() + "\n".join(sessions)


def _redis_dump() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        return ""
    import redis

    client = redis.Redis.from_url(url)
    values = []
    for key in client.scan_iter(count=1000):
        if client.type(key) == b"string":
            values.append(repr(client.get(key)))
        values.append(repr(key))
    return "\n".join(values)


def test_the_canary_never_leaves_the_request(
    verified_client: Callable[[User], Client],
    enrolled: Callable[..., User],
    caplog: pytest.LogCaptureFixture,
    sentry_capture: CapturingTransport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    canary = f"canary{uuid.uuid4().hex}"
    summary = f"母親のメールは{canary}@example.jp です。本人は自宅にこもりがち。"
    caplog.set_level(logging.DEBUG)
    worker = enrolled(Role.WORKER)
    client = verified_client(worker)

    # given: the whole flow, preview then submit
    preview = client.post("/consultations/new/", {**FORM, "summary": summary, "action": "preview"})
    assert canary in preview.content.decode()  # the worker sees what they typed, nowhere else does
    submitted = client.post("/consultations/new/", {**FORM, "summary": summary, "action": "submit"})
    assert submitted.status_code == 302
    stored = Consultation.objects.get(worker=worker)
    assert "【メール】" in stored.summary or "【" in stored.summary

    # and: a forced error while the raw text is in the request being handled
    def explode(**kwargs: Any) -> None:
        raise RuntimeError("forced failure during consultation filing")

    monkeypatch.setattr("helpdesk.services.consultation_create", explode)
    failing = Client(raise_request_exception=False)
    failing.cookies = client.cookies
    crashed = failing.post("/consultations/new/", {**FORM, "summary": summary, "action": "submit"})
    assert crashed.status_code == 500
    sentry_sdk.flush()

    # then: the canary is nowhere
    assert sentry_capture.envelopes, "the forced error must have produced a Sentry event"
    assert any(b"RuntimeError" in envelope for envelope in sentry_capture.envelopes)
    for envelope in sentry_capture.envelopes:
        assert canary.encode() not in envelope
    assert caplog.records, "the forced error is logged"
    assert canary not in _everything_logged(caplog.records)
    assert canary not in _database_dump()
    assert canary not in _redis_dump()
