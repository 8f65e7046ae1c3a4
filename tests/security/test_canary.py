"""A canary in every free-text field never reaches a log line, a Sentry payload, the access log or a title.

Fields: summary, question, chat body, private note, transfer / escalation reason, status reason, display
name, pseudonym; then feedback, reflection, debrief note, follow-up answer, triage reason, circle name and
message, training course. Two vantage points: this process (every log record at DEBUG, a capturing Sentry
transport, failures forced in the middle of the requests that carry the canary), and a real daphne with
`--access-log`, whose access log and own output are read afterwards.

(The raw summary before de-identification: tests/helpdesk/test_privacy_canary.py.)
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import sentry_sdk
from django.db import OperationalError
from django.test import Client
from websockets.sync.client import connect
from websockets.typing import Origin

from accounts import tokens
from accounts.models import User
from helpdesk.models import Queue
from tests.conftest import CapturingTransport, RedisServer, free_port
from tests.helpdesk.conftest import FORM
from tests.security.conftest import Cast, claimed, verify
from tests.security.servers import ROOT, Daphne


def kanaria(field: str) -> str:
    # Letters and hex digits: nothing the de-identifier replaces, so it is stored as typed.
    return f"kanaria{field}{uuid.uuid4().hex[:12]}"


FIELDS = ("summary", "question", "body", "note", "reason", "status", "display", "pseudonym")


def messages_of(records: list[logging.LogRecord]) -> str:
    """Every record's message and arguments, as any other handler or formatter would receive them."""
    return "\n".join(f"{record.getMessage()} {record.args!r}" for record in records)


def assert_logged_failure_without(
    canary: dict[str, str],
    service_log: io.StringIO,
    caplog: pytest.LogCaptureFixture,
    sentry_capture: CapturingTransport,
) -> None:
    """The forced database failure was logged and sent (so the search means something), and no canary
    is in what the service's handler wrote, in any record's message or arguments, or in a Sentry payload."""
    assert any(b"OperationalError" in e for e in sentry_capture.envelopes)
    written = service_log.getvalue()
    assert "OperationalError" in written
    logged = written + messages_of(caplog.records)
    for field, value in canary.items():
        assert value not in logged, field
        for envelope in sentry_capture.envelopes:
            assert value.encode() not in envelope, field


def admin_form(user: User, **changes: str) -> dict[str, Any]:
    form = {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "organisation": user.organisation_id,
        "email": user.email,
        "professions": "[]",
        "specialties": "[]",
        "pseudonym": user.pseudonym,
        "is_active": "on",
    }
    return {**form, **changes}


# --- In this process: logs and Sentry, with failures forced mid-request ----------------------


def test_no_canary_reaches_a_log_record_or_sentry(
    cast: Cast,
    caplog: pytest.LogCaptureFixture,
    service_log: io.StringIO,
    sentry_capture: CapturingTransport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    canary = {field: kanaria(field) for field in FIELDS}
    owner, peer = cast.users["owner"], cast.users["peer"]
    worker, responder, admin = (verify(Client(), cast.users[r]) for r in ("owner", "peer", "admin"))
    _token, raw = tokens.token_create(actor=peer, name="canary", session_verified=True)
    api = Client(headers={"Authorization": f"Bearer {raw}"})

    # given every field planted through the pages, the admin, the API and the chat service
    filed = worker.post(
        "/consultations/new/",
        {
            **FORM,
            "summary": f"本人は{canary['summary']}と話した。",
            "question": canary["question"],
            "action": "submit",
        },
    )
    assert filed.status_code == 302
    claimed(cast)
    c = cast.consultation.pk
    assert (
        admin.post(
            f"/admin/accounts/user/{owner.pk}/change/",
            admin_form(owner, display_name=canary["display"], pseudonym=canary["pseudonym"]),
        ).status_code
        == 302
    )
    assert responder.post(f"/consultations/{c}/note/", {"body": canary["note"]}).status_code == 302
    assert (
        responder.post(
            f"/consultations/{c}/status/", {"status": "waiting", "reason": canary["status"]}
        ).status_code
        == 302
    )
    assert (
        responder.post(
            f"/consultations/{c}/escalate/", {"queue": "expert-general", "reason": canary["reason"]}
        ).status_code
        == 302
    )
    from chat import services as chat

    chat.message_send(actor=owner, consultation_id=c, client_id=uuid.uuid4(), body=canary["body"])
    for page in (f"/consultations/{c}/", "/consultations/queue/"):
        assert responder.get(page).status_code == 200
    assert api.get(f"/api/v1/consultations/{c}/").status_code == 200
    refused = api.post(
        f"/api/v1/consultations/{c}/status/", {"status": canary["status"]}, content_type="application/json"
    )
    assert refused.status_code == 422 and canary["status"] not in refused.content.decode()

    # and when the database fails in the middle of requests that carry the canaries
    def database_down(**kwargs: Any) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("helpdesk.workflow.note_add", database_down)
    failing_page, failing_api = Client(raise_request_exception=False), api
    failing_page.cookies = responder.cookies
    assert failing_page.post(f"/consultations/{c}/note/", {"body": canary["note"]}).status_code == 500
    crashed = failing_api.post(
        f"/api/v1/consultations/{c}/notes/", {"body": canary["note"]}, content_type="application/json"
    )
    assert crashed.status_code == 500 and crashed.json()["code"] == "server_error"
    sentry_sdk.flush()

    # then no canary is in the log the service writes, in any record's message, or in a Sentry payload
    assert_logged_failure_without(canary, service_log, caplog, sentry_capture)


CARE_FIELDS = ("feedback", "reflection", "debrief", "followup", "triage", "circle", "circle_body", "course")


def test_no_canary_from_after_care_triage_circles_or_training_reaches_a_log_record_or_sentry(
    cast: Cast,
    caplog: pytest.LogCaptureFixture,
    service_log: io.StringIO,
    sentry_capture: CapturingTransport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The other free-text fields: after-care texts, a triage reason, circle names and messages, a course.

    Written through their pages where there is one, with a failure forced mid-request.
    """
    from chat import circles as circle_chat
    from helpdesk import care
    from helpdesk.models import DebriefRequest, FollowUp
    from helpdesk.services import CaseFacts, consultation_create
    from peer import circles
    from peer import services as peer_services

    caplog.set_level(logging.DEBUG)
    canary = {field: kanaria(field) for field in CARE_FIELDS}
    peer, supervisor = cast.users["peer"], cast.users["supervisor"]
    worker, responder, lead = (verify(Client(), cast.users[r]) for r in ("owner", "peer", "supervisor"))
    claimed(cast)
    c = cast.consultation.pk

    # given every field planted: the triage reason by a supervisor's page (on an urgent-lane case)
    said = "本人が「もう消えたい」と話している。"
    urgent = consultation_create(
        actor=cast.users["owner"], facts=CaseFacts(category="burnout", question="関わり方", summary=said)
    )
    correction = {"level": "high", "reason": canary["triage"]}
    corrected = lead.post(f"/consultations/{urgent.pk}/triage/", correction)
    assert corrected.status_code == 302
    # after care once resolved, a circle, a training course
    workflow_done = responder.post(f"/consultations/{c}/status/", {"status": "resolved", "reason": ""})
    assert workflow_done.status_code == 302
    assert (
        worker.post(f"/care/{c}/feedback/", {"helpfulness": "4", "comment": canary["feedback"]}).status_code
        == 302
    )
    FollowUp.objects.create(consultation=cast.consultation, outcome="better", answer=canary["followup"])
    DebriefRequest.objects.create(consultation=cast.consultation, requested_by=peer, note=canary["debrief"])
    circle = circles.circle_create(actor=supervisor, name=canary["circle"], moderator=supervisor)
    circles.circle_member_add(actor=supervisor, circle_id=circle.pk, user=peer)
    circle_chat.circle_message_send(
        actor=peer, circle_id=circle.pk, client_id=uuid.uuid4(), body=canary["circle_body"]
    )
    peer_services.training_record(
        actor=supervisor,
        responder=peer,
        level="intermediate",
        completed_on=cast.consultation.created_at.date(),
        course=canary["course"],
    )
    for client, page in (
        (lead, "/care/debriefs/"),
        (lead, f"/chat/circles/{circle.pk}/"),
        (responder, f"/chat/circles/{circle.pk}/"),
        (lead, f"/peer/training/{peer.pk}/"),
        (worker, f"/consultations/{c}/"),
    ):
        assert client.get(page).status_code == 200, page

    # and when the database fails in the middle of the request that carries the reflection
    def database_down(**kwargs: Any) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(care, "reflection_write", database_down)
    failing = Client(raise_request_exception=False)
    failing.cookies = responder.cookies
    crashed = failing.post(f"/care/{c}/reflection/", {"body": canary["reflection"]})
    assert crashed.status_code == 500
    sentry_sdk.flush()

    # then no canary is in the log the service writes, in any record's message, or in a Sentry payload
    assert_logged_failure_without(canary, service_log, caplog, sentry_capture)


def test_a_database_error_quoting_a_value_does_not_write_it_to_the_log(
    cast: Cast, caplog: pytest.LogCaptureFixture, service_log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given two administrators giving two accounts the same pseudonym at the same moment: both forms
    # pass the uniqueness check before either is saved, so the database refuses the second one
    caplog.set_level(logging.DEBUG)
    pseudonym = kanaria("pseudonym")
    first, second = cast.users["owner"], cast.users["colleague"]
    User.objects.filter(pk=first.pk).update(pseudonym=pseudonym)
    monkeypatch.setattr(User, "validate_constraints", lambda self, exclude=None: None)
    admin = verify(Client(raise_request_exception=False), cast.users["admin"])
    # when the second save reaches the database
    response = admin.post(
        f"/admin/accounts/user/{second.pk}/change/", admin_form(second, pseudonym=pseudonym)
    )
    # then the failure is logged (type and frames) without the value PostgreSQL quoted
    assert response.status_code == 500
    written = service_log.getvalue()
    assert "IntegrityError" in written and "Traceback" in written
    assert pseudonym not in written + messages_of(caplog.records)


def test_the_consultation_page_title_holds_no_case_text(cast: Cast) -> None:
    """The <title> is kept in browser history, tab lists and screen shares.

    (Found by this suite: the block was not closed and held the notes; fixed in 4c3e5ae.)
    """
    claimed(cast)
    note, reason = kanaria("note"), kanaria("reason")
    from helpdesk import workflow

    workflow.note_add(actor=cast.users["peer"], consultation_id=cast.consultation.pk, body=note)
    workflow.status_set(
        actor=cast.users["peer"], consultation_id=cast.consultation.pk, status="waiting", reason=reason
    )
    html = (
        verify(Client(), cast.users["peer"]).get(f"/consultations/{cast.consultation.pk}/").content.decode()
    )
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title is not None
    assert note in html and reason in html  # on the page, for the responder
    assert note not in title.group(1) and reason not in title.group(1)
    assert len(re.findall(r'id="chat"', html)) == 1


# --- A real daphne: its access log and its own output ----------------------------------------


class Browser:
    """A cookie-keeping HTTP client for the subprocess (the test client cannot reach another process)."""

    def __init__(
        self, port: int, cookies: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ):
        self.port = port
        self.cookies = dict(cookies or {})
        self.headers = dict(headers or {})

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {**self.headers, "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if content_type:
            headers["Content-Type"] = content_type
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        text = response.read().decode("utf-8", errors="replace")
        connection.close()
        return response.status, text

    def form(self, path: str, data: dict[str, Any], page: str = "/") -> int:
        _, html = self.request("GET", page)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token is not None, html[:300]
        fields = {**data, "csrfmiddlewaretoken": token.group(1)}
        status, _ = self.request(
            "POST", path, urlencode(fields, doseq=True).encode(), "application/x-www-form-urlencoded"
        )
        return status

    def json(self, method: str, path: str, payload: dict[str, Any]) -> tuple[int, str]:
        return self.request(method, path, json.dumps(payload).encode(), "application/json")


def session_of(user: User) -> dict[str, str]:
    client = verify(Client(), user)
    return {"sessionid": client.cookies["sessionid"].value}


@pytest.fixture
def logged_server(private_redis: RedisServer, tmp_path: Path) -> Iterator[tuple[Daphne, Path, Path]]:
    access, output = tmp_path / "access.log", tmp_path / "server.log"
    server = Daphne(redis_url=private_redis.url, access_log=access, output=output)
    yield server, access, output
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_no_canary_reaches_the_access_log_or_the_server_output(
    cast: Cast, logged_server: tuple[Daphne, Path, Path]
) -> None:
    server, access_log, server_output = logged_server
    canary = {field: kanaria(field) for field in FIELDS}
    claimed(cast)
    c = cast.consultation.pk
    owner, peer = cast.users["owner"], cast.users["peer"]
    worker, responder, admin = (
        Browser(server.port, session_of(cast.users[r])) for r in ("owner", "peer", "admin")
    )
    _token, raw = tokens.token_create(actor=peer, name="canary", session_verified=True)
    api = Browser(server.port, headers={"Authorization": f"Bearer {raw}"})

    # given every field planted through the real server: pages, admin, API and the chat socket
    assert (
        worker.form(
            "/consultations/new/",
            {
                **FORM,
                "summary": f"本人は{canary['summary']}と話した。",
                "question": canary["question"],
                "action": "submit",
            },
            page="/consultations/new/",
        )
        == 302
    )
    assert (
        admin.form(
            f"/admin/accounts/user/{owner.pk}/change/",
            admin_form(owner, display_name=canary["display"], pseudonym=canary["pseudonym"]),
            page=f"/admin/accounts/user/{owner.pk}/change/",
        )
        == 302
    )
    assert responder.form(f"/consultations/{c}/note/", {"body": canary["note"]}) == 302
    assert (
        responder.form(f"/consultations/{c}/status/", {"status": "waiting", "reason": canary["status"]})
        == 302
    )
    assert (
        responder.form(
            f"/consultations/{c}/escalate/",
            {"queue": Queue.objects.get(slug="expert-general").slug, "reason": canary["reason"]},
        )
        == 302
    )
    for page in (f"/consultations/{c}/", "/consultations/queue/", "/"):
        assert responder.request("GET", page)[0] == 200
    assert api.json("POST", f"/api/v1/consultations/{c}/notes/", {"body": canary["note"]})[0] == 201
    status, body = api.json("POST", f"/api/v1/consultations/{c}/status/", {"status": canary["status"]})
    assert status == 422 and canary["status"] not in body
    with connect(
        f"{server.ws}/ws/consultations/{c}/",
        additional_headers={"Cookie": f"sessionid={session_of(owner)['sessionid']}"},
        origin=Origin("http://127.0.0.1"),
        open_timeout=10,
    ) as socket:
        socket.send(json.dumps({"type": "resume", "after_seq": 0}))
        socket.send(json.dumps({"type": "send", "client_id": str(uuid.uuid4()), "body": canary["body"]}))
        # and a send the server cannot store (a lone surrogate): the failure path logs too
        socket.send(
            json.dumps({"type": "send", "client_id": str(uuid.uuid4()), "body": f"{canary['body']}\ud800"})
        )
        replies: list[dict[str, Any]] = []
        while len([r for r in replies if r["type"] in ("ack", "error")]) < 2:
            replies.append(json.loads(socket.recv(timeout=10)))
    server.stop()

    # then the access log has the requests, and no canary; nor has the server's own output
    access = access_log.read_text(encoding="utf-8", errors="replace")
    output = server_output.read_text(encoding="utf-8", errors="replace")
    assert '"POST /consultations/new/"' in access and "WSCONNECT /ws/consultations/" in access
    assert f'"POST /api/v1/consultations/{c}/notes/"' in access
    for field, value in canary.items():
        assert value not in access, field
        assert value not in output, field


def deployed_daphne_args(port: int) -> list[str]:
    """The web container's command from the Dockerfile, on a loopback port."""
    line = [row for row in (ROOT / "Dockerfile").read_text().splitlines() if row.startswith("CMD [")][-1]
    command: list[str] = json.loads(line[len("CMD ") :])
    assert command[0] == "daphne", command
    args = command[1:]
    for flag, value in (("-b", "127.0.0.1"), ("-p", str(port))):
        args[args.index(flag) + 1] = value
    return args


@pytest.mark.django_db(transaction=True)
def test_searching_a_name_in_the_admin_keeps_it_out_of_the_access_log(
    cast: Cast, private_redis: RedisServer, tmp_path: Path
) -> None:
    # given the web process started with the deployed command line, its output collected
    output = tmp_path / "web.log"
    port = free_port()
    server = Daphne(redis_url=private_redis.url, output=output, args=deployed_daphne_args(port), port=port)
    name = kanaria("display")
    User.objects.filter(pk=cast.users["owner"].pk).update(display_name=name)
    admin = Browser(server.port, session_of(cast.users["admin"]))
    # when an administrator searches for a person by name
    status, page = admin.request("GET", "/admin/accounts/user/?" + urlencode({"q": name}))
    server.stop()
    # then the search worked, and the name is nowhere in what the web process wrote
    assert status == 200 and cast.users["owner"].username in page
    assert name not in output.read_text(encoding="utf-8", errors="replace")
