from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.models import Organisation, Role, User
from helpdesk.choices import Priority

FORM: dict[str, Any] = {
    "category": "hard_case",
    "subtype": "support_refusal",
    "worker_urgency": "normal",
    "question": "本人との関係づくりの進め方について助言がほしいです。",
    "requested_responder": "expert",
    "requested_profession": "psw",
    "pseudonymous": "on",
    "age_band": "30s",
    "gender": "male",
    "withdrawal_duration": "10plus",
    "household": "parents",
    "agencies": ["public_health_centre", "family_association"],
}


@pytest.fixture
def worker_client(
    verified_client: Callable[[User], Client],
    enrolled: Callable[..., User],
    make_org: Callable[..., Organisation],
) -> tuple[User, Client]:
    worker = enrolled(Role.WORKER, organisation=make_org(name="テスト町ひきこもり支援ステーション"))
    return worker, verified_client(worker)


__all__ = ["FORM", "Priority"]
