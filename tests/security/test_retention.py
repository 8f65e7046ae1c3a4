"""Retention: texts of consultations closed longer than the period are purged, aggregates stay, audited.

chat.retention.purge_expired (chat bodies) with helpdesk.retention (consultation texts), old peer-circle
messages, several purges at once; clock moved with time_machine. The worker that runs the purge and
RETENTION_DAYS from the environment: test_background_jobs.py.
"""

from __future__ import annotations

import io
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection, transaction

from accounts.models import AuditEvent, Role, User
from chat import circles as circle_chat
from chat import services as chat
from chat.models import CircleMessage, Message, MessageKind
from chat.retention import (
    AUDIT_ACTION,
    CIRCLE_AUDIT_ACTION,
    circle_messages_purge_expired,
    purge_expired,
    run_retention,
)
from helpdesk import defaults, retention, workflow
from helpdesk.models import (
    Consultation,
    ConsultationEvent,
    DebriefRequest,
    Feedback,
    FollowUp,
    PrivateNote,
    Queue,
    Reflection,
    RoutingRule,
    Transfer,
)
from helpdesk.services import CaseFacts, consultation_create
from peer import circles
from peer.models import Circle, ResponderProfile

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2027, 4, 1, 10, 0, tzinfo=TOKYO)
ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


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


# --- Peer circles ------------------------------------------------------------------------------


def circle_with_members(make_user: Callable[..., User], name: str) -> tuple[Circle, list[User]]:
    moderator = make_user(Role.PEER, display_name="試験 モデレーター")
    ResponderProfile.objects.create(user=moderator, training_level="leader")
    circle = circles.circle_create(actor=make_user(Role.SUPERVISOR), name=name, moderator=moderator)
    member = make_user(Role.WORKER)
    circles.circle_member_add(actor=moderator, circle_id=circle.pk, user=member)
    return circle, [moderator, member]


def circle_say(circle: Circle, author: User, *, at: datetime, body: str) -> CircleMessage:
    with time_machine.travel(at, tick=False):
        sent = circle_chat.circle_message_send(
            actor=author, circle_id=circle.pk, client_id=uuid.uuid4(), body=body
        )
    assert isinstance(sent.message, CircleMessage)
    return sent.message


def circle_rows(circle: Circle) -> list[tuple[Any, ...]]:
    return list(
        CircleMessage.objects.filter(circle=circle)
        .order_by("seq")
        .values_list("seq", "author_id", "client_id", "created_at")
    )


def test_old_circle_messages_are_blanked_recent_ones_kept_audited_once_per_circle(
    make_user: Callable[..., User],
) -> None:
    # given a circle with messages 400, 366, 200 and 10 days old, and a circle with only recent ones
    circle, (moderator, member) = circle_with_members(make_user, "夜の語り場")
    quiet, (quiet_moderator, _) = circle_with_members(make_user, "朝の語り場")
    texts = {age: canary() for age in (400, 366, 200, 10)}
    for age, text in texts.items():
        circle_say(circle, member if age % 2 else moderator, at=NOW - timedelta(days=age), body=text)
    circle_say(quiet, quiet_moderator, at=NOW - timedelta(days=3), body=canary())
    rows_before = circle_rows(circle)
    audit_before = AuditEvent.objects.count()

    # when the purge runs today with the default period (one year)
    with time_machine.travel(NOW, tick=False):
        report = circle_messages_purge_expired()

    # then the two messages older than a year are blank, the others untouched, rows and seqs kept
    bodies = CircleMessage.objects.filter(circle=circle).order_by("seq").values_list("body", flat=True)
    assert report.circles == [circle.pk] and report.messages == 2
    assert list(bodies) == ["", "", texts[200], texts[10]]
    assert circle_rows(circle) == rows_before
    assert CircleMessage.objects.filter(circle=quiet).exclude(body="").count() == 1
    # and one audit row for the circle, without actor or text
    (row,) = AuditEvent.objects.filter(action=CIRCLE_AUDIT_ACTION)
    assert (row.actor_id, row.object_type, row.object_id) == (None, "peer.circle", str(circle.pk))
    assert AuditEvent.objects.count() == audit_before + 1
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert texts[400] not in dump.getvalue() and texts[366] not in dump.getvalue()

    # when it runs again the same day: nothing changes and nothing more is audited
    with time_machine.travel(NOW, tick=False):
        again = circle_messages_purge_expired()
    assert (again.circles, again.messages) == ([], 0)
    assert AuditEvent.objects.filter(action=CIRCLE_AUDIT_ACTION).count() == 1
    # and when the 200-day-old message turns one year old, it goes too, with a second audit row
    with time_machine.travel(NOW + timedelta(days=166), tick=False):
        later = run_retention()
    assert (later["purged_circles"], later["purged_circle_messages"]) == (1, 1)
    assert texts[200] not in CircleMessage.objects.values_list("body", flat=True)
    assert AuditEvent.objects.filter(action=CIRCLE_AUDIT_ACTION, object_id=str(circle.pk)).count() == 2


# --- Several worker replicas ------------------------------------------------------------------


def waiting_on_locks() -> int:
    """Other sessions of this database blocked on a lock right now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else a transaction sees its first snapshot
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        (count,) = cursor.fetchone() or (0,)
    return int(count)


def race(purge: Callable[[], T], *, hold: Callable[[], object]) -> list[T]:
    """Two purges at once: both start while `hold` keeps a row locked, and go on together once it is freed.

    Both have chosen their candidates when they block, so each sees every expired row as its own.
    """
    results: list[T] = []
    errors: list[BaseException] = []

    def replica() -> None:
        try:
            results.append(purge())
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=replica) for _ in range(2)]
    with transaction.atomic():
        hold()
        for thread in threads:
            thread.start()
        for _ in range(400):
            if waiting_on_locks() >= 2:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the two purges never both waited for the held row")
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, [type(error).__name__ for error in errors]
    assert len(results) == 2
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_purges_purge_and_audit_each_consultation_and_circle_once(
    make_user: Callable[..., User],
) -> None:
    # given (after a transactional test's flush) the default queues, five expired consultations, and
    # three circles with old messages
    assert connection.vendor == "postgresql"
    if not Queue.objects.exists():
        defaults.install(Queue, RoutingRule)
    peer = make_user(Role.PEER, display_name="試験 ピア")
    ResponderProfile.objects.create(user=peer, on_duty=True, capacity=20)
    expert = make_user(Role.EXPERT)
    ResponderProfile.objects.create(user=expert, on_duty=True, capacity=20)
    people = {"worker": make_user(Role.WORKER), "peer": peer, "expert": expert}
    expired = [
        consultation_lived(
            people, filed=NOW - timedelta(days=410), resolved=NOW - timedelta(days=400), text=canary()
        )
        for _ in range(5)
    ]
    rooms = [circle_with_members(make_user, f"語り場{n}") for n in range(3)]
    for circle, (moderator, member) in rooms:
        for author in (moderator, member):
            circle_say(circle, author, at=NOW - timedelta(days=400), body=canary())

    # when two worker replicas purge at the same moment, both having seen every expired consultation
    reports = race(
        lambda: purge_expired(now=NOW),
        hold=lambda: Consultation.objects.select_for_update().get(pk=expired[0]),
    )
    # then each consultation was purged and audited by exactly one of them
    assert sorted(reports[0].consultations + reports[1].consultations) == expired
    assert reports[0].messages + reports[1].messages == 3 * len(expired)
    audited = AuditEvent.objects.filter(action=AUDIT_ACTION).values_list("object_id", flat=True)
    assert sorted(audited, key=int) == [str(pk) for pk in expired]
    assert all(texts_of(pk) == [] for pk in expired)

    # and the same for circles
    circle_reports = race(
        lambda: circle_messages_purge_expired(now=NOW),
        hold=lambda: Circle.objects.select_for_update().get(pk=rooms[0][0].pk),
    )
    assert sorted(circle_reports[0].circles + circle_reports[1].circles) == [c.pk for c, _ in rooms]
    assert circle_reports[0].messages + circle_reports[1].messages == 2 * len(rooms)
    audited = AuditEvent.objects.filter(action=CIRCLE_AUDIT_ACTION).values_list("object_id", flat=True)
    assert sorted(audited, key=int) == [str(c.pk) for c, _ in rooms]
    assert not CircleMessage.objects.exclude(body="").exists()
