"""The cast of the security suite: one consultation and everyone around it, with fast verified logins."""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organisation, Role, User
from helpdesk import defaults, workflow
from helpdesk.choices import Status
from helpdesk.models import Consultation, Queue, RoutingRule, Transfer
from helpdesk.services import CaseFacts, consultation_create
from peer.models import ResponderProfile
from tests.chat.conftest import room  # noqa: F401 - the chat suite's committed consultation with two members

# Columns of the access matrices. "colleague" works in the owner's organisation, "outsider" is a worker
# of another organisation, "own_org_peer" a peer of the owner's organisation (conflict of interest).
ROLES = (
    "owner",
    "colleague",
    "outsider",
    "peer",
    "peer2",
    "expert",
    "supervisor",
    "admin",
    "own_org_peer",
    "anonymous",
)
MISSING = 987654321
SOAK = bool(os.environ.get("SOAK"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SOAK:
        return
    skip = pytest.mark.skip(reason="soak test: SOAK=1 make soak")
    for item in items:
        if item.get_closest_marker("soak"):
            item.add_marker(skip)


@dataclass
class Cast:
    users: dict[str, User]
    consultation: Consultation
    transfer: Transfer | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def on_duty(user: User) -> User:
    ResponderProfile.objects.update_or_create(user=user, defaults={"on_duty": True, "capacity": 5})
    return user


def verify(client: Client, user: User) -> Client:
    """Log in as after password and TOTP (a confirmed device in the session), without the slow form."""
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="認証アプリ", defaults={"confirmed": True})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def client_for(cast: Cast, role: str, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    return client if role == "anonymous" else verify(client, cast.users[role])


def build_cast(make_user: Callable[..., User], make_org: Callable[..., Organisation]) -> Cast:
    if not Queue.objects.exists():  # a transactional test flushed the migration's default queues
        defaults.install(Queue, RoutingRule)
    home = make_org(name="テスト市ひきこもり地域支援センター")
    responders = make_org(name="テスト県精神保健福祉センター")
    users = {
        "owner": make_user(Role.WORKER, organisation=home, display_name="試験 太郎", pseudonym="みどり"),
        "colleague": make_user(Role.WORKER, organisation=home, display_name="試験 同僚"),
        "outsider": make_user(Role.WORKER, display_name="試験 他機関"),
        "peer": on_duty(make_user(Role.PEER, organisation=responders, display_name="試験 ピア")),
        "peer2": on_duty(make_user(Role.PEER, organisation=responders, display_name="試験 ピア二")),
        "expert": on_duty(make_user(Role.EXPERT, organisation=responders, display_name="試験 専門職")),
        "supervisor": on_duty(make_user(Role.SUPERVISOR, organisation=responders, display_name="試験 SV")),
        "admin": make_user(Role.ADMIN, organisation=responders, display_name="試験 管理者"),
        "own_org_peer": on_duty(make_user(Role.PEER, organisation=home, display_name="試験 同機関ピア")),
    }
    consultation = consultation_create(
        actor=users["owner"],
        facts=CaseFacts(category="burnout", question="夜勤明けに眠れません。", requested_responder="peer"),
    )
    assert consultation.queue is not None and consultation.queue.slug == "peer"
    return Cast(users=users, consultation=consultation)


@pytest.fixture
def cast(make_user: Callable[..., User], make_org: Callable[..., Organisation]) -> Cast:
    return build_cast(make_user, make_org)


# --- States a page or action needs ----------------------------------------------------------


def received(cast: Cast) -> None:
    pass


def claimed(cast: Cast) -> None:
    workflow.claim(actor=cast.users["peer"], consultation_id=cast.consultation.pk)


def resolved(cast: Cast) -> None:
    claimed(cast)
    workflow.status_set(
        actor=cast.users["peer"], consultation_id=cast.consultation.pk, status=Status.RESOLVED
    )


def transfer_pending(cast: Cast) -> None:
    claimed(cast)
    cast.transfer = workflow.transfer_request(
        actor=cast.users["peer"],
        consultation_id=cast.consultation.pk,
        reason="専門職へ引き継ぎます",
        to_queue=Queue.objects.get(slug="expert-general"),
    )


# --- Comparing pages ------------------------------------------------------------------------

_PER_REQUEST = [
    re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'),
    re.compile(r'data-csrf="[^"]*"'),
    re.compile(r'nonce="[^"]*"'),
]


def comparable(content: bytes, path: str = "") -> bytes:
    """A page without what differs on every request (CSRF tokens, CSP nonces, the echoed own path)."""
    text = content.decode("utf-8", errors="replace")
    if path:
        text = text.replace(path, "{path}")
    for pattern in _PER_REQUEST:
        text = pattern.sub("", text)
    return text.encode()


@pytest.fixture
def service_log() -> Iterator[io.StringIO]:
    """What the service's configured log handler (settings.LOGGING "console") writes, tracebacks included."""
    (handler,) = [h for h in logging.getLogger().handlers if h.name == "console"]
    assert isinstance(handler, logging.StreamHandler)
    written = io.StringIO()
    previous = handler.setStream(written)
    yield written
    handler.setStream(previous)


@pytest.fixture
def people(make_user: Callable[..., User]) -> dict[str, User]:
    """A worker, and a peer and an expert on duty (the retention and background-job suites)."""
    peer = make_user(Role.PEER, display_name="試験 ピア")
    ResponderProfile.objects.create(user=peer, on_duty=True, capacity=20)
    expert = make_user(Role.EXPERT)
    ResponderProfile.objects.create(user=expert, on_duty=True, capacity=20)
    return {"worker": make_user(Role.WORKER), "peer": peer, "expert": expert}
