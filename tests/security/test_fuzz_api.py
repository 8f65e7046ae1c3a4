"""The JSON API fuzzed against its own OpenAPI schema with schemathesis (over WSGI, in this process).

Every operation of /api/v1/schema/ gets hypothesis-generated requests from schemathesis, sent with the
personal access token of a worker, a peer holding a consultation, and a supervisor. No answer may be a
5xx, every 4xx must be JSON with a `code` and a `detail`, and no error may echo a submitted string.
(schemathesis' own pytest plugin does not run under pytest 9, so the strategies are driven directly.)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import tokens
from accounts.models import Organisation, User
from config.wsgi import application
from helpdesk.api import MAX_OFFSET
from tests.security.conftest import build_cast, claimed

schemathesis = pytest.importorskip("schemathesis", reason="pip install schemathesis (docs/security.md)")

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "10"))
ROLES = ("owner", "peer", "supervisor")


def _operation_labels() -> list[str]:
    from config.api import api

    loaded = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
    return [result.ok().label for result in loaded.get_all_operations()]


OPERATIONS = _operation_labels()


@pytest.fixture
def callers(db: None, make_user: Callable[..., User], make_org: Callable[..., Organisation]) -> Iterator[Any]:
    # The WSGI handler closes "old" connections around each request; inside the test's transaction that
    # would close it. Django's test client disconnects the same receivers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    cast = build_cast(make_user, make_org)
    claimed(cast)
    headers = {}
    for role in ROLES:
        _token, raw = tokens.token_create(actor=cast.users[role], name="fuzz", session_verified=True)
        headers[role] = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application, headers=headers["owner"])
    yield schema, headers, cast.consultation.pk
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


FREE_TEXT = {"text", "question", "summary", "body", "reason", "name", "not_personal"}


def _free_text(value: Any, key: str = "") -> list[str]:
    """Strings a person typed (not codes, which an error may legitimately name)."""
    if isinstance(value, str):
        return [value] if key in FREE_TEXT else []
    if isinstance(value, dict):
        return [s for k, item in value.items() for s in _free_text(item, str(k))]
    if isinstance(value, list):
        return [s for item in value for s in _free_text(item, key)]
    return []


def check(case: Any, response: Any) -> None:
    where = f"{case.method} {case.formatted_path} body={str(case.body)[:200]}"
    assert response.status_code < 500, (where, response.text[:300])
    if response.status_code >= 400:
        assert response.headers.get("content-type", [""])[0].startswith("application/json"), where
        body = response.json()
        assert isinstance(body.get("code"), str) and body["code"], (where, body)
        assert isinstance(body.get("detail"), str), (where, body)
        # submitted values are never echoed back in an error (docs/api.md); the code is a fixed word
        # (hypothesis also tries the service's own constants as input, e.g. a reason "target_required")
        said = json.dumps({key: item for key, item in body.items() if key != "code"}, ensure_ascii=False)
        for value in _free_text(case.body):
            if len(value.strip()) >= 8 and value != body["code"]:
                assert value not in said, (where, value, said[:300])


def test_the_schema_lists_the_operations_this_suite_fuzzes() -> None:
    assert len(OPERATIONS) >= 18 and "POST /api/v1/consultations/" in OPERATIONS


@pytest.mark.parametrize("label", OPERATIONS)
def test_generated_requests_never_get_a_server_error(callers: Any, label: str) -> None:
    schema, headers, consultation_id = callers
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label
    modes = schemathesis.GenerationMode
    strategies = [operation.as_strategy(modes.POSITIVE), operation.as_strategy(modes.NEGATIVE)]
    if "{consultation_id}" in operation.path:  # also aim at the real consultation, not only at random ids
        strategies.append(
            operation.as_strategy(modes.POSITIVE, path_parameters={"consultation_id": consultation_id})
        )

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(strategies))
    def run(case: Any) -> None:
        for role in ROLES:
            with transaction.atomic():  # each request starts from the same world, whatever the last did
                response = case.call(headers=headers[role])
                transaction.set_rollback(True)
            check(case, response)

    run()


@pytest.mark.parametrize("path", ["/api/v1/consultations/", "/api/v1/queue/"])
def test_an_offset_beyond_the_database_range_is_refused_not_a_server_error(callers: Any, path: str) -> None:
    _schema, headers, _consultation = callers
    role = "owner" if "consultations" in path else "peer"
    client = Client(headers=headers[role], raise_request_exception=False)
    # the furthest page allowed is an empty page; one further, and far beyond bigint, are refused
    furthest = client.get(path, {"offset": str(MAX_OFFSET)})
    assert furthest.status_code == 200 and furthest.json()["items"] == [], furthest.content[:200]
    for offset in (MAX_OFFSET + 1, 2**63, 10**40):
        response = client.get(path, {"offset": str(offset)})
        assert response.status_code == 422, response.content[:200]
        assert response.json()["code"] == "invalid"


@pytest.mark.parametrize("action", ["transfer", "escalate"])
@pytest.mark.parametrize("slug", ["\x00", "expert-general\x00", "専門", "a b"])
def test_a_queue_slug_that_cannot_exist_is_refused_not_a_server_error(
    callers: Any, action: str, slug: str
) -> None:
    """Found by `make soak`: a NUL in `to_queue` reached PostgreSQL, which refused it (DataError, 500)."""
    _schema, headers, consultation_id = callers
    client = Client(headers=headers["peer"], raise_request_exception=False)
    response = client.post(
        f"/api/v1/consultations/{consultation_id}/{action}/",
        {"to_queue": slug, "reason": "専門職の助言がほしい"},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content[:200]
    assert response.json()["code"] == "invalid"
