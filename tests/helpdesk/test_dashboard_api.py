"""GET /api/v1/metrics: the dashboard's numbers for supervisors only."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import Role, User


def test_supervisors_get_the_dashboard_numbers_and_others_do_not(
    verified_client: Callable[[User], Client],
    enrolled: Callable[..., User],
    make_user: Callable[..., User],
    file_consultation: Callable[..., object],
) -> None:
    supervisor = enrolled(Role.SUPERVISOR)
    file_consultation(make_user(Role.WORKER, organisation=supervisor.organisation))
    client = verified_client(supervisor)
    response = client.get("/api/v1/metrics", {"period": "7"})
    assert response.status_code == 200
    assert {"scope", "filters", "live", "history"} <= set(response.json())
    bad = client.get("/api/v1/metrics", {"period": "forever"})
    assert bad.status_code in (400, 422) and "code" in bad.json()
    worker = verified_client(enrolled(Role.WORKER)).get("/api/v1/metrics")
    assert worker.status_code == 403 and worker.json()["code"] == "forbidden"
