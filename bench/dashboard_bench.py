"""Benchmark for the supervisor dashboard at national scale (issue 6).

    .venv/bin/python bench/dashboard_bench.py [--quick] [--keep]

Fills a separate PostgreSQL database (never the test or development one) with fictional data made
by `generate_series` in the server: organisations in every prefecture, workers and responders,
consultations spread over a year with SLA timers and events, and chat messages. Then it times every
dashboard query for a 30-day window and the live view, for the national office and for one
prefecture (Tokyo, the largest), and prints p50/p95 as Markdown.

- quick: 20,000 consultations and 10 messages each; about 40 s.
- full: 1,000,000 consultations, then messages in batches of 1,000,000 until the time box for data
  is used up (the issue asks 10,000,000; the printed table says how many fitted); at most 6 min.

The server's settings are left as they are (work_mem, shared_buffers): the numbers are those of a
default installation. BENCH_DATABASE_URL chooses the server and database name
(default postgres://postgres@127.0.0.1:5432/soudan_dashboard_bench_<pid>); it is dropped at the end
unless --keep is given.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# One database per run: two runs at once (a colleague's, CI's) must not drop each other's data.
DEFAULT_URL = f"postgres://postgres@127.0.0.1:5432/soudan_dashboard_bench_{os.getpid()}"
FULL_CONSULTATIONS = 1_000_000
QUICK_CONSULTATIONS = 20_000
TARGET_MESSAGES = 10_000_000
MESSAGE_BATCH = 1_000_000
FULL_SECONDS = 360  # the whole full run, data and queries
QUERY_RESERVE_SECONDS = 75  # vacuum/analyze and the timings
REBUILD_SECONDS_PER_MILLION_MESSAGES = 10.0  # measured: index builds after the load
TARGET_P95_MS = {"live": 50.0, "query": 200.0}


def _setup_django(url: str) -> None:
    os.environ["DJANGO_ENV"] = "test"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("REDIS_URL", "")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    if settings.configured:
        raise RuntimeError("run the benchmark in its own process: it points Django at its own database")
    import django

    django.setup()


def _recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name or name in {"postgres", "template0", "template1"}:
        raise ValueError("BENCH_DATABASE_URL must name a database of its own")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _drop_database(url: str) -> None:
    import psycopg
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    parsed = urlparse(url)
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        name = parsed.path.lstrip("/")
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# --- Data ----------------------------------------------------------------------------------------

CONSULTATIONS_SQL = """
WITH base AS (
    SELECT g,
           -- In time order, as the service files them (ids grow with time), with a little jitter.
           now() - interval '365 days' * (1 - g::float / %(total)s) - random() * interval '1 hour' AS created,
           random() AS r_cat, random() AS r_sub, random() AS r_pri, random() AS r_fr, random() AS r_res,
           random() AS r_esc, random() AS r_end
    FROM generate_series(%(lo)s, %(hi)s) AS g
), typed AS (
    SELECT *,
           CASE WHEN r_pri < 0.05 THEN 'urgent' WHEN r_pri < 0.20 THEN 'high' ELSE 'normal' END AS pri,
           CASE WHEN r_cat < 0.40 THEN 'burnout' WHEN r_cat < 0.70 THEN 'hard_case'
                WHEN r_cat < 0.80 THEN 'system' WHEN r_cat < 0.95 THEN 'workplace' ELSE 'other' END AS cat
    FROM base
), timed AS (
    SELECT *,
           created + (-ln(1 - r_fr) * CASE pri WHEN 'urgent' THEN 8 WHEN 'high' THEN 90 ELSE 240 END)
                     * interval '1 minute' AS fr
    FROM typed
), done AS (
    SELECT *,
           CASE WHEN fr < now() - interval '2 days' AND r_end < 0.998
                THEN fr + (-ln(1 - r_res) * 2) * interval '1 day' END AS resolved
    FROM timed
)
INSERT INTO helpdesk_consultation (
    worker_id, category, subtype, worker_urgency, priority, status, requested_responder,
    requested_profession, pseudonymous, age_band, gender, withdrawal_duration, household, agencies,
    summary, question, deid_replacements, deid_kept, risk_flags, triage_reasons, queue_id, assignee_id,
    claimed_at, first_response_at, resolved_at, waiting_since, escalation_level, created_at, updated_at
)
SELECT
    %(worker_lo)s + (g::bigint * 7919) %% %(workers)s,
    cat,
    CASE WHEN cat = 'hard_case'
         THEN (%(subtypes)s::text[])[1 + floor(r_sub * %(n_subtypes)s)::int] ELSE '' END,
    pri, pri,
    CASE WHEN fr > now() THEN 'received'
         WHEN resolved IS NULL OR resolved > now() THEN
              CASE WHEN r_end < 0.5 THEN 'in_progress' WHEN r_end < 0.8 THEN 'waiting' ELSE 'escalated' END
         WHEN r_end < 0.5 THEN 'closed' ELSE 'resolved' END,
    'either', '', true, 'unknown', 'unknown', 'unknown', 'unknown', '[]',
    '', '（ベンチ用の架空データ）', 0, 0, '[]', '[]',
    CASE WHEN pri = 'urgent' THEN %(urgent_queue)s
         WHEN cat = 'hard_case' THEN (%(expert_queues)s::bigint[])[1 + floor(r_sub * %(n_expert)s)::int]
         ELSE %(peer_queue)s END,
    CASE WHEN fr <= now() THEN %(responder_lo)s + (g::bigint * 104729) %% %(responders)s END,
    CASE WHEN fr <= now() THEN created + (fr - created) / 2 END,
    CASE WHEN fr <= now() THEN fr END,
    CASE WHEN resolved <= now() THEN resolved END,
    NULL,
    CASE WHEN r_esc < 0.05 THEN 1 ELSE 0 END,
    created, created
FROM done
"""

TIMERS_SQL = """
INSERT INTO helpdesk_slatimer (consultation_id, kind, started_at, warn_at, due_at, warned_at, breached_at,
                               stopped_at, paused_at, remaining_seconds, warn_remaining_seconds)
SELECT id, kind, created_at, created_at + target * 0.75, created_at + target,
       CASE WHEN coalesce(met_at, now()) > created_at + target * 0.75 THEN created_at + target * 0.75 END,
       CASE WHEN coalesce(met_at, now()) > created_at + target THEN created_at + target END,
       met_at, NULL, NULL, NULL
FROM (
    SELECT id, created_at, 'first_response' AS kind, first_response_at AS met_at,
           CASE priority WHEN 'urgent' THEN 15 WHEN 'high' THEN 240 ELSE 480 END
               * interval '1 minute' AS target
    FROM helpdesk_consultation WHERE id BETWEEN %(lo)s AND %(hi)s
    UNION ALL
    SELECT id, created_at, 'resolution',
           coalesce(resolved_at, CASE WHEN status = 'closed' THEN updated_at END),
           CASE priority WHEN 'urgent' THEN 1440 WHEN 'high' THEN 2400 ELSE 4800 END * interval '1 minute'
    FROM helpdesk_consultation WHERE id BETWEEN %(lo)s AND %(hi)s
) AS t
"""

EVENTS_SQL = """
INSERT INTO helpdesk_consultationevent (consultation_id, kind, actor_id, from_status, to_status, queue_id,
                                        target_id, reason, created_at)
SELECT id, 'created', worker_id, '', 'received', NULL::bigint, NULL::bigint, '', created_at
FROM helpdesk_consultation WHERE id BETWEEN %(lo)s AND %(hi)s
UNION ALL
SELECT id, 'routed', NULL, '', '', queue_id, NULL, '', created_at
FROM helpdesk_consultation WHERE id BETWEEN %(lo)s AND %(hi)s
UNION ALL
SELECT id, 'claimed', assignee_id, 'received', 'in_progress', NULL, NULL, '', claimed_at
FROM helpdesk_consultation WHERE id BETWEEN %(lo)s AND %(hi)s AND claimed_at IS NOT NULL
UNION ALL
SELECT id, 'status', assignee_id, 'in_progress', 'resolved', NULL, NULL, '', resolved_at
FROM helpdesk_consultation WHERE id BETWEEN %(lo)s AND %(hi)s AND resolved_at IS NOT NULL
UNION ALL
SELECT id, 'escalated', CASE WHEN id %% 3 = 0 THEN assignee_id END, 'in_progress', 'escalated',
       %(supervisor_queue)s, NULL, '', coalesce(claimed_at, created_at) + interval '20 minutes'
FROM helpdesk_consultation WHERE id BETWEEN %(lo)s AND %(hi)s AND escalation_level > 0
UNION ALL
SELECT id, 'status', worker_id, 'resolved', 'in_progress', NULL, NULL, '', resolved_at + interval '1 day'
FROM helpdesk_consultation WHERE id BETWEEN %(lo)s AND %(hi)s AND resolved_at IS NOT NULL AND id %% 31 = 0
"""

MESSAGES_SQL = """
INSERT INTO chat_message (consultation_id, seq, client_id, author_id, kind, body, created_at)
SELECT c.id, s.seq, gen_random_uuid(),
       CASE WHEN s.seq %% 2 = 1 OR c.assignee_id IS NULL THEN c.worker_id ELSE c.assignee_id END,
       'message', 'ベンチ用の架空メッセージです。', c.created_at + s.seq * interval '7 minutes'
FROM helpdesk_consultation AS c CROSS JOIN generate_series(1, %(per)s) AS s(seq)
WHERE c.id BETWEEN %(lo)s AND %(hi)s
"""


def _execute(sql: str, params: dict[str, Any] | None = None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})


def _scalar(sql: str, params: dict[str, Any] | None = None) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        row = cursor.fetchone()
    return row[0] if row else None


BULK_TABLES = ("helpdesk_consultation", "helpdesk_slatimer", "helpdesk_consultationevent", "chat_message")


def _drop_secondary_indexes() -> list[str]:
    """Drop the bulk tables' indexes and unique constraints (not primary keys); return how to rebuild
    them. Loading into bare tables and indexing once is several times faster than row by row."""
    from django.db import connection

    rebuild: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)",
            [list(BULK_TABLES)],
        )
        for table, name, definition in cursor.fetchall():
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index AS i "
            "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)",
            [list(BULK_TABLES)],
        )
        for name, definition in cursor.fetchall():
            cursor.execute(f"DROP INDEX {name}")
            rebuild.append(definition)
    return rebuild


def _people() -> dict[str, Any]:
    """Organisations in every prefecture, workers, responders on duty and the two supervisors."""
    from accounts.models import Organisation, OrganisationType, Role, User
    from accounts.prefectures import PREFECTURES
    from peer.models import ResponderProfile

    orgs = [
        Organisation(slug="bench-national", name="国の事務局（架空）", org_type="national", prefecture="13")
    ]
    for code, name in PREFECTURES:
        orgs.append(
            Organisation(
                slug=f"bench-{code}-centre",
                name=f"{name}ひきこもり地域支援センター（架空）",
                org_type=OrganisationType.PREFECTURE_CENTRE,
                prefecture=code,
            )
        )
        stations = 24 if code == "13" else 8
        for n in range(stations):
            orgs.append(
                Organisation(
                    slug=f"bench-{code}-{n}",
                    name=f"{name}相談窓口{n}（架空）",
                    org_type=OrganisationType.MUNICIPAL if n % 4 else OrganisationType.NPO,
                    prefecture=code,
                )
            )
    Organisation.objects.bulk_create(orgs)
    org_ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    workers = [
        User(
            username=f"bench-worker-{i}",
            role=Role.WORKER,
            organisation_id=org_ids[1 + i % (len(org_ids) - 1)],
        )
        for i in range(3000)
    ]
    responders = [
        User(
            username=f"bench-responder-{i}",
            role=Role.PEER if i < 180 else Role.EXPERT,
            organisation_id=org_ids[1 + (i * 13) % (len(org_ids) - 1)],
            display_name=f"応答者{i}（架空）",
        )
        for i in range(300)
    ]
    for user in workers + responders:
        user.set_unusable_password()
    User.objects.bulk_create(workers, batch_size=1000)
    User.objects.bulk_create(responders, batch_size=1000)
    responder_ids = list(
        User.objects.filter(username__startswith="bench-responder-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ResponderProfile.objects.bulk_create(
        [ResponderProfile(user_id=pk, on_duty=i % 3 == 0, capacity=4) for i, pk in enumerate(responder_ids)]
    )
    tokyo = Organisation.objects.get(slug="bench-13-centre")
    national = Organisation.objects.get(slug="bench-national")
    return {
        "worker_lo": User.objects.filter(username="bench-worker-0").values_list("pk", flat=True).get(),
        "workers": len(workers),
        "responder_lo": responder_ids[0],
        "responders": len(responder_ids),
        "national_sv": User.objects.create_user(
            "bench-sv-national", None, role=Role.SUPERVISOR, organisation=national
        ),
        "tokyo_sv": User.objects.create_user(
            "bench-sv-tokyo", None, role=Role.SUPERVISOR, organisation=tokyo
        ),
    }


def _fill(consultations: int, *, quick: bool, limit: float, log: Callable[[str], None]) -> dict[str, Any]:
    """Load the data; in a full run, messages stop when the rest would no longer fit before `limit`."""
    from helpdesk.choices import Subtype
    from helpdesk.models import Queue

    people = _people()
    queues = dict(Queue.objects.values_list("slug", "pk"))
    experts = [pk for slug, pk in queues.items() if slug.startswith("expert-")]
    subtypes = [s.value for s in Subtype]
    _execute("SELECT setseed(0.42)")
    _execute("SET synchronous_commit = off")
    # The generated rows reference existing ids by construction: skip the per-row foreign-key
    # triggers while loading (a session setting; it needs the superuser the benchmark runs as).
    _execute("SET session_replication_role = replica")
    _execute("SET maintenance_work_mem = '256MB'")
    rebuild = _drop_secondary_indexes()
    batch = 250_000
    started = time.monotonic()
    for lo in range(1, consultations + 1, batch):
        hi = min(consultations, lo + batch - 1)
        _execute(
            CONSULTATIONS_SQL,
            {
                "lo": lo,
                "hi": hi,
                "total": consultations,
                "worker_lo": people["worker_lo"],
                "workers": people["workers"],
                "responder_lo": people["responder_lo"],
                "responders": people["responders"],
                "subtypes": subtypes,
                "n_subtypes": len(subtypes),
                "urgent_queue": queues["urgent"],
                "peer_queue": queues["peer"],
                "expert_queues": experts,
                "n_expert": len(experts),
            },
        )
    log(f"consultations: {consultations:,} in {time.monotonic() - started:.1f} s")
    lo_id = _scalar("SELECT min(id) FROM helpdesk_consultation")
    hi_id = _scalar("SELECT max(id) FROM helpdesk_consultation")
    started = time.monotonic()
    for lo in range(lo_id, hi_id + 1, batch):
        _execute(TIMERS_SQL, {"lo": lo, "hi": lo + batch - 1})
    timers = _scalar("SELECT count(*) FROM helpdesk_slatimer")
    log(f"timers: {timers:,} in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    for lo in range(lo_id, hi_id + 1, batch):
        _execute(EVENTS_SQL, {"lo": lo, "hi": lo + batch - 1, "supervisor_queue": queues["supervisor"]})
    events = _scalar("SELECT count(*) FROM helpdesk_consultationevent")
    log(f"events: {events:,} in {time.monotonic() - started:.1f} s")

    started = time.monotonic()
    per = 10
    span = max(1, MESSAGE_BATCH // per)
    messages = 0
    last_batch = 15.0
    lo = lo_id
    # BENCH_MESSAGES caps the messages (no dashboard query reads them; handy when studying plans).
    wanted = min(per * consultations, int(os.environ.get("BENCH_MESSAGES", TARGET_MESSAGES)))
    while lo <= hi_id and messages < wanted:
        to_rebuild = 25 + REBUILD_SECONDS_PER_MILLION_MESSAGES * (messages + MESSAGE_BATCH) / 1_000_000
        if not quick and time.monotonic() + last_batch + to_rebuild + QUERY_RESERVE_SECONDS > limit:
            log("time box: no room for more messages")
            break
        batch_started = time.monotonic()
        _execute(MESSAGES_SQL, {"lo": lo, "hi": lo + span - 1, "per": per})
        last_batch = time.monotonic() - batch_started
        messages += per * span
        lo += span
        if not quick:
            log(f"messages: about {messages:,}")
    messages = _scalar("SELECT count(*) FROM chat_message")
    log(f"messages: {messages:,} in {time.monotonic() - started:.1f} s")
    _execute("SET session_replication_role = origin")
    started = time.monotonic()
    for statement in rebuild:
        _execute(statement)
    log(f"indexes and constraints rebuilt ({len(rebuild)}): {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    _execute("VACUUM ANALYZE")
    log(f"vacuum analyze: {time.monotonic() - started:.1f} s")
    return people | {
        "timers": _scalar("SELECT count(*) FROM helpdesk_slatimer"),
        "events": events,
        "messages": messages,
    }


# --- Timing --------------------------------------------------------------------------------------


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _time(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    """p50/p95/max in ms over `repeat` runs after one warm-up run."""
    fn()  # warm the cache and the connection, as a page that is open keeps them
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "p50": round(_percentile(samples, 0.5), 1),
        "p95": round(_percentile(samples, 0.95), 1),
        "max": round(max(samples), 1),
    }


def _queries(actor: Any, repeat: int) -> dict[str, dict[str, float]]:
    from django.db import DEFAULT_DB_ALIAS, transaction
    from django.utils import timezone

    from helpdesk.dashboard import history, selectors
    from helpdesk.dashboard.filters import HistoryFilters
    from helpdesk.dashboard.scope import scope_for
    from helpdesk.models import Queue

    today = timezone.localdate()
    filters = HistoryFilters(period="30", first_day=today - timedelta(days=29), last_day=today)
    scope = scope_for(actor=actor)
    qs = history.cohort(scope, filters)
    names = dict(Queue.objects.values_list("pk", "name"))

    def export_rows() -> int:
        detail = history.detail_export_for(actor=actor, filters=filters)
        return sum(1 for _ in detail.rows.iterator(chunk_size=5000))

    def tx(fn: Callable[[], Any]) -> Callable[[], Any]:
        """A part of the history page, run as the page runs it (one transaction, sort memory set)."""

        def run_part() -> Any:
            with transaction.atomic():
                history._sort_memory(DEFAULT_DB_ALIAS)
                return fn()

        return run_part

    cases: dict[str, Callable[[], Any]] = {
        "live view (all live queries)": lambda: selectors.live_health_for(actor=actor),
        "drill-down: waiting": lambda: selectors.drilldown_for(actor=actor, measure="waiting"),
        "summary + p50/p90": tx(lambda: history._summary(qs)),
        "SLA compliance per target": tx(lambda: history._sla(scope, filters)),
        "escalations by reason": tx(lambda: history._escalations(scope, filters, names)),
        "reopen rate": tx(lambda: history._reopen(scope, filters, 0)),
        "per category": tx(lambda: history._categories(qs)),
        "per responder + p50/p90": tx(lambda: history._responders(qs)),
        "trend per day + p50/p90": tx(lambda: history._trend(qs, filters)),
        "history page (all of the above)": lambda: history.history_for(actor=actor, filters=filters),
    }
    result = {
        name: _time(fn, repeat if "all of the above" not in name else max(3, repeat // 3))
        for name, fn in cases.items()
    }
    result["detail export, 30 days (all rows)"] = _time(export_rows, 3)
    result["_cohort"] = {"rows": float(qs.count())}
    return result


def run(quick: bool = False, keep: bool = False) -> dict[str, Any]:
    """Generate the data, time the queries, return the numbers (and print progress to stderr)."""
    begun = time.monotonic()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)

    def log(line: str) -> None:
        print(f"[{time.monotonic() - begun:6.1f} s] {line}", file=sys.stderr, flush=True)

    _recreate_database(url)
    try:
        _setup_django(url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        log("migrated")
        load_before = os.getloadavg()
        consultations = QUICK_CONSULTATIONS if quick else FULL_CONSULTATIONS
        data = _fill(consultations, quick=quick, limit=begun + FULL_SECONDS, log=log)
        repeat = 5 if quick else 15
        results: dict[str, Any] = {
            "quick": quick,
            "consultations": consultations,
            "timers": data["timers"],
            "events": data["events"],
            "messages": data["messages"],
            "national": _queries(data["national_sv"], repeat),
            "tokyo": _queries(data["tokyo_sv"], repeat),
        }
        log("timed")
        results["load_average"] = {"before": round(load_before[0], 1), "after": round(os.getloadavg()[0], 1)}
        results["server"] = {
            "version": _scalar("SHOW server_version"),
            "work_mem": _scalar("SHOW work_mem"),
            "shared_buffers": _scalar("SHOW shared_buffers"),
        }
        results["seconds"] = round(time.monotonic() - begun, 1)
    finally:
        if not keep:
            _drop_database(url)
    return results


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"## Dashboard benchmark ({'quick' if results['quick'] else 'full'})",
        "",
        f"PostgreSQL {results['server']['version']} (work_mem {results['server']['work_mem']}, "
        f"shared_buffers {results['server']['shared_buffers']}), 2 cores.",
        f"Data: {results['consultations']:,} consultations over a year, {results['timers']:,} SLA timers, "
        f"{results['events']:,} events, {results['messages']:,} messages; "
        f"30-day cohort: {int(results['national']['_cohort']['rows']):,} consultations nationally, "
        f"{int(results['tokyo']['_cohort']['rows']):,} in Tokyo. Total run {results['seconds']} s. "
        f"Load average (1 min) {results['load_average']['before']} at the start, "
        f"{results['load_average']['after']} after the timings: above 2 the cores were shared.",
        "",
        "| query (30-day window) | national p50 ms | national p95 ms | Tokyo p50 ms | Tokyo p95 ms "
        "| target p95 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, national in results["national"].items():
        if name.startswith("_"):
            continue
        tokyo = results["tokyo"][name]
        if name.startswith("live"):
            target = f"{TARGET_P95_MS['live']:.0f}"
        elif "all of the above" in name or "export" in name:
            target = "—"
        else:
            target = f"{TARGET_P95_MS['query']:.0f}"
        lines.append(
            f"| {name} | {national['p50']} | {national['p95']} | {tokyo['p50']} | {tokyo['p95']} | {target} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    outcome = run(quick="--quick" in sys.argv, keep="--keep" in sys.argv)
    print(markdown(outcome))
