"""Management commands: createaccount, seed_demo and background_worker."""

from __future__ import annotations

import io
import itertools
import re
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, RequestFactory
from django.utils import timezone

import accounts.demo
from accounts.models import AuditAction, AuditEvent, Organisation, Role, User
from tests.conftest import PASSWORD

INVITATION = re.compile(r"^Invitation link \(valid 7 days\): (?P<link>\S+)$", re.MULTILINE)


def login_works(username: str, password: str) -> bool:
    request = RequestFactory().post("/accounts/login/")
    user = authenticate(request, username=username, password=password)
    return isinstance(user, User) and user.username == username


class Terminal:
    """sys.stdin when the command is run interactively: nothing is piped."""

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        raise AssertionError("the password must not be read from a terminal")


@pytest.fixture
def piped(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def pipe(text: str) -> None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(text))

    return pipe


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal())


def createaccount(*args: str) -> str:
    stdout = io.StringIO()
    call_command("createaccount", *args, stdout=stdout, stderr=io.StringIO())
    return stdout.getvalue()


# --- createaccount ---------------------------------------------------------------------------


def test_createaccount_with_piped_password_creates_a_usable_login(
    org: Organisation, piped: Callable[[str], None]
) -> None:
    # given
    piped(PASSWORD + "\n")

    # when
    output = createaccount(
        "kobayashi.mio",
        "--role=expert",
        f"--org={org.slug}",
        "--display-name=小林 美緒",
        "--profession=psw",
        "--specialty=suicide_prevention",
        "--specialty=mental_health",
    )

    # then
    assert output.splitlines() == ["Account kobayashi.mio created (expert)."]
    user = User.objects.get(username="kobayashi.mio")
    assert (user.role, user.organisation, user.display_name) == (Role.EXPERT, org, "小林 美緒")
    assert (user.professions, user.specialties) == (["psw"], ["mental_health", "suicide_prevention"])
    assert login_works("kobayashi.mio", PASSWORD)
    assert not login_works("kobayashi.mio", PASSWORD + "x")
    created = AuditEvent.objects.get(action=AuditAction.ACCOUNT_CREATED)
    assert created.object_id == str(user.pk)
    assert not AuditEvent.objects.filter(action=AuditAction.INVITATION_ISSUED).exists()


def test_createaccount_from_a_terminal_prints_an_invitation_that_sets_the_password(
    org: Organisation, terminal: None, client: Client
) -> None:
    # given
    output = createaccount("nakamura.sora", "--role=worker", f"--org={org.slug}")
    assert output.startswith("Account nakamura.sora created (worker).\n")
    match = INVITATION.search(output)
    assert match is not None, output
    link = match["link"]
    assert link.startswith(settings.SITE_URL + "/accounts/invite/")
    assert not User.objects.get(username="nakamura.sora").has_usable_password()
    new_password = "sakura-no-hana-2025"

    # when: the person opens the link and chooses a password
    opened = client.get(urlsplit(link).path)
    assert opened.status_code == 302
    form_url = opened["Location"]
    assert form_url.endswith("/set-password/")
    form_page = client.get(form_url)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    submitted = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})

    # then
    assert submitted.status_code == 302
    assert submitted["Location"] == "/accounts/login/"
    assert login_works("nakamura.sora", new_password)
    user = User.objects.get(username="nakamura.sora")
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_ISSUED, object_id=str(user.pk)).exists()
    assert AuditEvent.objects.filter(action=AuditAction.PASSWORD_SET, object_id=str(user.pk)).exists()
    # The link works once only.
    again = client.get(urlsplit(link).path, follow=True)
    assert again.context["validlink"] is False


def test_createaccount_with_empty_piped_input_prints_an_invitation(
    org: Organisation, piped: Callable[[str], None]
) -> None:
    # given
    piped("\n")

    # when
    output = createaccount("kato.ren", "--role=peer", f"--org={org.slug}")

    # then
    assert INVITATION.search(output) is not None
    assert not User.objects.get(username="kato.ren").has_usable_password()


def test_createaccount_rejects_a_weak_password_and_creates_nothing(
    org: Organisation, piped: Callable[[str], None]
) -> None:
    # given
    piped("123\n")

    # when
    with pytest.raises(CommandError) as failure:
        createaccount("yoshida.aoi", "--role=worker", f"--org={org.slug}")

    # then
    assert str(failure.value)
    assert "123" not in str(failure.value)
    assert not User.objects.filter(username="yoshida.aoi").exists()
    assert not AuditEvent.objects.exists()


def test_createaccount_names_an_unknown_organisation(db: None, terminal: None) -> None:
    # given
    users_before = User.objects.count()

    # when
    with pytest.raises(CommandError) as failure:
        createaccount("yamada.taro", "--role=worker", "--org=nowhere-centre")

    # then
    assert str(failure.value).startswith("organisation: ")
    assert "nowhere-centre" in str(failure.value)
    assert User.objects.count() == users_before


def test_createaccount_updates_an_existing_account_without_a_new_invitation(
    org: Organisation,
    make_org: Callable[..., Organisation],
    piped: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: an account that has set its password already
    piped(PASSWORD + "\n")
    createaccount("inoue.kai", "--role=worker", f"--org={org.slug}")
    monkeypatch.setattr(sys, "stdin", Terminal())
    other = make_org(slug="sapporo-centre")

    # when
    moved = createaccount("inoue.kai", "--role=supervisor", f"--org={other.slug}")
    repeated = createaccount("inoue.kai", "--role=supervisor", f"--org={other.slug}")

    # then
    assert moved.splitlines() == ["Account inoue.kai updated (supervisor)."]
    assert repeated.splitlines() == ["Account inoue.kai unchanged (supervisor)."]
    user = User.objects.get(username="inoue.kai")
    assert (user.role, user.organisation) == (Role.SUPERVISOR, other)
    assert login_works("inoue.kai", PASSWORD)
    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_UPDATED).count() == 1


# --- seed_demo -------------------------------------------------------------------------------

DEMO_ROW = re.compile(r"^  (?P<role>\w+) +(?P<username>demo-[\w-]+) +(?P<password>\S+)$", re.MULTILINE)


def seed_demo() -> str:
    stdout = io.StringIO()
    call_command("seed_demo", stdout=stdout, stderr=io.StringIO())
    return stdout.getvalue()


def test_seed_demo_creates_one_account_per_role_and_prints_each_password_once(
    db: None, settings: Any
) -> None:
    # given
    settings.DEMO_MODE = True

    # when
    output = seed_demo()

    # then
    rows = [m.groupdict() for m in DEMO_ROW.finditer(output)]
    assert sorted(row["role"] for row in rows) == sorted(Role.values)
    assert User.objects.count() == 5
    for row in rows:
        user = User.objects.get(username=row["username"])
        assert user.role == row["role"]
        assert user.organisation.slug.startswith("demo-")
        assert output.count(row["username"]) == 1
        assert output.count(row["password"]) == 1
        assert login_works(row["username"], row["password"])
    assert len({row["password"] for row in rows}) == 5


def test_seed_demo_a_second_time_prints_no_password(db: None, settings: Any) -> None:
    # given
    settings.DEMO_MODE = True
    first = seed_demo()
    passwords = [m["password"] for m in DEMO_ROW.finditer(first)]
    assert len(passwords) == 5

    # when
    second = seed_demo()

    # then
    assert DEMO_ROW.search(second) is None
    assert not any(password in second for password in passwords)
    assert "exist already" in second
    assert User.objects.count() == 5
    assert Organisation.objects.filter(slug__startswith="demo-").count() == 5


def test_seed_demo_recreates_only_a_missing_account(db: None, settings: Any) -> None:
    # given
    settings.DEMO_MODE = True
    seed_demo()
    User.objects.filter(username="demo-peer").delete()

    # when
    output = seed_demo()

    # then
    rows = [m.groupdict() for m in DEMO_ROW.finditer(output)]
    assert [row["username"] for row in rows] == ["demo-peer"]
    assert login_works("demo-peer", rows[0]["password"])
    assert User.objects.count() == 5


def test_seed_demo_refuses_without_demo_mode(db: None, settings: Any) -> None:
    # given
    settings.DEMO_MODE = False

    # when
    with pytest.raises(CommandError) as failure:
        seed_demo()

    # then
    assert "DEMO_MODE" in str(failure.value)
    assert not User.objects.exists()
    assert not Organisation.objects.exists()


REJECTED_DRAW = "000000000000"  # the numeric-password validator refuses it


def test_seed_demo_draws_again_when_a_generated_password_is_rejected(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: every other random draw is one the password validators reject
    settings.DEMO_MODE = True
    real_token_urlsafe = accounts.demo.secrets.token_urlsafe
    draws = itertools.count()
    monkeypatch.setattr(
        accounts.demo.secrets,
        "token_urlsafe",
        lambda n: REJECTED_DRAW if next(draws) % 2 == 0 else real_token_urlsafe(n),
    )

    # when
    output = seed_demo()

    # then
    rows = [m.groupdict() for m in DEMO_ROW.finditer(output)]
    assert len(rows) == 5
    assert REJECTED_DRAW not in output
    for row in rows:
        assert login_works(row["username"], row["password"])


def test_seed_demo_gives_up_cleanly_when_every_password_is_rejected(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    settings.DEMO_MODE = True
    monkeypatch.setattr(accounts.demo.secrets, "token_urlsafe", lambda n: REJECTED_DRAW)

    # when
    with pytest.raises(CommandError):
        seed_demo()

    # then
    assert not User.objects.exists()
    assert not Organisation.objects.exists()


# --- background_worker -----------------------------------------------------------------------


def test_background_worker_once_deletes_expired_sessions_and_stale_attempts(
    db: None, keep_signal_handlers: None
) -> None:
    # given
    now = timezone.now()
    Session.objects.create(session_key="expired" + "x" * 25, session_data="", expire_date=now - timedelta(1))
    Session.objects.create(session_key="current" + "y" * 25, session_data="", expire_date=now + timedelta(1))
    attempt_fields = {
        "user_agent": "test",
        "ip_address": "192.0.2.1",
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
        "get_data": "",
        "post_data": "",
        "failures_since_start": 1,
    }
    stale = AccessAttempt.objects.create(username="old.attempt", **attempt_fields)
    AccessAttempt.objects.filter(pk=stale.pk).update(
        attempt_time=now - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    )
    AccessAttempt.objects.create(username="recent.attempt", **attempt_fields)
    stdout = io.StringIO()

    # when
    call_command("background_worker", "--once", stdout=stdout)

    # then
    assert list(Session.objects.values_list("session_key", flat=True)) == ["current" + "y" * 25]
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["recent.attempt"]
    # (the retention purge, the other default job, prints its own line: tests/security/test_retention.py)
    assert stdout.getvalue().splitlines()[0] == "housekeeping: expired_sessions=1, stale_login_attempts=1"
