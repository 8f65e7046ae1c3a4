"""Done-when, live part: a supervisor's open dashboard hears the doorbell when a consultation is filed
and the re-read numbers show it waiting; as its target runs out, the light turns amber, then red.

Over the real ASGI application and the existing /ws/notifications/ consumer that dashboard.js opens,
with an in-process channel layer so other runs sharing Redis cannot ring this socket.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from accounts.models import Organisation, OrganisationType, Role, User
from config.asgi import application
from helpdesk import defaults
from helpdesk.models import Consultation, Queue, RoutingRule, SLATimer, TimerKind
from helpdesk.services import CaseFacts, consultation_create
from helpdesk.sla import sla_tick

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.helpdesk.dashboard_urls")]


@pytest.fixture(autouse=True)
def memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def setting(
    transactional_db: None,
    enrolled: Callable[..., User],
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    verified_client: Callable[[User], Client],
) -> dict[str, Any]:
    defaults.install(Queue, RoutingRule)  # a transactional test starts from empty tables
    supervisor = enrolled(Role.SUPERVISOR, organisation=make_org(prefecture="14"))
    worker = make_user(
        Role.WORKER, organisation=make_org(org_type=OrganisationType.MUNICIPAL, prefecture="14")
    )
    client = verified_client(supervisor)
    return {
        "client": client,
        "cookie": f"sessionid={client.cookies['sessionid'].value}",
        "worker": worker,
    }


def _levels(client: Client) -> tuple[int, str]:
    data = client.get("/dashboard/live.json").json()
    return data["waiting"], data["level"]


async def test_a_filed_consultation_rings_the_bell_and_turns_amber_then_red(setting: dict[str, Any]) -> None:
    socket = WebsocketCommunicator(
        application,
        "/ws/notifications/",
        headers=[(b"origin", b"http://localhost"), (b"cookie", setting["cookie"].encode())],
    )
    connected, _ = await socket.connect()
    assert connected
    read = database_sync_to_async(_levels)
    assert await read(setting["client"]) == (0, "green")

    consultation: Consultation = await database_sync_to_async(consultation_create)(
        actor=setting["worker"], facts=CaseFacts(category="burnout", question="架空の相談です。")
    )
    bell = await socket.receive_json_from(timeout=3)
    assert bell["type"] == "queue" and bell["consultation"] == consultation.pk
    assert "question" not in bell and "summary" not in bell
    assert await read(setting["client"]) == (1, "green")

    timer = await database_sync_to_async(SLATimer.objects.get)(
        consultation=consultation, kind=TimerKind.FIRST_RESPONSE
    )
    await database_sync_to_async(sla_tick)(now=timer.warn_at)
    assert (await socket.receive_json_from(timeout=3))["level"] == "warning"
    assert await read(setting["client"]) == (1, "amber")

    later = timer.due_at + (timer.due_at - timer.started_at)
    await database_sync_to_async(sla_tick)(now=max(later, timezone.now()))
    # The automatic escalation's status notice, then the breach (in commit order).
    frames = [await socket.receive_json_from(timeout=3) for _ in range(2)]
    kinds = {(frame["type"], frame.get("level") or frame.get("change")) for frame in frames}
    assert ("sla", "breach") in kinds
    waiting, level = await read(setting["client"])
    assert (waiting, level) == (1, "red")
    await socket.disconnect()
