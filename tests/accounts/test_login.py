"""Login with password and a second factor; enrolment; backup codes; lockout."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditAction, AuditEvent, Role, User
from tests.conftest import PASSWORD, totp_for

LOGIN = "/accounts/login/"


def post_login(client: Client, user: User, password: str = PASSWORD, token: str = "") -> Any:
    return client.post(LOGIN, {"username": user.username, "password": password, "otp_token": token})


def test_protected_page_redirects_anonymous_to_login(client: Client, db: None) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_login_page_is_japanese_with_the_expected_fields(client: Client, db: None) -> None:
    response = client.get(LOGIN)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ja">' in html
    assert "ログイン" in html
    for name in ("username", "password", "otp_token"):
        assert f'name="{name}"' in html


def test_new_user_without_device_is_sent_to_enrolment_and_nothing_else(
    client: Client, make_user: Callable[..., User]
) -> None:
    user = make_user()
    response = post_login(client, user)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/enrol/"
    # Password alone does not open any other page.
    assert client.get("/")["Location"] == "/accounts/enrol/"
    assert client.get("/admin/").status_code == 302


def test_enrolment_shows_qr_and_uri_and_confirms_with_a_code(
    client: Client, make_user: Callable[..., User]
) -> None:
    user = make_user()
    post_login(client, user)
    page = client.get("/accounts/enrol/").content.decode()
    assert "<svg" in page
    uri = re.search(r'<code id="otp-uri">([^<]+)</code>', page)
    assert uri is not None
    otp_uri = uri.group(1).replace("&amp;", "&")
    assert otp_uri.startswith("otpauth://totp/")
    secret = parse_qs(urlsplit(otp_uri).query)["secret"][0]

    wrong = client.post("/accounts/enrol/", {"otp_token": "000000"})
    assert wrong.status_code == 400
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    _wait_out_throttle(user)

    done = client.post("/accounts/enrol/", {"otp_token": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    assert len(codes) == 10
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert client.get("/").status_code == 200  # the session is now verified
    actions = set(AuditEvent.objects.filter(actor=user).values_list("action", flat=True))
    assert {AuditAction.OTP_ENROLLED, AuditAction.BACKUP_CODES_ISSUED, AuditAction.OTP_FAILED} <= actions


def test_enrolled_user_needs_the_code(client: Client, enrolled: Callable[..., User]) -> None:
    user = enrolled()
    response = post_login(client, user)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_enrolled_user_logs_in_with_password_and_code(client: Client, enrolled: Callable[..., User]) -> None:
    user = enrolled()
    response = post_login(client, user, token=totp_for(user).now())
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert user.username in home.content.decode() or str(user) in home.content.decode()
    assert AuditEvent.objects.filter(actor=user, action=AuditAction.LOGIN).exists()


def test_full_width_code_with_spaces_is_accepted(client: Client, enrolled: Callable[..., User]) -> None:
    user = enrolled()
    code = totp_for(user).now()
    full_width = " ".join(chr(ord(c) + 0xFEE0) for c in code)
    assert post_login(client, user, token=full_width).status_code == 302


def test_wrong_code_is_rejected_and_audited(client: Client, enrolled: Callable[..., User]) -> None:
    user = enrolled()
    code = totp_for(user).now()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = post_login(client, user, token=wrong)
    assert response.status_code == 400
    assert "正しくありません" in response.content.decode()
    assert AuditEvent.objects.filter(actor=user, action=AuditAction.OTP_FAILED).exists()


def test_backup_code_works_once(client: Client, enrolled: Callable[..., User]) -> None:
    user = enrolled()
    codes = _backup_codes(user)
    assert post_login(client, user, token=codes[0]).status_code == 302
    client.post("/accounts/logout/")
    assert post_login(Client(), user, token=codes[0]).status_code == 400
    assert StaticToken.objects.filter(device__user=user).count() == len(codes) - 1
    assert AuditEvent.objects.filter(actor=user, action=AuditAction.BACKUP_CODE_USED).count() == 1


def test_backup_codes_can_be_regenerated_by_a_verified_user(
    verified_client: Callable[[User], Client], enrolled: Callable[..., User]
) -> None:
    user = enrolled()
    old = set(_backup_codes(user))
    client = verified_client(user)
    response = client.post("/accounts/backup-codes/")
    new = set(re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode()))
    assert len(new) == 10
    assert not (old & new)
    assert set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == new


def test_logout_needs_post_and_ends_the_session(
    verified_client: Callable[[User], Client], enrolled: Callable[..., User]
) -> None:
    user = enrolled()
    client = verified_client(user)
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(actor=user, action=AuditAction.LOGOUT).exists()


def test_open_redirect_is_refused(client: Client, enrolled: Callable[..., User]) -> None:
    user = enrolled()
    response = client.post(
        LOGIN + "?next=https://evil.example/",
        {"username": user.username, "password": PASSWORD, "otp_token": totp_for(user).now()},
    )
    assert response["Location"] == "/"


def _wait_out_throttle(user: User) -> None:
    """django-otp throttles a device for 2**(n-1) seconds after n failures; let that time pass."""
    from datetime import timedelta

    from django.utils import timezone

    TOTPDevice.objects.filter(user=user).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=5)
    )


def _backup_codes(user: User) -> list[str]:
    from accounts.twofactor import backup_codes_regenerate

    return backup_codes_regenerate(user=user)


# --- Lockout ---------------------------------------------------------------------------------


def test_wrong_passwords_lock_out_the_username_from_that_address(
    client: Client, enrolled: Callable[..., User], settings: object
) -> None:
    user = enrolled()
    for _ in range(5):
        post_login(client, user, password="wrong-password")
    locked = post_login(client, user, token=totp_for(user).now())
    assert locked.status_code == 429
    assert "15" in locked.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT).exists()


def test_wrong_codes_count_towards_the_lockout(client: Client, enrolled: Callable[..., User]) -> None:
    user = enrolled()
    for _ in range(5):
        post_login(client, user, token="999999")
    # Correct password and a correct code are now refused for this username from this address.
    assert post_login(client, user, token=totp_for(user).now()).status_code == 429


def test_lockout_does_not_block_colleagues_behind_the_same_address(
    client: Client, enrolled: Callable[..., User]
) -> None:
    attacked = enrolled()
    colleague = enrolled()
    for _ in range(6):
        post_login(client, attacked, password="wrong-password")
    assert post_login(client, colleague, token=totp_for(colleague).now()).status_code == 302


def test_lockout_does_not_block_the_same_username_from_another_address(enrolled: Callable[..., User]) -> None:
    user = enrolled()
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(6):
        post_login(attacker, user, password="wrong-password")
    office = Client(REMOTE_ADDR="198.51.100.20")
    assert post_login(office, user, token=totp_for(user).now()).status_code == 302


def test_totp_device_throttles_after_a_failure(client: Client, enrolled: Callable[..., User]) -> None:
    """django-otp's own throttling stays on: right after a wrong code even the right one waits."""
    user = enrolled()
    post_login(client, user, token="999999")
    assert post_login(client, user, token=totp_for(user).now()).status_code == 400
    device = TOTPDevice.objects.get(user=user)
    assert device.throttling_failure_count == 1  # the refused attempt was not even checked


# --- Roles and the admin ---------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.WORKER, Role.PEER, Role.EXPERT, Role.SUPERVISOR])
def test_only_the_admin_role_reaches_the_admin(
    role: str, verified_client: Callable[[User], Client], enrolled: Callable[..., User]
) -> None:
    client = verified_client(enrolled(role))
    response = client.get("/admin/")
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert client.get(response["Location"]).status_code == 403
    assert client.get("/admin/accounts/user/").status_code in (302, 403)


def test_admin_role_reaches_the_admin_after_two_factor(
    verified_client: Callable[[User], Client], enrolled: Callable[..., User]
) -> None:
    client = verified_client(enrolled(Role.ADMIN))
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/admin/accounts/auditevent/").status_code == 200


def test_admin_role_without_two_factor_cannot_reach_the_admin(
    client: Client, make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.ADMIN)
    post_login(client, admin)  # password only: no device yet
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/enrol/"
