"""Guessing passwords and codes: a used code cannot be replayed, a lockout holds and is no oracle.

(Lockout after five wrong passwords or codes, per username and address, and django-otp's throttling:
tests/accounts/test_login.py.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from tests.conftest import PASSWORD, totp_for
from tests.security.conftest import comparable

LOGIN = "/accounts/login/"


def attempt(client: Client, username: str, password: str = PASSWORD, token: str = "") -> Any:
    return client.post(LOGIN, {"username": username, "password": password, "otp_token": token})


def test_a_used_code_cannot_be_replayed(enrolled: Callable[..., User]) -> None:
    # given a person who logged in with a code (an onlooker saw it, or it was phished in real time)
    user = enrolled()
    code = totp_for(user).now()
    assert attempt(Client(), user.username, token=code).status_code == 302
    # when someone presents the same code again within its 30-second window, from anywhere
    replay = Client(REMOTE_ADDR="203.0.113.7")
    response = attempt(replay, user.username, token=code)
    # then it is refused and that browser is not logged in
    assert response.status_code == 400
    assert replay.get("/").status_code == 302
    # while the next code (the next time step) works for the person
    device = TOTPDevice.objects.get(user=user)
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        assert attempt(Client(), user.username, token=totp_for(user).now()).status_code == 302


def test_guessing_codes_with_the_right_password_locks_and_the_lock_holds(
    enrolled: Callable[..., User],
) -> None:
    # given an attacker who knows the password and guesses codes from one address
    user = enrolled()
    attacker = Client(REMOTE_ADDR="203.0.113.8")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        codes = [attempt(attacker, user.username, token=f"{n:06d}").status_code for n in range(6)]
    # then the fifth wrong code locks that username from that address
    assert codes == [400, 400, 400, 400, 429, 429]
    # and fourteen minutes later even the right code is still refused, and that attempt restarts the clock
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert attempt(attacker, user.username, token=totp_for(user).now()).status_code == 429
    with time_machine.travel(start + timedelta(minutes=14 + 14), tick=False):
        assert attempt(attacker, user.username, token=totp_for(user).now()).status_code == 429
    # and fifteen quiet minutes after the last attempt, the right password and code work again
    with time_machine.travel(start + timedelta(minutes=28 + 16), tick=False):
        TOTPDevice.objects.filter(user=user).update(
            throttling_failure_count=0, throttling_failure_timestamp=None
        )
        assert attempt(attacker, user.username, token=totp_for(user).now()).status_code == 302


def test_a_locked_login_tells_nothing_about_the_guess(enrolled: Callable[..., User]) -> None:
    # given a username locked from an address
    user = enrolled()
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        attempt(attacker, user.username, password="wrong-password-123")
    # when the attacker then tries a wrong and the right password with a valid code
    wrong = attempt(attacker, user.username, password="still-wrong-456", token="123456")
    right = attempt(attacker, user.username, token=totp_for(user).now())
    # then both answers are the same lockout page
    assert wrong.status_code == right.status_code == 429
    assert comparable(wrong.content) == comparable(right.content)


def test_the_login_answer_does_not_tell_whether_an_account_exists(enrolled: Callable[..., User]) -> None:
    # given one real account
    user = enrolled()
    # when someone tries it with a wrong password, and a username that does not exist
    known = attempt(
        Client(REMOTE_ADDR="198.51.100.1"), user.username, password="wrong-password", token="123456"
    )
    unknown = attempt(
        Client(REMOTE_ADDR="198.51.100.2"), "no-such-person", password="wrong-password", token="123456"
    )
    # then the two pages are the same
    assert known.status_code == unknown.status_code == 400
    normalise = lambda response, name: comparable(response.content).replace(name.encode(), b"{user}")  # noqa: E731
    assert normalise(known, user.username) == normalise(unknown, "no-such-person")
