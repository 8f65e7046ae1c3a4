from __future__ import annotations

from datetime import datetime

from django.test import Client

from accounts.models import User
from peer.selectors import TOKYO

MONDAY = (2026, 3, 2)  # a Monday; 2026-03-08 is the Sunday of that week


def tokyo(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant given on the Asia/Tokyo wall clock."""
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


def login(user: User) -> Client:
    """A fresh browser logged in with password and TOTP (the shared `client` fixture holds one user)."""
    from tests.conftest import PASSWORD, totp_for

    client = Client()
    response = client.post(
        "/accounts/login/",
        {"username": user.username, "password": PASSWORD, "otp_token": totp_for(user).now()},
    )
    assert response.status_code == 302
    return client
