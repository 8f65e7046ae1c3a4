from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from config.asgi import application
from helpdesk import defaults, workflow
from helpdesk.models import Consultation, Queue, RoutingRule
from helpdesk.services import CaseFacts, consultation_create
from peer.models import ResponderProfile


def session_cookie(user: User, verified: bool = True) -> str:
    """A real session for `user`, made by logging in; verified means a confirmed TOTP device was used."""
    client = Client()
    client.force_login(user)
    if verified:
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="認証アプリ", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return f"sessionid={client.cookies['sessionid'].value}"


def communicator(
    consultation_id: int, cookie: str | None, origin: str = "http://localhost"
) -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode())]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, f"/ws/consultations/{consultation_id}/", headers=headers)


@pytest.fixture
def room(transactional_db: None, make_user: Callable[..., User]) -> dict[str, Any]:
    """A consultation with its worker and a claiming peer, committed so the consumer's threads see it."""
    defaults.install(Queue, RoutingRule)
    worker = make_user(Role.WORKER, display_name="試験 相談者", pseudonym="あおば")
    peer = make_user(Role.PEER, display_name="試験 ピア")
    ResponderProfile.objects.create(user=peer, on_duty=True)
    consultation: Consultation = consultation_create(
        actor=worker, facts=CaseFacts(category="burnout", question="夜眠れません。")
    )
    workflow.claim(actor=peer, consultation_id=consultation.pk)
    return {"consultation": consultation, "worker": worker, "peer": peer}


async def receive_until(comm: WebsocketCommunicator, kind: str, timeout: float = 3) -> dict[str, Any]:
    while True:
        frame = await comm.receive_json_from(timeout=timeout)
        if frame.get("type") == kind:
            return frame
