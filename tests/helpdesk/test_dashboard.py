"""Supervisor dashboard: scope, numbers, traffic lights, drill-down, CSV, /metrics and query counts."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Organisation, OrganisationType, Role, User
from helpdesk.choices import Priority, Status
from helpdesk.dashboard import aggregates, csv_export, history, selectors, tables, thresholds
from helpdesk.dashboard.filters import HistoryFilters
from helpdesk.models import Consultation, ConsultationEvent, EventKind, SLATimer, TimerKind
from peer.models import ResponderProfile

pytestmark = pytest.mark.urls("tests.helpdesk.dashboard_urls")

CASE_TEXT = "架空の事例本文XYZZY"
QUESTION_TEXT = "架空の相談内容PLUGH"
PAGES = [
    "/dashboard/",
    "/dashboard/live.json",
    "/dashboard/history/",
    "/dashboard/consultations/?measure=waiting",
]


# --- Fixtures ---------------------------------------------------------------------------------------


@pytest.fixture
def orgs(make_org: Callable[..., Organisation]) -> dict[str, Organisation]:
    return {
        "national": make_org(name="国の事務局", org_type=OrganisationType.NATIONAL, prefecture="13"),
        "kanagawa": make_org(name="神奈川県ひきこもり地域支援センター", prefecture="14"),
        "yokohama": make_org(name="横浜市の相談窓口", org_type=OrganisationType.MUNICIPAL, prefecture="14"),
        "osaka": make_org(name="大阪府ひきこもり地域支援センター", prefecture="27"),
    }


@pytest.fixture
def supervisors(enrolled: Callable[..., User], orgs: dict[str, Organisation]) -> dict[str, User]:
    return {
        "national": enrolled(Role.SUPERVISOR, organisation=orgs["national"], display_name="国 SV"),
        "kanagawa": enrolled(Role.SUPERVISOR, organisation=orgs["kanagawa"], display_name="神奈川 SV"),
        "osaka": enrolled(Role.SUPERVISOR, organisation=orgs["osaka"], display_name="大阪 SV"),
    }


@pytest.fixture
def file_in(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> Callable[..., Consultation]:
    """File a consultation by a new worker of `org`; optionally move its times back."""

    def file(org: Organisation, *, minutes_ago: float = 0, **facts: Any) -> Consultation:
        worker = make_user(Role.WORKER, organisation=org)
        facts.setdefault("summary", CASE_TEXT)
        facts.setdefault("question", QUESTION_TEXT)
        consultation = file_consultation(worker, **facts)
        if minutes_ago:
            created = timezone.now() - timedelta(minutes=minutes_ago)
            Consultation.objects.filter(pk=consultation.pk).update(created_at=created)
            consultation.created_at = created
        return consultation

    return file


def days_filters(days: int = 30, **extra: Any) -> HistoryFilters:
    today = timezone.localdate()
    return HistoryFilters(
        period=str(days), first_day=today - timedelta(days=days - 1), last_day=today, **extra
    )


def read_csv(response: Any) -> tuple[bytes, list[list[str]]]:
    raw = b"".join(response.streaming_content)
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


# --- Scope ------------------------------------------------------------------------------------------


def test_national_office_sees_all_and_a_prefecture_only_its_own(
    supervisors: dict[str, User], orgs: dict[str, Organisation], file_in: Callable[..., Consultation]
) -> None:
    in_kanagawa = file_in(orgs["yokohama"])
    in_osaka = file_in(orgs["osaka"])

    def waiting_ids(actor: User) -> set[int]:
        return {row.id for row in selectors.drilldown_for(actor=actor, measure="waiting").rows}

    assert waiting_ids(supervisors["national"]) == {in_kanagawa.pk, in_osaka.pk}
    assert waiting_ids(supervisors["kanagawa"]) == {in_kanagawa.pk}
    assert waiting_ids(supervisors["osaka"]) == {in_osaka.pk}
    assert selectors.live_health_for(actor=supervisors["national"]).waiting == 2
    assert selectors.live_health_for(actor=supervisors["kanagawa"]).waiting == 1
    assert history.history_for(actor=supervisors["osaka"], filters=days_filters()).summary.total == 1


def test_a_supervisor_sees_their_own_organisation_even_outside_their_prefecture_rule(
    supervisors: dict[str, User], orgs: dict[str, Organisation], file_in: Callable[..., Consultation]
) -> None:
    own = file_in(orgs["kanagawa"])
    assert [r.id for r in selectors.drilldown_for(actor=supervisors["kanagawa"], measure="waiting").rows] == [
        own.pk
    ]


@pytest.mark.parametrize("role", [Role.WORKER, Role.PEER, Role.EXPERT, Role.ADMIN])
def test_other_roles_are_refused_everywhere(
    role: str,
    enrolled: Callable[..., User],
    orgs: dict[str, Organisation],
    verified_client: Callable[[User], Client],
) -> None:
    # Even at the national office: the dashboard is for supervisors only.
    user = enrolled(role, organisation=orgs["national"])
    client = verified_client(user)
    for url in [*PAGES, "/dashboard/export/categories.csv", "/dashboard/export/detail.csv"]:
        assert client.get(url).status_code == 403, url
    with pytest.raises(PermissionDenied):
        selectors.metrics_for(user, {})


def test_pages_need_a_verified_login(client: Client, db: None) -> None:
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_pages_render_for_a_supervisor(
    supervisors: dict[str, User],
    orgs: dict[str, Organisation],
    file_in: Callable[..., Consultation],
    verified_client: Callable[[User], Client],
) -> None:
    file_in(orgs["yokohama"], minutes_ago=30)
    client = verified_client(supervisors["kanagawa"])
    for url in PAGES:
        assert client.get(url).status_code == 200, url
    live = client.get("/dashboard/live.json").json()
    assert live["waiting"] == 1 and live["table"]["rows"][0][2]["text"] == "1"


# --- Percentiles ------------------------------------------------------------------------------------


def _with_first_responses(
    file_in: Callable[..., Consultation], org: Organisation, seconds: list[int], assignee: User | None = None
) -> list[Consultation]:
    made = []
    base = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=2)
    for offset, wait in enumerate(seconds):
        consultation = file_in(org)
        created = base + timedelta(minutes=offset)
        Consultation.objects.filter(pk=consultation.pk).update(
            created_at=created,
            first_response_at=created + timedelta(seconds=wait),
            resolved_at=created + timedelta(seconds=wait * 10),
            assignee=assignee,
            status=Status.RESOLVED,
        )
        made.append(consultation)
    return made


@pytest.mark.postgres
def test_percentiles_are_computed_in_postgresql_and_match_known_values(
    supervisors: dict[str, User],
    orgs: dict[str, Organisation],
    file_in: Callable[..., Consultation],
    make_user: Callable[..., User],
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    peer = make_user(Role.PEER, display_name="ピア 太郎")
    _with_first_responses(file_in, orgs["yokohama"], [60, 120, 180, 240, 600], assignee=peer)
    with CaptureQueriesContext(connection) as queries:
        result = history.history_for(actor=supervisors["kanagawa"], filters=days_filters())
    assert any("PERCENTILE_CONT" in q["sql"] for q in queries.captured_queries)
    s = result.summary
    # percentile_cont: p50 = 180; p90 at rank 0.9 * 4 = 3.6 -> 240 + 0.6 * (600 - 240) = 456
    assert (s.first_response.n, s.first_response.p50, s.first_response.p90) == (5, 180.0, 456.0)
    assert (s.resolution.p50, s.resolution.p90) == (1800.0, 4560.0)
    [responder] = result.responders
    assert (responder.name, responder.consultations, responder.first_response.p50) == ("ピア 太郎", 5, 180.0)
    assert sum(r.consultations for r in result.trend) == 5


def test_the_python_fallback_gives_the_same_percentiles(
    supervisors: dict[str, User],
    orgs: dict[str, Organisation],
    file_in: Callable[..., Consultation],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _with_first_responses(file_in, orgs["yokohama"], [60, 120, 180, 240, 600])
    monkeypatch.setattr(history, "percentiles_in_database", lambda using="default": False)
    with CaptureQueriesContext(connection) as queries:
        result = history.history_for(actor=supervisors["kanagawa"], filters=days_filters())
    assert not any("PERCENTILE_CONT" in q["sql"] for q in queries.captured_queries)
    assert (result.summary.first_response.p50, result.summary.first_response.p90) == (180.0, 456.0)
    assert result.responders == [] and result.trend[0].first_response.p90 == 456.0


def test_python_percentile_interpolates_like_percentile_cont() -> None:
    assert aggregates.python_percentile([], 0.5) is None
    assert aggregates.python_percentile([7], 0.9) == 7
    assert aggregates.python_percentile([4, 1, 3, 2], 0.5) == 2.5
    assert aggregates.python_percentile([10, 20], 0.9) == 19.0
    with pytest.raises(ValueError, match="fraction"):
        aggregates.PercentileCont("x", 1.5)


def test_history_counts_sla_escalations_and_reopens(
    supervisors: dict[str, User], orgs: dict[str, Organisation], file_in: Callable[..., Consultation]
) -> None:
    met, missed, escalated = (file_in(orgs["yokohama"]) for _ in range(3))
    now = timezone.now()
    SLATimer.objects.filter(consultation=met, kind=TimerKind.FIRST_RESPONSE).update(stopped_at=now)
    SLATimer.objects.filter(consultation=missed, kind=TimerKind.FIRST_RESPONSE).update(breached_at=now)
    Consultation.objects.filter(pk=escalated.pk).update(escalation_level=1)
    ConsultationEvent.objects.create(
        consultation=escalated, kind=EventKind.ESCALATED, reason="自由記述の理由 SECRET", queue=met.queue
    )
    ConsultationEvent.objects.create(
        consultation=met, kind=EventKind.STATUS, from_status=Status.IN_PROGRESS, to_status=Status.RESOLVED
    )
    ConsultationEvent.objects.create(
        consultation=met, kind=EventKind.STATUS, from_status=Status.RESOLVED, to_status=Status.IN_PROGRESS
    )
    result = history.history_for(actor=supervisors["national"], filters=days_filters(7))
    first = next(r for r in result.sla if r.kind == TimerKind.FIRST_RESPONSE)
    assert (first.targets, first.decided, first.met, first.breached, first.compliance) == (
        3,
        2,
        1,
        1,
        50.0,
    )
    [row] = result.escalations
    assert (row.automatic, row.events, row.consultations) == (True, 1, 1)
    assert "SECRET" not in json.dumps(result.as_dict(), ensure_ascii=False)
    assert (result.reopen.resolved, result.reopen.reopened, result.reopen.rate) == (1, 1, 100.0)
    assert result.summary.escalated == 1


def test_history_filters_narrow_the_cohort(
    supervisors: dict[str, User], orgs: dict[str, Organisation], file_in: Callable[..., Consultation]
) -> None:
    file_in(orgs["yokohama"])
    file_in(orgs["kanagawa"], category="hard_case", subtype="legal")
    file_in(orgs["osaka"])
    actor = supervisors["national"]
    assert history.history_for(actor=actor, filters=days_filters(prefecture="14")).summary.total == 2
    assert history.history_for(actor=actor, filters=days_filters(org_type="municipal")).summary.total == 1
    assert history.history_for(actor=actor, filters=days_filters(category="hard_case")).summary.total == 1
    old = file_in(orgs["osaka"], minutes_ago=60 * 24 * 10)
    assert old.created_at < days_filters(7).start
    assert history.history_for(actor=actor, filters=days_filters(7)).summary.total == 3


def test_metrics_for_returns_the_page_numbers_as_json(
    supervisors: dict[str, User], orgs: dict[str, Organisation], file_in: Callable[..., Consultation]
) -> None:
    file_in(orgs["yokohama"])
    data = selectors.metrics_for(supervisors["kanagawa"], {"period": "7", "prefecture": "14"})
    json.dumps(data)
    assert data["history"]["summary"]["total"] == 1
    assert data["live"]["waiting"] == 1
    assert data["filters"]["prefecture"] == "14"
    assert data["scope"] == {"national": False, "prefecture": "14"}
    with pytest.raises(ValidationError):
        selectors.metrics_for(supervisors["kanagawa"], {"period": "custom", "start": "2026-01-02"})
    with pytest.raises(ValidationError):  # another prefecture is not a choice for this supervisor
        selectors.metrics_for(supervisors["kanagawa"], {"prefecture": "27"})


# --- Traffic light ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "waiting", "minutes", "warnings", "breaches", "expected"),
    [
        (Priority.URGENT, 0, 0, 0, 0, "green"),
        (Priority.URGENT, 1, 1, 0, 0, "amber"),  # any urgent consultation waiting
        (Priority.URGENT, 1, 10, 0, 0, "red"),
        (Priority.NORMAL, 1, 119, 0, 0, "green"),
        (Priority.NORMAL, 1, 120, 0, 0, "amber"),
        (Priority.NORMAL, 1, 360, 0, 0, "red"),
        (Priority.NORMAL, 25, 1, 0, 0, "red"),
        (Priority.NORMAL, 0, 0, 1, 0, "amber"),
        (Priority.NORMAL, 0, 0, 1, 1, "red"),
    ],
)
def test_traffic_light_thresholds(
    priority: str, waiting: int, minutes: int, warnings: int, breaches: int, expected: str
) -> None:
    level = thresholds.level_for(
        priority=priority,
        waiting=waiting,
        oldest_wait_seconds=minutes * 60,
        warnings=warnings,
        breaches=breaches,
        table=thresholds.DEFAULT_THRESHOLDS,
    )
    assert level == expected


def test_thresholds_are_configurable(settings: Any) -> None:
    settings.DASHBOARD_THRESHOLDS = {"normal": {"amber_wait_minutes": 5}}
    table = thresholds.thresholds()
    assert table["normal"].amber_wait_minutes == 5 and table["normal"].red_wait_minutes == 360
    assert (
        thresholds.level_for(priority="normal", waiting=1, oldest_wait_seconds=6 * 60, warnings=0, breaches=0)
        == "amber"
    )
    settings.DASHBOARD_THRESHOLDS = {"normal": {"amber_after": 5}}
    with pytest.raises(Exception, match="DASHBOARD_THRESHOLDS"):
        thresholds.thresholds()


def test_a_waiting_consultation_turns_amber_then_red_as_its_target_runs_out(
    supervisors: dict[str, User], orgs: dict[str, Organisation], file_in: Callable[..., Consultation]
) -> None:
    consultation = file_in(orgs["yokohama"])
    actor = supervisors["kanagawa"]

    def light() -> str:
        [row] = [
            r for r in selectors.live_health_for(actor=actor).rows if r.queue_id == consultation.queue_id
        ]
        return row.level

    assert light() == "green"
    timer = SLATimer.objects.get(consultation=consultation, kind=TimerKind.FIRST_RESPONSE)
    SLATimer.objects.filter(pk=timer.pk).update(warned_at=timezone.now())
    assert light() == "amber"
    SLATimer.objects.filter(pk=timer.pk).update(breached_at=timezone.now())
    assert light() == "red"
    assert selectors.live_health_for(actor=actor).breaches == 1


def test_live_view_counts_urgent_waiting_and_staffing(
    supervisors: dict[str, User],
    orgs: dict[str, Organisation],
    file_in: Callable[..., Consultation],
    make_user: Callable[..., User],
) -> None:
    urgent = file_in(orgs["yokohama"], summary="本人が「死にたい」と繰り返している。", minutes_ago=12)
    assert urgent.priority == Priority.URGENT
    expert = make_user(Role.EXPERT, organisation=orgs["kanagawa"], display_name="専門職 花子")
    ResponderProfile.objects.create(user=expert, on_duty=True, capacity=4)
    live = selectors.live_health_for(actor=supervisors["kanagawa"])
    assert live.urgent_waiting == 1 and live.level == "red"
    [row] = [r for r in live.rows if r.priority == Priority.URGENT]
    assert row.oldest_wait_seconds is not None and row.oldest_wait_seconds >= 12 * 60
    assert live.staffing[urgent.queue_id or 0].on_duty == 1
    assert [r.name for r in live.responders] == ["専門職 花子"]
    # Responders of another prefecture count in staffing but are not listed by name.
    assert selectors.live_health_for(actor=supervisors["osaka"]).responders == []


# --- Drill-down -------------------------------------------------------------------------------------


def test_drilldown_lists_ids_state_wait_and_assignee_but_never_case_text(
    supervisors: dict[str, User],
    orgs: dict[str, Organisation],
    file_in: Callable[..., Consultation],
    verified_client: Callable[[User], Client],
) -> None:
    consultation = file_in(orgs["yokohama"], minutes_ago=45)
    client = verified_client(supervisors["kanagawa"])
    page = client.get(f"/dashboard/consultations/?measure=waiting&queue_id={consultation.queue_id}")
    text = page.content.decode()
    assert page.status_code == 200
    assert consultation.reference in text
    assert CASE_TEXT not in text and QUESTION_TEXT not in text
    history_page = client.get("/dashboard/consultations/?measure=all&period=7").content.decode()
    assert consultation.reference in history_page and CASE_TEXT not in history_page
    for url in ["/dashboard/", "/dashboard/history/", "/dashboard/live.json"]:
        body = client.get(url).content.decode()
        assert CASE_TEXT not in body and QUESTION_TEXT not in body
    [row] = selectors.drilldown_for(actor=supervisors["kanagawa"], measure="waiting").rows
    assert row.wait_minutes >= 45 and row.assignee == ""


def test_drilldown_rejects_unknown_measures(
    supervisors: dict[str, User], verified_client: Callable[[User], Client]
) -> None:
    client = verified_client(supervisors["kanagawa"])
    assert client.get("/dashboard/consultations/?measure=summary").status_code == 404
    assert client.get("/dashboard/consultations/?measure=waiting&queue_id=x").status_code == 404


# --- CSV --------------------------------------------------------------------------------------------


def test_csv_has_a_bom_japanese_intact_and_formulas_neutralised(
    supervisors: dict[str, User],
    orgs: dict[str, Organisation],
    file_in: Callable[..., Consultation],
    make_user: Callable[..., User],
    verified_client: Callable[[User], Client],
) -> None:
    peer = make_user(Role.PEER, display_name='=HYPERLINK("http://example.invalid")')
    _with_first_responses(file_in, orgs["yokohama"], [60, 120, 180], assignee=peer)
    client = verified_client(supervisors["kanagawa"])
    response = client.get("/dashboard/export/responders.csv?period=7")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    raw, rows = read_csv(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert rows[1][0] == '\'=HYPERLINK("http://example.invalid")'
    assert rows[1][1] == "3"
    _raw, queue_rows = read_csv(client.get("/dashboard/export/live.csv"))
    _raw, detail = read_csv(client.get("/dashboard/export/detail.csv?period=7"))
    assert len(detail) == 1 + 3
    assert any("ピア相談" in cell for row in detail[1:] for cell in row)
    assert all(CASE_TEXT not in cell and QUESTION_TEXT not in cell for row in detail for cell in row)
    assert queue_rows[0][0]  # headers present even when nobody waits


@pytest.mark.parametrize("value", ["=1+1", "+81", "-2", "@SUM(A1)", "＝1", "\t=1"])
def test_formula_prefixes_get_an_apostrophe(value: str) -> None:
    assert csv_export.neutralise(value) == "'" + value
    assert csv_export.neutralise("相談 = 1") == "相談 = 1"
    assert csv_export.neutralise(-2) == -2  # numbers are not formulas


def test_small_cells_are_suppressed_in_exports(
    supervisors: dict[str, User],
    orgs: dict[str, Organisation],
    file_in: Callable[..., Consultation],
    verified_client: Callable[[User], Client],
) -> None:
    for _ in range(5):
        file_in(orgs["yokohama"])
    for _ in range(4):
        file_in(orgs["yokohama"], category="system")
    file_in(orgs["kanagawa"], category="hard_case", subtype="legal")
    file_in(orgs["kanagawa"], category="hard_case", subtype="legal")
    client = verified_client(supervisors["kanagawa"])
    _raw, rows = read_csv(client.get("/dashboard/export/categories.csv?period=7"))
    counts = {row[0]: row[1] for row in rows[1:]}
    # 2 is suppressed; the next smallest (4) goes with it, or 11 - 5 - 0 would give it away.
    assert sorted(counts.values()) == ["0", "0", "5", "<3", "<3"]
    _raw, summary = read_csv(client.get("/dashboard/export/summary.csv?period=7"))
    assert summary[1][1] == "11"
    # The page, inside the service, shows the real numbers.
    page = client.get("/dashboard/history/?period=7").content.decode()
    assert re.search(r'<td class="num"><a [^>]*>2</a></td>', page)
    # Detail rows: a (prefecture, organisation type) seen fewer than three times is hidden,
    # and so is a subtype shared by fewer than three.
    _raw, detail = read_csv(client.get("/dashboard/export/detail.csv?period=7"))
    header = detail[0]
    org_type, subtype = header.index(str(header[7])), 3
    assert len(detail) == 1 + 11
    assert [row[org_type] for row in detail[1:]].count("*") == 2
    assert [row[subtype] for row in detail[1:]].count("*") == 2


def test_secondary_suppression_protects_a_lone_small_cell() -> None:
    table = tables.Table("t", "t", ["label", "n"], additive_columns=(1,))
    table.rows = [
        [tables.Cell(label), tables.Cell(n, n=n)] for label, n in [("a", 2), ("b", 7), ("c", 4), ("d", 0)]
    ]
    assert [row[1] for row in tables.suppress(table)] == ["<3", 7, "<3", 0]
    grouped = tables.Table("g", "g", ["label", "met", "missed", "rate"])
    grouped.rows = [
        [
            tables.Cell("x"),
            tables.Cell(40, n=40, group="g"),
            tables.Cell(1, n=1, group="g"),
            tables.Cell(97.6, n=41, group="g"),
        ]
    ]
    assert tables.suppress(grouped) == [["x", "<3", "<3", "<3"]]


# --- Charts -----------------------------------------------------------------------------------------


def test_history_page_inlines_svg_charts_without_scripts_or_external_assets(
    supervisors: dict[str, User],
    orgs: dict[str, Organisation],
    file_in: Callable[..., Consultation],
    verified_client: Callable[[User], Client],
) -> None:
    _with_first_responses(file_in, orgs["yokohama"], [60, 120, 180])
    response = verified_client(supervisors["kanagawa"]).get("/dashboard/history/?period=7")
    page = response.content.decode()
    uris = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert len(uris) == 4
    for uri in uris:
        svg = base64.b64decode(uri).decode("utf-8")
        assert svg.startswith("<svg") and "<script" not in svg.lower()
        assert not re.search(r"(?:href|src)=\"https?:", svg)
    policy = response["Content-Security-Policy"]
    assert "img-src 'self' data:" in policy


# --- /metrics ---------------------------------------------------------------------------------------


def test_metrics_refused_without_token_and_served_with_it(
    client: Client, settings: Any, orgs: dict[str, Organisation], file_in: Callable[..., Consultation]
) -> None:
    file_in(orgs["yokohama"])
    settings.METRICS_TOKEN = "fictional-metrics-token-0123456789"
    settings.METRICS_ALLOWED_NETWORKS = ["10.99.0.0/16"]
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    served = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}")
    assert served.status_code == 200
    body = served.content.decode()
    assert 'soudan_queue_waiting{priority="normal",queue="peer"} 1.0' in body
    assert "soudan_queue_oldest_wait_seconds" in body and "soudan_sla_breaches_open" in body
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_metrics_served_to_the_monitoring_network(client: Client, settings: Any, db: None) -> None:
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.10").status_code == 403


# --- Query counts -----------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        *PAGES,
        "/dashboard/consultations/?measure=all&period=30",
        "/dashboard/export/live.csv",
        "/dashboard/export/on-duty.csv",
        "/dashboard/export/responders.csv?period=30",
        "/dashboard/export/detail.csv?period=30",
    ],
)
def test_query_counts_are_bounded_and_do_not_grow_with_data(
    url: str,
    supervisors: dict[str, User],
    orgs: dict[str, Organisation],
    file_in: Callable[..., Consultation],
    make_user: Callable[..., User],
    verified_client: Callable[[User], Client],
    django_assert_max_num_queries: Any,
) -> None:
    client = verified_client(supervisors["national"])

    def add(n: int) -> None:
        for i in range(n):
            peer = make_user(Role.PEER)
            ResponderProfile.objects.create(user=peer, on_duty=True)
            consultation = file_in(orgs["yokohama" if i % 2 else "osaka"])
            Consultation.objects.filter(pk=consultation.pk).update(assignee=peer, status=Status.IN_PROGRESS)

    add(2)
    few = _queries(client, url)
    add(6)
    many = _queries(client, url)
    assert many == few
    with django_assert_max_num_queries(20):
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)


def test_live_view_without_database_ages_as_on_the_sqlite_pilot(
    supervisors: dict[str, User],
    orgs: dict[str, Organisation],
    file_in: Callable[..., Consultation],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    file_in(orgs["yokohama"], minutes_ago=20)
    monkeypatch.setattr(selectors, "percentiles_in_database", lambda using="default": False)
    [row] = selectors.live_health_for(actor=supervisors["kanagawa"]).rows
    assert row.waiting == 1 and row.oldest_wait_seconds is not None and row.oldest_wait_seconds >= 20 * 60
