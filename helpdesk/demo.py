"""Demo data for the embedded pilot: accounts (accounts.demo) plus on-duty responder profiles."""

from __future__ import annotations

from django.db import transaction

from accounts import demo as accounts_demo
from accounts.models import User
from peer.models import ResponderProfile, TrainingLevel

TRAINING = {"demo-peer": TrainingLevel.INTERMEDIATE}


def seed_demo() -> list[tuple[User, str]]:
    with transaction.atomic():
        created = accounts_demo.seed_demo()
        for user, _password in created:
            if user.role in ("peer", "expert", "supervisor"):
                ResponderProfile.objects.get_or_create(
                    user=user,
                    defaults={
                        "on_duty": True,
                        "training_level": TRAINING.get(user.username, TrainingLevel.LEADER),
                    },
                )
    return created
