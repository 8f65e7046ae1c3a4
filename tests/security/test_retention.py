"""Retention: texts of consultations closed longer than the period are purged, aggregates stay, audited.

chat.retention.purge_expired (chat bodies) with helpdesk.retention (consultation texts), clock moved
with time_machine.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from accounts.models import AuditEvent, Role, User
from chat import services as chat
from chat.models import Message, MessageKind
from chat.retention import AUDIT_ACTION, purge_expired
from helpdesk import retention, workflow
from helpdesk.models import (
    Consultation,
    ConsultationEvent,
    DebriefRequest,
    Feedback,
    FollowUp,
    PrivateNote,
    Queue,
    Reflection,
    Transfer,
)
from helpdesk.services import CaseFacts, consultation_create
from peer.models import ResponderProfile

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2027, 4, 1, 10, 0, tzinfo=TOKYO)


# question, summary, triage reason, two messages, a whisper, a note, a transfer reason, four event
# reasons (handover requested and declined, waiting, resolved), and the four after-care texts
FIELDS_WITH_TEXT = 16


def canary() -> str:
    return f"保存期間テスト{uuid.uuid4().hex[:12]}"


def aggregates(consultation_id: int) -> dict[str, Any]:
    """What metrics and the record rely on: codes, counts, times."""
    fields = (
        "category", "subtype", "priority", "status", "queue_id", "age_band", "agencies", "risk_flags",
        "deid_replacements", "created_at", "claimed_at", "first_response_at", "resolved_at", "updated_at",
        "escalation_level", "worker_id", "assignee_id",
    )  # fmt: skip
    c: dict[str, Any] = dict(Consultation.objects.values(*fields).get(pk=consultation_id))
    c["messages"] = list(
        Message.objects.filter(consultation_id=consultation_id)
        .order_by("kind", "seq")
        .values_list("kind", "seq", "author_id", "created_at", "client_id")
    )
    c["events"] = list(
        ConsultationEvent.objects.filter(consultation_id=consultation_id)
        .order_by("pk")
        .values_list("kind", "from_status", "to_status", "created_at", "actor_id")
    )
    c["transfers"] = list(
        Transfer.objects.filter(consultation_id=consultation_id).values_list("state", "created_at")
    )
    c["notes"] = PrivateNote.objects.filter(consultation_id=consultation_id).count()
    return c


def texts_of(consultation_id: int) -> list[str]:
    c = Consultation.objects.get(pk=consultation_id)
    found = [c.question, c.summary, *map(str, c.triage_reasons)]
    found += Message.objects.filter(consultation_id=consultation_id).values_list("body", flat=True)
    found += PrivateNote.objects.filter(consultation_id=consultation_id).values_list("body", flat=True)
    found += ConsultationEvent.objects.filter(consultation_id=consultation_id).values_list(
        "reason", flat=True
    )
    found += Transfer.objects.filter(consultation_id=consultation_id).values_list("reason", flat=True)
    for model, name in (
        (Feedback, "comment"),
        (Reflection, "body"),
        (FollowUp, "answer"),
        (DebriefRequest, "note"),
    ):
        found += model.objects.filter(consultation_id=consultation_id).values_list(name, flat=True)
    return [text for text in found if text]


@pytest.fixture
def people(make_user: Callable[..., User]) -> dict[str, User]:
    peer = make_user(Role.PEER, display_name="試験 ピア")
    ResponderProfile.objects.create(user=peer, on_duty=True, capacity=20)
    expert = make_user(Role.EXPERT)
    ResponderProfile.objects.create(user=expert, on_duty=True, capacity=20)
    return {"worker": make_user(Role.WORKER), "peer": peer, "expert": expert}


def consultation_lived(
    people: dict[str, User], *, filed: datetime, resolved: datetime | None, text: str
) -> int:
    """A whole consultation: filed, claimed, talked about, noted, handed over and back, resolved."""
    worker, peer, expert = people["worker"], people["peer"], people["expert"]
    with time_machine.travel(filed, tick=False):
        c = consultation_create(
            actor=worker,
            facts=CaseFacts(
                category="burnout", requested_responder="peer", question=f"質問{text}", summary=f"概要{text}"
            ),
        )
        Consultation.objects.filter(pk=c.pk).update(triage_reasons=[f"理由{text}"])
        workflow.claim(actor=peer, consultation_id=c.pk)
        chat.message_send(actor=worker, consultation_id=c.pk, client_id=uuid.uuid4(), body=f"本文{text}")
        chat.message_send(actor=peer, consultation_id=c.pk, client_id=uuid.uuid4(), body=f"返信{text}")
        Message.objects.create(
            consultation=c, seq=1, author=peer, kind=MessageKind.WHISPER, body=f"内緒{text}"
        )
        workflow.note_add(actor=peer, consultation_id=c.pk, body=f"メモ{text}")
        transfer = workflow.transfer_request(
            actor=peer,
            consultation_id=c.pk,
            reason=f"引継{text}",
            to_queue=Queue.objects.get(slug="expert-general"),
        )
        workflow.transfer_decide(actor=expert, transfer_id=transfer.pk, accept=False, reason=f"辞退{text}")
        workflow.status_set(actor=peer, consultation_id=c.pk, status="waiting", reason=f"待機{text}")
    if resolved is not None:
        with time_machine.travel(resolved, tick=False):
            workflow.status_set(actor=peer, consultation_id=c.pk, status="resolved", reason=f"解決{text}")
            Feedback.objects.create(consultation=c, helpfulness=4, comment=f"感想{text}")
            Reflection.objects.create(consultation=c, author=peer, body=f"振返{text}")
            FollowUp.objects.create(consultation=c, outcome="better", answer=f"その後{text}")
            DebriefRequest.objects.create(consultation=c, requested_by=peer, note=f"依頼{text}")
    return c.pk


def test_a_consultation_closed_longer_than_a_year_loses_its_texts_and_keeps_its_numbers(
    people: dict[str, User],
) -> None:
    # given one consultation resolved 400 days ago, one 300 days ago, and one still open after 500
    old, recent, open_ = canary(), canary(), canary()
    expired = consultation_lived(
        people, filed=NOW - timedelta(days=410), resolved=NOW - timedelta(days=400), text=old
    )
    kept = consultation_lived(
        people, filed=NOW - timedelta(days=310), resolved=NOW - timedelta(days=300), text=recent
    )
    ongoing = consultation_lived(people, filed=NOW - timedelta(days=500), resolved=None, text=open_)
    assert len(texts_of(expired)) == FIELDS_WITH_TEXT  # every free-text field really holds something
    before = {pk: aggregates(pk) for pk in (expired, kept, ongoing)}
    audit_before = AuditEvent.objects.count()

    # when the purge runs today with the default period (one year)
    with time_machine.travel(NOW, tick=False):
        report = purge_expired()

    # then the old consultation's every text is blank, and nothing else about it changed
    assert report.consultations == [expired] and report.messages == 3
    assert texts_of(expired) == []
    assert aggregates(expired) == before[expired]
    # and the others are untouched
    assert len(texts_of(kept)) == FIELDS_WITH_TEXT and aggregates(kept) == before[kept]
    assert len(texts_of(ongoing)) == FIELDS_WITH_TEXT - 5 and aggregates(ongoing) == before[ongoing]
    # and the purge left one audit row, with no free text and no actor (the worker did it)
    (row,) = AuditEvent.objects.filter(action=AUDIT_ACTION)
    assert (row.actor_id, row.object_type, row.object_id) == (None, "helpdesk.consultation", str(expired))
    assert AuditEvent.objects.count() == audit_before + 1
    # and the canary is nowhere in the database any more
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert old not in dump.getvalue() and recent in dump.getvalue()


def test_the_purge_is_idempotent_and_catches_up_as_time_passes(
    people: dict[str, User], django_assert_max_num_queries: Any
) -> None:
    # given consultations resolved 400 and 300 days ago, purged once today
    expired = consultation_lived(
        people, filed=NOW - timedelta(days=410), resolved=NOW - timedelta(days=400), text=canary()
    )
    later = consultation_lived(
        people, filed=NOW - timedelta(days=310), resolved=NOW - timedelta(days=300), text=canary()
    )
    with time_machine.travel(NOW, tick=False):
        assert purge_expired().consultations == [expired]
        # when it runs again the same day (as the background worker does every minute)
        with django_assert_max_num_queries(2):  # the purged one is not even visited
            again = purge_expired()
    # then nothing changes and nothing more is audited
    assert (again.consultations, again.messages) == ([], 0)
    assert AuditEvent.objects.filter(action=AUDIT_ACTION).count() == 1
    # and when the clock reaches the second one's anniversary, it goes too
    with time_machine.travel(NOW + timedelta(days=64), tick=False):
        assert purge_expired().consultations == []
    with time_machine.travel(NOW + timedelta(days=66), tick=False):
        assert purge_expired().consultations == [later]
    assert texts_of(later) == []


def test_the_period_is_configurable(people: dict[str, User], settings: Any) -> None:
    # given a consultation resolved 40 days ago and a 30-day period in the settings
    pk = consultation_lived(
        people, filed=NOW - timedelta(days=45), resolved=NOW - timedelta(days=40), text=canary()
    )
    settings.RETENTION_DAYS = 30
    with time_machine.travel(NOW, tick=False):
        # then an explicit longer period keeps it, and the configured one purges it
        assert purge_expired(days=60).consultations == []
        assert purge_expired().consultations == [pk]


@pytest.mark.parametrize("bad", [0, -5, "365", True, 1.5])
def test_a_nonsensical_period_is_refused(settings: Any, bad: Any) -> None:
    settings.RETENTION_DAYS = bad
    with pytest.raises(ImproperlyConfigured):
        retention.retention_days()


def test_a_conversation_that_went_on_after_resolution_waits(people: dict[str, User]) -> None:
    # given a consultation resolved 400 days ago in which the worker wrote again 100 days ago
    pk = consultation_lived(
        people, filed=NOW - timedelta(days=410), resolved=NOW - timedelta(days=400), text=canary()
    )
    with time_machine.travel(NOW - timedelta(days=100), tick=False):
        chat.message_send(
            actor=people["worker"], consultation_id=pk, client_id=uuid.uuid4(), body="まだ続けたい"
        )
    # when the purge runs
    with time_machine.travel(NOW, tick=False):
        report = purge_expired()
    # then it waits for the conversation's own year
    assert report.consultations == [] and len(texts_of(pk)) == FIELDS_WITH_TEXT + 1
