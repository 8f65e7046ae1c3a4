"""The background worker runs the retention purge and housekeeping on their schedule (accounts.jobs,
settings.BACKGROUND_JOBS); a failing job stays alone; RETENTION_DAYS comes from the environment.

The consultations it purges are built by test_retention.py's helpers.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from accounts.housekeeping import run_housekeeping
from accounts.jobs import Job, jobs_from_settings, jobs_run_due
from accounts.models import AuditEvent, User
from chat.retention import AUDIT_ACTION, run_retention
from config import env
from tests.security.test_retention import (
    FIELDS_WITH_TEXT,
    NOW,
    ROOT,
    canary,
    consultation_lived,
    texts_of,
)

# --- The background worker runs the purge -----------------------------------------------------

# What a failing job's exception says: exception messages can quote data, so it must reach no log.
LEAK = f"例外の本文{uuid.uuid4().hex[:12]}"


def run_exploding() -> dict[str, int]:
    """A job of the worker that always fails (settings.BACKGROUND_JOBS points here in one test)."""
    raise RuntimeError(f"could not store {LEAK!r}")


def test_the_background_worker_purges_an_expired_consultation_and_audits_it(
    people: dict[str, User], keep_signal_handlers: None
) -> None:
    # given a consultation resolved 400 days ago and one resolved 300 days ago
    expired = consultation_lived(
        people, filed=NOW - timedelta(days=410), resolved=NOW - timedelta(days=400), text=canary()
    )
    kept = consultation_lived(
        people, filed=NOW - timedelta(days=310), resolved=NOW - timedelta(days=300), text=canary()
    )
    stdout = io.StringIO()

    # when the worker runs one round today, as deployed (default settings.BACKGROUND_JOBS)
    with time_machine.travel(NOW, tick=False):
        call_command("background_worker", "--once", stdout=stdout)

    # then the old one lost its texts, the other kept them, and the purge is audited without an actor
    assert texts_of(expired) == [] and len(texts_of(kept)) == FIELDS_WITH_TEXT
    (row,) = AuditEvent.objects.filter(action=AUDIT_ACTION)
    assert (row.actor_id, row.object_type, row.object_id) == (None, "helpdesk.consultation", str(expired))
    # and the worker printed one line of counts per job
    assert stdout.getvalue().splitlines() == [
        "housekeeping: expired_sessions=0, stale_login_attempts=0",
        "retention: purged_consultations=1, purged_messages=3, purged_circles=0, purged_circle_messages=0",
    ]


def test_a_failing_job_is_logged_by_type_only_and_the_others_still_run(
    people: dict[str, User],
    keep_signal_handlers: None,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    service_log: io.StringIO,
) -> None:
    # given a job that fails first, with a message quoting data, then the two real jobs
    expired = consultation_lived(
        people, filed=NOW - timedelta(days=410), resolved=NOW - timedelta(days=400), text=canary()
    )
    settings.BACKGROUND_JOBS = [(f"{__name__}.run_exploding", 0), *settings.BACKGROUND_JOBS]
    stdout = io.StringIO()

    # when the worker runs one round
    with time_machine.travel(NOW, tick=False), caplog.at_level(logging.DEBUG):
        call_command("background_worker", "--once", stdout=stdout)

    # then the other jobs ran and did their work
    assert texts_of(expired) == []
    assert [line.split(":")[0] for line in stdout.getvalue().splitlines()] == ["housekeeping", "retention"]
    # and the failure is logged once, naming the job and the exception type, never its message
    failures = [r for r in caplog.records if r.name == "accounts.jobs"]
    assert [(r.levelno, r.getMessage()) for r in failures] == [
        (logging.ERROR, "background job exploding failed: RuntimeError")
    ]
    # and what the service's log handler wrote has the frames to find it by, not the message
    written = service_log.getvalue()
    assert "background job exploding failed: RuntimeError" in written and "in run_exploding" in written
    assert LEAK not in written and LEAK not in stdout.getvalue()
    assert not any(LEAK in r.getMessage() or LEAK in repr(r.args) for r in caplog.records)


def run_losing_the_connection() -> dict[str, int]:
    """A job whose database connection dies under it (a PostgreSQL restart, a proxy timeout)."""
    from django.db import connection

    connection.ensure_connection()
    connection.connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {}


@pytest.mark.django_db(transaction=True)
def test_a_job_that_lost_its_connection_does_not_hand_it_to_the_next(
    keep_signal_handlers: None, settings: Any
) -> None:
    settings.BACKGROUND_JOBS = [(f"{__name__}.run_losing_the_connection", 0), *settings.BACKGROUND_JOBS]
    stdout = io.StringIO()
    call_command("background_worker", "--once", stdout=stdout)
    assert [line.split(":")[0] for line in stdout.getvalue().splitlines()] == ["housekeeping", "retention"]


def test_retention_runs_hourly_housekeeping_every_round_and_a_failed_job_next_round() -> None:
    # given the deployed schedule
    assert [(job.name, job.every, job.run) for job in jobs_from_settings()] == [
        ("housekeeping", 0, run_housekeeping),
        ("retention", 3600, run_retention),
    ]
    # and three jobs on a clock the test moves: every round, hourly, hourly but failing the first time
    calls: list[str] = []
    clock = [0.0]

    def job(name: str, fail_first: bool = False) -> Callable[[], dict[str, int]]:
        def run() -> dict[str, int]:
            calls.append(name)
            if fail_first and calls.count(name) == 1:
                raise ConnectionError("database away")
            return {"done": 1}

        return run

    jobs = [
        Job(path="x.run_often", every=0, run=job("often")),
        Job(path="x.run_hourly", every=3600, run=job("hourly")),
        Job(path="x.run_flaky", every=3600, run=job("flaky", fail_first=True)),
    ]
    # when rounds pass a minute apart, and then an hour later
    rounds = {}
    for at in (0, 60, 120, 3600, 3660):
        clock[0] = at
        results = jobs_run_due(jobs, clock=lambda: clock[0])
        rounds[at] = [(r.name, r.counts is not None) for r in results]
    # then the hourly job runs on the hour, the other every round, and the failed one tries again at once
    assert rounds == {
        0: [("often", True), ("hourly", True), ("flaky", False)],
        60: [("often", True), ("flaky", True)],
        120: [("often", True)],
        3600: [("often", True), ("hourly", True)],
        3660: [("often", True), ("flaky", True)],
    }


# --- The period from the environment -----------------------------------------------------------


@pytest.mark.parametrize(("raw", "days"), [(None, 365), ("", 365), ("30", 30), (" 730 ", 730), ("1", 1)])
def test_retention_days_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str | None, days: int
) -> None:
    if raw is None:
        monkeypatch.delenv("RETENTION_DAYS", raising=False)
    else:
        monkeypatch.setenv("RETENTION_DAYS", raw)
    assert env.get_int("RETENTION_DAYS", 365, minimum=1) == days
    assert "RETENTION_DAYS" in env.ENV_VARS
    assert django_settings.RETENTION_DAYS == 365  # what the suite runs with


@pytest.mark.parametrize("raw", ["0", "-5", "1.5", "一年", "365d", "true"])
def test_a_nonsensical_period_in_the_environment_is_refused_clearly(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("RETENTION_DAYS", raw)
    refusal = r"^RETENTION_DAYS must be a whole number, at least 1, got "
    with pytest.raises(ImproperlyConfigured, match=refusal) as e:
        env.get_int("RETENTION_DAYS", 365, minimum=1)
    assert e.value.__cause__ is None and e.value.__context__ is None  # no int() traceback underneath


def test_the_settings_read_retention_days_and_refuse_nonsense_at_startup() -> None:
    def start(raw: str) -> subprocess.CompletedProcess[str]:
        code = "import django; django.setup(); from django.conf import settings as s; print(s.RETENTION_DAYS)"
        environment = os.environ | {"DJANGO_SETTINGS_MODULE": "config.settings", "RETENTION_DAYS": raw}
        command = [sys.executable, "-c", code]
        return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)

    good = start("30")
    assert (good.returncode, good.stdout.strip()) == (0, "30"), good.stderr[-2000:]
    bad = start("一年")
    assert bad.returncode != 0 and bad.stdout == ""
    refusal = "RETENTION_DAYS must be a whole number, at least 1, got '一年'"
    assert bad.stderr.strip().splitlines()[-1] == f"config.env.ImproperEnvironment: {refusal}"
    assert "ValueError" not in bad.stderr and "invalid literal" not in bad.stderr
