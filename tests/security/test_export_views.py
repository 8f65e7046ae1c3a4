"""The adapters of the download and the erasure: /chat/my-data/, the admin's erase action, erase_account.

The services themselves are tested in test_export.py; here: who may reach them, over which method, with
which confirmation, and what the answer looks like. What erasure keeps is in docs/security.md.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent, Role, User
from chat.export import DATA_EXPORTED
from helpdesk.models import Consultation
from tests.security.conftest import ROLES, Cast, client_for, verify
from tests.security.test_export import OTHERS_WORDS, conversation

URL = "/chat/my-data/"
USERS = "/admin/accounts/user/"


def exports_by(user: User) -> int:
    return AuditEvent.objects.filter(action=DATA_EXPORTED, actor=user).count()


# --- The download ------------------------------------------------------------------------------


def test_a_worker_downloads_their_own_data_as_a_json_file(cast: Cast) -> None:
    # given a conversation with texts from the worker, the peer, a supervisor and a colleague
    texts = conversation(cast)
    owner = cast.users["owner"]
    # when the worker, logged in with two factors, asks for their data at 08:30 in Tokyo (23:30 UTC)
    with time_machine.travel(datetime(2026, 3, 9, 23, 30, tzinfo=UTC), tick=False):
        response = verify(Client(), owner).get(URL)
    # then a UTF-8 JSON file comes back as a download named by the Tokyo date, never cached
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="soudan-my-data-20260310.json"'
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode("utf-8")
    assert "みどり" in body and "\\u" not in body  # readable Japanese, not escapes
    assert body.startswith('{\n  "format"')  # indented for a human reader
    # and it holds the worker's own account, consultation and words
    exported = json.loads(body)
    assert exported["account"]["username"] == owner.username
    assert [c["id"] for c in exported["consultations"]] == [cast.consultation.pk]
    assert [m["body"] for m in exported["messages"]] == [texts["worker_message"]]
    assert [m["body"] for m in exported["circle_messages"]] == [texts["circle_own"]]
    # and nothing anyone else wrote
    for private in OTHERS_WORDS:
        assert texts[private] not in body, private
    # and the download is audited once
    assert exports_by(owner) == 1


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_every_role_downloads_their_own_account_and_no_one_elses(cast: Cast, role: str) -> None:
    conversation(cast)
    response = client_for(cast, role).get(URL)
    assert response.status_code == 200
    exported = json.loads(response.content)
    assert exported["account"]["username"] == cast.users[role].username
    others = [user for name, user in cast.users.items() if name != role]
    for other in others:
        assert f'"{other.username}"' not in response.content.decode("utf-8"), other.username


def test_a_stranger_or_a_password_only_session_gets_no_download(cast: Cast) -> None:
    # given no session, a password-only session of an enrolled account, and one that never enrolled
    enrolled, unenrolled = cast.users["owner"], cast.users["colleague"]
    TOTPDevice.objects.create(user=enrolled, name="認証アプリ", confirmed=True)
    password_only = Client()
    password_only.force_login(enrolled)
    never_enrolled = Client()
    never_enrolled.force_login(unenrolled)
    # when each asks for the download
    anonymous = Client().get(URL)
    half = password_only.get(URL)
    fresh = never_enrolled.get(URL)
    # then they are sent to log in (or to enrol), like on every other page, and nothing was exported
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert half.status_code == 302 and half["Location"].startswith("/accounts/login/")
    assert fresh.status_code == 302 and fresh["Location"] == "/accounts/enrol/"
    assert AuditEvent.objects.filter(action=DATA_EXPORTED).count() == 0


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_only_get_downloads(cast: Cast, method: str) -> None:
    client = client_for(cast, "owner")
    response = getattr(client, method)(URL)
    assert response.status_code == 405
    assert exports_by(cast.users["owner"]) == 0


# --- The admin's erasure ----------------------------------------------------------------------

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def admin_browser(cast: Cast) -> tuple[Client, str]:
    """The administrator's browser with CSRF checks on, and the token from the users' list."""
    client = client_for(cast, "admin", enforce_csrf_checks=True)
    page = client.get(USERS)
    assert page.status_code == 200
    match = CSRF.search(page.content.decode())
    assert match is not None
    return client, match.group(1)


def choose(token: str, *users: User, confirmed: bool = False) -> dict[str, Any]:
    """The list page's action form (index) or the confirmation page's form (post=yes)."""
    data: dict[str, Any] = {
        "csrfmiddlewaretoken": token,
        "action": "erase_accounts",
        "_selected_action": [str(user.pk) for user in users],
    }
    data.update({"post": "yes"} if confirmed else {"index": "0"})
    return data


def test_an_admin_deletes_an_account_through_the_confirmation_page(cast: Cast) -> None:
    # given a worker's conversation and the administrator on the users' list
    texts = conversation(cast)
    owner = cast.users["owner"]
    client, token = admin_browser(cast)
    # when the administrator chooses "delete (anonymise)" for the worker
    page = client.post(USERS, choose(token, owner))
    # then a confirmation page names the account and states what goes and what stays; nothing happened yet
    assert page.status_code == 200
    html = page.content.decode()
    assert owner.username in html
    assert "削除されるもの" in html and "記録のために匿名化して残るもの" in html
    assert "保存期間が終わるまで" in html  # a responder's replies stay with others' records
    assert 'name="post" value="yes"' in html and CSRF.search(html)
    assert User.objects.get(pk=owner.pk).is_active
    # and confirming without the CSRF token is refused
    forged = choose("", owner, confirmed=True)
    assert client.post(USERS, forged).status_code == 403
    assert User.objects.get(pk=owner.pk).is_active
    # when the administrator confirms
    done = client.post(USERS, choose(token, owner, confirmed=True), follow=True)
    # then the account is anonymised, its consultation's texts are gone, and the counts are shown
    assert done.status_code == 200
    owner.refresh_from_db()
    assert owner.username == f"deleted-{owner.pk}" and not owner.is_active
    assert Consultation.objects.get(pk=cast.consultation.pk).question == ""
    assert texts["question"] not in done.content.decode()
    message = "1 件のアカウントを削除しました。相談 1 件の本文、メッセージ 3 件、サークルのメッセージ 1 件"
    assert message in done.content.decode()
    # and doing it again changes nothing more
    again = client.post(USERS, choose(token, owner, confirmed=True), follow=True)
    assert "メッセージ 0 件、サークルのメッセージ 0 件" in again.content.decode()
    assert User.objects.get(pk=owner.pk).username == f"deleted-{owner.pk}"


def test_djangos_raw_delete_of_an_account_is_not_offered(cast: Cast) -> None:
    client, token = admin_browser(cast)
    owner = cast.users["owner"]
    listing = client.get(USERS).content.decode()
    assert 'value="delete_selected"' not in listing and 'value="erase_accounts"' in listing
    assert 'class="deletelink"' not in client.get(f"{USERS}{owner.pk}/change/").content.decode()
    assert client.get(f"{USERS}{owner.pk}/delete/").status_code == 403
    assert (
        client.post(f"{USERS}{owner.pk}/delete/", {"csrfmiddlewaretoken": token, "post": "yes"}).status_code
        == 403
    )
    delete_selected = {**choose(token, owner, confirmed=True), "action": "delete_selected"}
    client.post(USERS, delete_selected)
    assert User.objects.filter(pk=owner.pk, is_active=True, username=owner.username).exists()


@pytest.mark.parametrize("confirmed", [False, True], ids=["choose", "confirm"])
def test_an_admin_cannot_delete_their_own_account(cast: Cast, confirmed: bool) -> None:
    # given the administrator's own account selected together with a worker's
    admin, owner = cast.users["admin"], cast.users["owner"]
    client, token = admin_browser(cast)
    # when they ask to delete both
    response = client.post(USERS, choose(token, admin, owner, confirmed=confirmed), follow=True)
    # then nothing is deleted and they are told why
    assert "自分のアカウントは削除できません。何も削除していません。" in response.content.decode()
    assert User.objects.filter(pk__in=[admin.pk, owner.pk], is_active=True).count() == 2
    assert Consultation.objects.get(pk=cast.consultation.pk).question != ""


def test_a_supervisor_cannot_reach_the_erasure(cast: Cast) -> None:
    owner = cast.users["owner"]
    client = client_for(cast, "supervisor")
    for data in (choose("", owner), choose("", owner, confirmed=True)):
        response = client.post(USERS, data)
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert client.get(response["Location"]).status_code == 403
    assert User.objects.get(pk=owner.pk).username == owner.username


# --- The command ------------------------------------------------------------------------------


def erase(*args: str, stdin: io.StringIO | None = None, monkeypatch: Any = None) -> str:
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", stdin)
    call_command("erase_account", *args, stdout=out)
    return out.getvalue()


def test_the_command_deletes_an_account_and_prints_counts_only(cast: Cast) -> None:
    # given a worker's conversation
    texts = conversation(cast)
    owner, admin = cast.users["owner"], cast.users["admin"]
    # when an operator deletes the account, named by its username, as the administrator
    printed = erase(owner.username, "--actor", admin.username, "--yes")
    # then it is deleted and the command prints numbers, no name and no text
    assert printed.strip() == (
        f"Account {owner.pk} deleted: texts of 1 consultation(s), 3 message(s), 1 circle message(s), "
        "0 after-care text(s), 0 self-check(s) and 0 shift(s) erased."
    )
    assert User.objects.get(pk=owner.pk).username == f"deleted-{owner.pk}"
    for text in (owner.username, owner.display_name, owner.pseudonym, texts["question"]):
        assert text not in printed
    # and an account named by its id works too, with --id
    peer = cast.users["peer"]
    assert f"Account {peer.pk} deleted" in erase("--id", str(peer.pk), "--actor", admin.username, "--yes")
    assert not User.objects.get(pk=peer.pk).is_active


def test_a_number_is_a_username_unless_id_is_said(cast: Cast, make_user: Any) -> None:
    # given an account whose username is the id of another account
    victim = cast.users["colleague"]
    numbered = make_user(Role.WORKER, username=str(victim.pk))
    admin = cast.users["admin"].username
    # when the number is given without --id, the account with that username is the one deleted
    assert f"Account {numbered.pk} deleted" in erase(str(victim.pk), "--actor", admin, "--yes")
    assert User.objects.get(pk=victim.pk).is_active
    # and a number that is no username says how to give an id
    with pytest.raises(CommandError, match="To give an id, add --id"):
        erase("987654", "--actor", admin, "--yes")
    # and --id takes ASCII digits only (a superscript two is a digit to Python, not an id)
    with pytest.raises(CommandError, match="No account '²'"):
        erase("--id", "²", "--actor", admin, "--yes")


@pytest.mark.parametrize(
    ("account", "actor", "error"),
    [
        ("nobody-here", "admin", "No account 'nobody-here'."),
        ("owner", "nobody-here", "No account 'nobody-here' to act as."),
        ("owner", "supervisor", "is not an active administrator"),
        ("admin", "admin", "An administrator cannot delete their own account."),
    ],
)
def test_the_command_refuses_clearly(cast: Cast, account: str, actor: str, error: str) -> None:
    name = cast.users[account].username if account in cast.users else account
    acting = cast.users[actor].username if actor in cast.users else actor
    with pytest.raises(CommandError, match=re.escape(error)):
        erase(name, "--actor", acting, "--yes")
    assert not User.objects.filter(username__startswith="deleted-").exists()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_without_yes_the_command_states_what_happens_and_asks_a_terminal_only(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, admin = cast.users["owner"], cast.users["admin"]
    args = (owner.username, "--actor", admin.username)
    # a pipe is never asked: the command stops after stating what would happen
    with pytest.raises(CommandError, match="Not a terminal"):
        erase(*args, stdin=io.StringIO(f"{owner.pk}\n"), monkeypatch=monkeypatch)
    # a wrong answer on a terminal deletes nothing
    with pytest.raises(CommandError, match="Not confirmed"):
        erase(*args, stdin=Terminal("yes\n"), monkeypatch=monkeypatch)
    assert User.objects.get(pk=owner.pk).is_active
    # the account's id typed on a terminal confirms
    printed = erase(*args, stdin=Terminal(f"{owner.pk}\n"), monkeypatch=monkeypatch)
    assert "Deleted:" in printed and "Kept for the record, anonymised:" in printed
    assert "under the name deleted-<id> until the retention period ends" in printed
    assert f"Account {owner.pk} deleted" in printed
    assert not User.objects.get(pk=owner.pk).is_active
