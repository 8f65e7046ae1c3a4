"""The Sentry canary: nothing a request carries may reach an error report."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sentry_sdk
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from accounts.middleware import otp_exempt
from config.sentry import init_sentry, scrub_breadcrumb, scrub_event

logger = logging.getLogger(__name__)


class CanaryError(Exception):
    pass


@otp_exempt
def raising_view(request: HttpRequest) -> HttpResponse:
    case_note = request.POST["note"] + request.GET["q"] + request.headers["X-Case"] + request.COOKIES["case"]
    logger.error("about to fail for %s", case_note)
    raise CanaryError(f"could not handle {case_note}")


urlpatterns = [path("canary/", raising_view)]


class RaisingMiddleware:
    """Fails before URL routing, as a middleware does when the database is down."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raise CanaryError("middleware failed")


class CapturingTransport(Transport):
    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)


@pytest.fixture
def transport() -> Iterator[CapturingTransport]:
    capturing = CapturingTransport()
    init_sentry(dsn="https://public@sentry.invalid/1", environment="test", transport=capturing)
    yield capturing
    sentry_sdk.init()


def error_events(envelopes: list[Envelope]) -> list[dict[str, Any]]:
    return [
        item.payload.json
        for envelope in envelopes
        for item in envelope.items
        if item.type == "event" and item.payload.json is not None
    ]


@pytest.mark.urls(__name__)
def test_nothing_from_the_request_reaches_sentry(db: None, transport: CapturingTransport) -> None:
    # given
    canary = uuid.uuid4().hex
    client = Client(raise_request_exception=False)
    client.cookies["case"] = canary

    # when
    response = client.post(f"/canary/?q={canary}", {"note": canary}, headers={"X-Case": canary})
    sentry_sdk.flush()

    # then
    assert response.status_code == 500
    events = error_events(transport.envelopes)
    assert events, "no error event was captured: the canary proves nothing"
    exceptions = [value for event in events for value in event.get("exception", {}).get("values", [])]
    assert "CanaryError" in [value["type"] for value in exceptions]
    functions = [
        frame.get("function")
        for value in exceptions
        for frame in value.get("stacktrace", {}).get("frames", [])
    ]
    assert "raising_view" in functions
    for envelope in transport.envelopes:
        serialised = envelope.serialize()
        assert canary.encode() not in serialised, serialised.decode(errors="replace")


def test_a_logged_error_does_not_become_an_event(transport: CapturingTransport) -> None:
    # given
    canary = uuid.uuid4().hex

    # when
    logger.error("consultation %s could not be saved", canary)
    sentry_sdk.flush()

    # then
    assert error_events(transport.envelopes) == []


@pytest.mark.urls(__name__)
def test_the_concrete_path_of_an_unrouted_request_does_not_reach_sentry(
    db: None, settings: Any, transport: CapturingTransport
) -> None:
    # given: a request whose path matches no URL pattern fails in a middleware
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.RaisingMiddleware"]
    canary = uuid.uuid4().hex
    client = Client(raise_request_exception=False)

    # when
    response = client.get(f"/{canary}/")
    sentry_sdk.flush()

    # then
    assert response.status_code == 500
    assert [value["type"] for value in error_events(transport.envelopes)[0]["exception"]["values"]] == [
        "CanaryError"
    ]
    for envelope in transport.envelopes:
        assert canary.encode() not in envelope.serialize()


@pytest.mark.parametrize(
    "crumb",
    [
        {"type": "log", "category": "accounts.views", "level": "error", "message": "相談内容"},
        {"type": "default", "category": "query", "message": "SELECT body FROM consultation", "data": {}},
        {"category": "django.db.backends", "message": "SELECT 1"},
        {"category": "sql", "message": "UPDATE peer_reply SET body = '相談内容'"},
        {"category": "httplib", "data": {"url": "https://example.invalid/?q=相談内容"}},
        {"category": "redis", "message": "PUBLISH room 相談内容"},
    ],
    ids=["log", "query", "django.db", "sql", "httplib", "redis"],
)
def test_scrub_breadcrumb_drops_logs_sql_and_outgoing_calls(crumb: dict[str, Any]) -> None:
    # when
    scrubbed = scrub_breadcrumb(crumb, {})

    # then
    assert scrubbed is None


def test_scrub_breadcrumb_keeps_only_the_shape_of_other_breadcrumbs() -> None:
    # given
    crumb = {
        "type": "navigation",
        "category": "navigation",
        "level": "info",
        "timestamp": "2025-04-01T00:00:00Z",
        "message": "/consultations/相談内容/",
        "data": {"from": "/a", "to": "/b"},
    }

    # when
    scrubbed = scrub_breadcrumb(crumb, {})

    # then
    assert scrubbed == {
        "type": "navigation",
        "category": "navigation",
        "level": "info",
        "timestamp": "2025-04-01T00:00:00Z",
    }


SECRET = "山田花子さんの相談内容"


def handcrafted_event() -> dict[str, Any]:
    return {
        "event_id": "0123456789abcdef0123456789abcdef",
        "level": "error",
        "platform": "python",
        "environment": "test",
        "message": SECRET,
        "logentry": {"message": "failed for %s", "params": [SECRET]},
        "request": {
            "url": f"https://soudan.example.jp/c/?q={SECRET}",
            "query_string": f"q={SECRET}",
            "data": {"body": SECRET},
            "cookies": {"sessionid": SECRET},
            "headers": {"X-Case": SECRET},
        },
        "user": {"id": "7", "username": SECRET, "ip_address": "192.0.2.1"},
        "extra": {"note": SECRET},
        "contexts": {"case": {"body": SECRET}},
        "tags": {"case": SECRET},
        "breadcrumbs": {"values": [{"type": "log", "message": SECRET}]},
        "exception": {
            "values": [
                {
                    "type": "CanaryError",
                    "module": "tests.test_sentry",
                    "value": f"could not handle {SECRET}",
                    "mechanism": {"type": "django", "handled": False, "data": {"note": SECRET}},
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "raising_view",
                                "module": "tests.test_sentry",
                                "filename": "tests/test_sentry.py",
                                "lineno": 31,
                                "in_app": True,
                                "vars": {"case_note": SECRET},
                                "context_line": f"    raise CanaryError({SECRET!r})",
                                "pre_context": [SECRET],
                                "post_context": [SECRET],
                            }
                        ]
                    },
                }
            ]
        },
    }


def test_scrub_event_keeps_only_the_exception_type_and_frame_locations() -> None:
    # given
    event = handcrafted_event()

    # when
    scrubbed = scrub_event(event, {})

    # then
    assert scrubbed is not None
    assert SECRET not in repr(scrubbed)
    for key in ("message", "logentry", "request", "user", "extra", "contexts", "tags", "breadcrumbs"):
        assert key not in scrubbed
    (exception,) = scrubbed["exception"]["values"]
    assert exception["type"] == "CanaryError"
    assert "value" not in exception
    assert exception["mechanism"] == {"type": "django", "handled": False}
    (frame,) = exception["stacktrace"]["frames"]
    assert frame["function"] == "raising_view"
    assert frame["lineno"] == 31
    assert frame["filename"] == "tests/test_sentry.py"
    assert set(frame) == {"function", "module", "filename", "lineno", "in_app"}
    assert (scrubbed["event_id"], scrubbed["level"], scrubbed["environment"]) == (
        "0123456789abcdef0123456789abcdef",
        "error",
        "test",
    )


def test_scrub_event_replaces_a_captured_log_message() -> None:
    # given
    event = {"level": "error", "logger": "accounts", "logentry": {"message": "for %s", "params": [SECRET]}}

    # when
    scrubbed = scrub_event(event, {})

    # then
    assert scrubbed == {"level": "error", "logger": "accounts", "message": "log event (text removed)"}


@pytest.mark.parametrize(
    ("source", "kept"),
    [
        ("route", True),
        ("component", True),
        ("custom", False),
        pytest.param(
            "url",
            False,
        ),
    ],
    ids=["route pattern", "view name", "custom name", "concrete path"],
)
def test_scrub_event_keeps_a_transaction_only_when_it_is_a_route_pattern(source: str, kept: bool) -> None:
    # given
    event = {"transaction": "/consultations/1234/", "transaction_info": {"source": source}}

    # when
    scrubbed = scrub_event(event, {})

    # then
    assert scrubbed is not None
    assert ("transaction" in scrubbed) is kept
