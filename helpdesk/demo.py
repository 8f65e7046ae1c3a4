"""Demo data for the embedded pilot: accounts (accounts.demo) plus on-duty responder profiles."""

from __future__ import annotations

from django.db import transaction

from accounts import demo as accounts_demo
from accounts.models import User
from helpdesk.choices import Category
from helpdesk.services import CaseFacts, consultation_create
from peer.models import ResponderProfile, TrainingLevel

TRAINING = {"demo-peer": TrainingLevel.INTERMEDIATE}

# Fictional, already de-identified examples so that queues are not empty on first look.
DEMO_CONSULTATIONS = [
    CaseFacts(
        category=Category.BURNOUT,
        question="訪問が続いて夜も眠れません。気持ちの整理の仕方を相談したいです。",
        requested_responder="peer",
    ),
    CaseFacts(
        category=Category.HARD_CASE,
        subtype="support_refusal",
        question="本人が面談を拒否しています。母親面談だけで関係をつなぐ工夫を知りたいです。",
        summary="【人物A】さん（30代）は約10年ひきこもり状態。【地名A】で母親と二人暮らし。"
        "本人は支援者との面談を拒否しており、現在は母親面談のみ継続中。",
        requested_responder="expert",
        age_band="30s",
        withdrawal_duration="5to10",
        household="parents",
        agencies=("public_health_centre",),
    ),
]


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
        worker = User.objects.filter(username="demo-worker").first()
        if created and worker is not None and not worker.consultations.exists():
            for facts in DEMO_CONSULTATIONS:
                consultation_create(actor=worker, facts=facts)
    return created
