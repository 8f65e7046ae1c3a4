from __future__ import annotations

import base64
import itertools
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pyotp
import pytest
import sentry_sdk
from django.test import Client
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from accounts.models import Organisation, OrganisationType, Role, User
from helpdesk.choices import Category
from helpdesk.models import Consultation
from helpdesk.services import CaseFacts, consultation_create

PASSWORD = "correct-horse-battery-42"
_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_org(db: None) -> Callable[..., Organisation]:
    def make(**fields: Any) -> Organisation:
        n = next(_counter)
        defaults: dict[str, Any] = {
            "slug": f"org-{n}",
            "name": f"テスト支援センター{n}",
            "org_type": OrganisationType.PREFECTURE_CENTRE,
            "prefecture": "14",
        }
        defaults.update(fields)
        return Organisation.objects.create(**defaults)

    return make


@pytest.fixture
def org(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(slug="test-centre")


@pytest.fixture
def make_user(db: None, make_org: Callable[..., Organisation]) -> Callable[..., User]:
    def make(role: str = Role.WORKER, **fields: Any) -> User:
        n = next(_counter)
        fields.setdefault("username", f"user{n}")
        fields.setdefault("organisation", make_org())
        password = fields.pop("password", PASSWORD)
        return User.objects.create_user(role=role, password=password, **fields)

    return make


def totp_for(user: User) -> pyotp.TOTP:
    """The authenticator app: a TOTP generator from the user's confirmed device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode())


@pytest.fixture
def enrolled(make_user: Callable[..., User]) -> Callable[..., User]:
    """A user with a confirmed TOTP device (as after enrolment)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def make(role: str = Role.WORKER, **fields: Any) -> User:
        user = make_user(role, **fields)
        TOTPDevice.objects.create(user=user, name="認証アプリ", confirmed=True)
        return user

    return make


@pytest.fixture
def verified_client(db: None) -> Callable[[User], Client]:
    """A new browser per person, logged in through the real login form with password and TOTP code."""

    def login(user: User) -> Client:
        client = Client()
        response = client.post(
            "/accounts/login/",
            {"username": user.username, "password": PASSWORD, "otp_token": totp_for(user).now()},
        )
        assert response.status_code == 302, response.content[:500]
        return client

    return login


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A throwaway Redis server on its own port that a test may stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is required for this test (apt-get install redis-server)")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def wait_for_port(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def file_consultation() -> Callable[..., Consultation]:
    def file(worker: User, **facts: Any) -> Consultation:
        values: dict[str, Any] = {
            "category": Category.BURNOUT,
            "question": "疲れが抜けません。",
            "summary": "",
        }
        values.update(facts)
        return consultation_create(actor=worker, facts=CaseFacts(**values))

    return file


class CapturingTransport(Transport):
    """Sentry transport that keeps every serialised envelope, for canary searches."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.envelopes: list[bytes] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope.serialize())


@pytest.fixture
def sentry_capture() -> Iterator[CapturingTransport]:
    """Sentry initialised as in production (scrubbed), sending into a CapturingTransport."""
    from config.sentry import init_sentry

    transport = CapturingTransport()
    init_sentry(dsn="https://public@sentry.invalid/1", environment="test", transport=transport)
    yield transport
    sentry_sdk.flush()
    sentry_sdk.init()


@pytest.fixture
def keep_signal_handlers() -> Iterator[None]:
    """The worker installs SIGTERM/SIGINT handlers; give pytest its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)
