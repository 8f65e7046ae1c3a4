"""E-mail notices: urgent consultations and missed targets reach on-duty supervisors, without case text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from accounts.models import Role, User
from helpdesk.models import Consultation
from helpdesk.sla import sla_tick
from peer.models import ResponderProfile

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def supervisor(make_user: Callable[..., User]) -> User:
    user = make_user(Role.SUPERVISOR, email="sv@example.jp")
    ResponderProfile.objects.create(user=user, on_duty=True)
    away = make_user(Role.SUPERVISOR, email="away@example.jp")
    ResponderProfile.objects.create(user=away, on_duty=False)
    return user


def test_an_urgent_consultation_mails_on_duty_supervisors_without_case_text(
    supervisor: User,
    make_user: Callable[..., User],
    file_consultation: Callable[..., Consultation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    summary = "本人が「もう消えたい」と話し、ロープを買ったらしい。"
    with django_capture_on_commit_callbacks(execute=True):
        consultation = file_consultation(make_user(Role.WORKER), summary=summary)
    assert consultation.priority == "urgent"
    assert [message.to for message in mail.outbox] == [["sv@example.jp"]]
    body = mail.outbox[0].body
    assert f"/consultations/{consultation.pk}/" in body
    assert "ロープ" not in body and "消えたい" not in body


def test_a_missed_target_mails_once(
    supervisor: User,
    make_user: Callable[..., User],
    file_consultation: Callable[..., Consultation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with time_machine.travel(datetime(2026, 6, 15, 9, 0, tzinfo=TOKYO), tick=False):
        file_consultation(make_user(Role.WORKER))
    with django_capture_on_commit_callbacks(execute=True):
        sla_tick(now=datetime(2026, 6, 15, 17, 1, tzinfo=TOKYO))
        sla_tick(now=datetime(2026, 6, 15, 17, 2, tzinfo=TOKYO))
    assert len([m for m in mail.outbox if "応答目標" in m.subject]) == 1
