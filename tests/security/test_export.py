"""A person's own data as JSON (chat.export.export_for), and an administrator's account deletion.

What deletion keeps for the record is stated in docs/security.md ("Deleting an account").
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from axes.models import AccessAttempt, AccessFailureLog
from channels.layers import get_channel_layer
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import tokens
from accounts.export import ACCOUNT_DELETED, account_delete
from accounts.models import AccessToken, AuditEvent, User
from accounts.sockets import user_group
from chat import services as chat
from chat.export import DATA_EXPORTED, FORMAT, account_erase, data_export, export_for
from chat.models import Message, MessageKind
from helpdesk import workflow
from helpdesk.models import Consultation, ConsultationEvent
from helpdesk.services import CaseFacts, consultation_create
from tests.security.conftest import Cast, claimed, verify


def tag(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}"


# What conversation() has others write: never in the owner's download.
OTHERS_WORDS = ("peer_message", "note", "triage", "peer_reason", "other_question", "whisper", "circle_other")


def conversation(cast: Cast) -> dict[str, str]:
    """The owner's consultation with texts from everyone; returns the text each party wrote."""
    texts = {
        "question": tag("質問"),
        "worker_message": tag("相談者の発言"),
        "peer_message": tag("ピアの返信"),
        "note": tag("内部メモ"),
        "triage": tag("優先度の理由"),
        "peer_reason": tag("ピアの理由"),
        "other_question": tag("他の相談者の質問"),
        "whisper": tag("ささやき"),
        "circle_own": tag("サークルでの本人の発言"),
        "circle_other": tag("サークルでの他の人の発言"),
    }
    owner, peer = cast.users["owner"], cast.users["peer"]
    pk = cast.consultation.pk
    Consultation.objects.filter(pk=pk).update(question=texts["question"], triage_reasons=[texts["triage"]])
    claimed(cast)
    chat.message_send(actor=owner, consultation_id=pk, client_id=uuid.uuid4(), body=texts["worker_message"])
    chat.message_send(actor=peer, consultation_id=pk, client_id=uuid.uuid4(), body=texts["peer_message"])
    Message.objects.create(
        consultation_id=pk,
        seq=1,
        author=cast.users["supervisor"],
        kind=MessageKind.WHISPER,
        body=texts["whisper"],
    )
    workflow.note_add(actor=peer, consultation_id=pk, body=texts["note"])
    workflow.status_set(actor=peer, consultation_id=pk, status="waiting", reason=texts["peer_reason"])
    consultation_create(
        actor=cast.users["colleague"], facts=CaseFacts(category="burnout", question=texts["other_question"])
    )
    from chat.circles import circle_message_send
    from peer import circles

    supervisor = cast.users["supervisor"]
    room = circles.circle_create(actor=supervisor, name="夜勤明けの会", moderator=supervisor)
    circles.circle_member_add(actor=supervisor, circle_id=room.pk, user=owner)
    circle_message_send(actor=owner, circle_id=room.pk, client_id=uuid.uuid4(), body=texts["circle_own"])
    circle_message_send(
        actor=supervisor, circle_id=room.pk, client_id=uuid.uuid4(), body=texts["circle_other"]
    )
    return texts


def test_a_worker_downloads_their_own_data_and_nothing_else(cast: Cast) -> None:
    # given a conversation with texts from the worker, the peer, a supervisor and a colleague
    texts = conversation(cast)
    owner = cast.users["owner"]
    verify(Client(), owner)  # enrolled and logged in
    _token, raw_token = tokens.token_create(actor=owner, name="集計", session_verified=True)
    # when the worker downloads their data
    exported = data_export(actor=owner)
    document = json.dumps(exported, ensure_ascii=False)  # it is plain JSON
    # then it holds their account, their consultation's texts and their own messages
    assert exported["format"] == FORMAT
    assert exported["account"]["username"] == owner.username
    assert exported["account"]["pseudonym"] == "みどり"
    assert exported["account"]["access_tokens"][0]["name"] == "集計"
    (consultation,) = exported["consultations"]
    assert consultation["id"] == cast.consultation.pk and consultation["question"] == texts["question"]
    assert [m["body"] for m in exported["messages"]] == [texts["worker_message"]]
    assert [m["body"] for m in exported["circle_messages"]] == [texts["circle_own"]]
    assert {e["kind"] for e in consultation["events"]} >= {"created", "claimed", "status"}
    # and none of what others wrote, what responders keep among themselves, or any secret
    for private in OTHERS_WORDS:
        assert texts[private] not in document, private
    device = TOTPDevice.objects.get(user=owner)
    for secret in (raw_token, owner.password, device.key, AccessToken.objects.get(user=owner).token_hash):
        assert secret not in document
    # and the download itself is audited
    assert AuditEvent.objects.filter(action=DATA_EXPORTED, actor=owner, object_id=str(owner.pk)).count() == 1


def test_a_responder_downloads_the_messages_they_wrote(cast: Cast) -> None:
    texts = conversation(cast)
    exported = export_for(cast.users["peer"])
    assert exported["consultations"] == []
    assert [m["body"] for m in exported["messages"]] == [texts["peer_message"]]
    assert texts["note"] not in json.dumps(exported, ensure_ascii=False)
    supervisor = export_for(cast.users["supervisor"])
    assert [(m["kind"], m["body"]) for m in supervisor["messages"]] == [("whisper", texts["whisper"])]


def _everything_stored() -> str:
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    sessions = [json.dumps(s.get_decoded(), ensure_ascii=False) for s in Session.objects.all()]
    return dump.getvalue() + "\n".join(sessions)


def test_an_admin_deletes_an_account_and_only_anonymised_aggregates_remain(
    cast: Cast, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given a worker with a consultation, a conversation, a token, sessions, a failed login and admin history
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    owner, admin = cast.users["owner"], cast.users["admin"]
    User.objects.filter(pk=owner.pk).update(email="midori@example.jp")
    texts = conversation(cast)
    identifying = [owner.username, owner.display_name, owner.pseudonym, "midori@example.jp"]
    _token, raw_token = tokens.token_create(actor=owner, name="集計", session_verified=True)
    browser = verify(Client(), owner)
    Client(REMOTE_ADDR="203.0.113.4").post(
        "/accounts/login/", {"username": owner.username, "password": "wrong-password-1", "otp_token": ""}
    )
    assert AccessAttempt.objects.filter(username=owner.username).exists()
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(owner.pk),
        object_repr=owner.display_name,
        action_flag=CHANGE,
        change_message="[]",
    )
    layer = get_channel_layer()
    socket = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(user_group(owner.pk), socket)
    counts_before = (
        Consultation.objects.filter(worker=owner).count(),
        Message.objects.filter(consultation=cast.consultation).count(),
        ConsultationEvent.objects.filter(consultation=cast.consultation).count(),
    )

    # when an administrator deletes the account
    with django_capture_on_commit_callbacks(execute=True):
        report = account_erase(actor=admin, user=owner)

    # then the texts of the person's consultation are gone, the numbers are not
    assert report.consultations == [cast.consultation.pk] and report.messages == 3
    assert counts_before == (
        Consultation.objects.filter(worker=owner).count(),
        Message.objects.filter(consultation=cast.consultation).count(),
        ConsultationEvent.objects.filter(consultation=cast.consultation).count(),
    )
    stored = _everything_stored()
    for text in [
        *identifying,
        texts["question"],
        texts["worker_message"],
        texts["peer_message"],
        texts["note"],
    ]:
        assert text not in stored, text
    # and the colleague's consultation is untouched
    assert texts["other_question"] in stored
    # and the account is an anonymous, inactive row that nothing can log into
    owner.refresh_from_db()
    assert owner.username == f"deleted-{owner.pk}" and not owner.is_active and not owner.has_usable_password()
    assert (owner.display_name, owner.pseudonym, owner.email, owner.professions) == ("", "", "", [])
    assert (
        not TOTPDevice.objects.filter(user=owner).exists()
        and not AccessToken.objects.filter(user=owner).exists()
    )
    assert not AccessFailureLog.objects.filter(username__in=identifying).exists()
    assert browser.get("/").status_code == 302
    api = Client(headers={"Authorization": f"Bearer {raw_token}"}).get("/api/v1/consultations/")
    assert api.status_code == 401
    # and their open sockets were told to close
    assert async_to_sync(layer.receive)(socket) == {"type": "session.ended"}
    # and the deletion is audited without free text
    row = AuditEvent.objects.get(action=ACCOUNT_DELETED)
    assert (row.actor_id, row.object_type, row.object_id) == (admin.pk, "accounts.user", str(owner.pk))
    # and the download of the deleted account holds nothing that identifies anyone
    leftover = json.dumps(export_for(owner), ensure_ascii=False)
    for text in identifying:
        assert text not in leftover


def test_a_deleted_responders_replies_stay_with_the_workers_record_under_an_anonymous_name(
    cast: Cast,
) -> None:
    texts = conversation(cast)
    account_erase(actor=cast.users["admin"], user=cast.users["peer"])
    reply = Message.objects.get(consultation=cast.consultation, body=texts["peer_message"])
    assert reply.author.get_full_name() == f"deleted-{cast.users['peer'].pk}"
    assert texts["worker_message"] in Message.objects.values_list("body", flat=True)


@pytest.mark.parametrize("actor_role", ["supervisor", "peer", "owner", "self"])
def test_only_an_administrator_deletes_accounts_and_never_their_own(cast: Cast, actor_role: str) -> None:
    actor = cast.users["admin" if actor_role == "self" else actor_role]
    target = cast.users["admin"] if actor_role == "self" else cast.users["colleague"]
    conversation(cast)
    for delete in (account_erase, account_delete):
        with pytest.raises(PermissionDenied):
            delete(actor=actor, user=target)
    assert User.objects.get(pk=target.pk).is_active
    assert Consultation.objects.filter(question="").count() == 0


def test_deleting_twice_changes_nothing_more(cast: Cast, make_user: Callable[..., User]) -> None:
    conversation(cast)
    account_erase(actor=cast.users["admin"], user=cast.users["owner"])
    second = account_erase(actor=cast.users["admin"], user=cast.users["owner"])
    assert second.messages == 0
    assert User.objects.get(pk=cast.users["owner"].pk).username == f"deleted-{cast.users['owner'].pk}"


def peer_data(cast: Cast) -> dict[str, Any]:
    """The peer's profile, a weekly shift, languages, a course an admin recorded and two self-checks."""
    from datetime import date, time

    from peer import services as peer_services

    peer = cast.users["peer"]
    course = tag("傾聴の基礎研修")
    peer_services.shifts_set(actor=peer, shifts=[peer_services.Shift(weekday=0, start=time(9), end=time(17))])
    peer_services.languages_set(actor=peer, languages=["ja", "en"])
    peer_services.training_record(
        actor=cast.users["admin"],
        responder=peer,
        level="intermediate",
        completed_on=date(2025, 4, 1),
        course=course,
    )
    answers = {f"p{n}": 75 for n in range(1, 7)} | {f"w{n}": 50 for n in range(1, 8)}
    for _ in range(2):
        peer_services.selfcheck_submit(actor=peer, answers=answers)
    peer_services.selfcheck_submit(actor=cast.users["peer2"], answers=answers)
    return {"course": course, "answers": answers}


def test_the_download_holds_the_persons_peer_support_data(cast: Cast) -> None:
    # given a peer with a profile, a shift, a training record and self-checks, and a worker in a circle
    conversation(cast)  # first: the shift below may end the peer's duty
    given = peer_data(cast)
    # when each downloads their data
    peer = export_for(cast.users["peer"])["peer"]
    owner = export_for(cast.users["owner"])["peer"]
    # then the peer's holds their own profile, shift, course and self-checks
    assert peer["responder_profile"]["languages"] == ["en", "ja"]
    assert peer["responder_profile"]["training_level"] == "intermediate"
    assert peer["shifts"] == [{"weekday": 0, "start": "09:00:00", "end": "17:00:00"}]
    assert [(r["level"], r["course"], r["completed_on"]) for r in peer["training_records"]] == [
        ("intermediate", given["course"], "2025-04-01")
    ]
    assert [c["answers"] for c in peer["self_checks"]] == [given["answers"]] * 2  # not peer2's
    assert all(c["personal_score"] == 75.0 and c["work_score"] == 50.0 for c in peer["self_checks"])
    assert cast.users["admin"].display_name not in json.dumps(peer, ensure_ascii=False)  # who recorded it
    # and the worker's holds the circle they belong to and no profile
    assert owner["responder_profile"] is None and owner["self_checks"] == []
    assert [(c["name"], c["moderator"]) for c in owner["circles"]] == [("夜勤明けの会", False)]


def test_deleting_an_account_deletes_its_self_checks_shifts_and_profile_and_keeps_training_anonymous(
    cast: Cast,
) -> None:
    from peer.models import ResponderProfile, SelfCheck, ShiftSlot, TrainingRecord

    # given a peer with peer-support data, and another peer's self-check
    given = peer_data(cast)
    peer = cast.users["peer"]
    # when an administrator deletes the peer's account
    report = account_erase(actor=cast.users["admin"], user=peer)
    # then their self-checks, shifts and profile are gone; the other peer's self-check stays
    assert (report.self_checks, report.shifts) == (2, 1)
    assert not SelfCheck.objects.filter(user=peer).exists()
    assert SelfCheck.objects.filter(user=cast.users["peer2"]).count() == 1
    assert not ShiftSlot.objects.filter(profile__user=peer).exists()
    assert not ResponderProfile.objects.filter(user=peer).exists()
    # and the training record stays, under the anonymous account
    record = TrainingRecord.objects.get(user=peer)
    assert (record.level, record.course, record.user.username) == (
        "intermediate",
        given["course"],
        f"deleted-{peer.pk}",
    )
    left = export_for(peer)["peer"]
    assert (left["responder_profile"], left["shifts"], left["self_checks"]) == (None, [], [])
    # and a second deletion finds nothing more
    assert (account_erase(actor=cast.users["admin"], user=peer).self_checks) == 0


def after_care(cast: Cast) -> dict[str, str]:
    """The owner's consultation resolved, with feedback and a follow-up from the worker, a reflection
    and a debrief request from the responder who handled it."""
    from helpdesk.models import DebriefRequest, Feedback, FollowUp, Reflection

    texts = {name: tag(name) for name in ("feedback", "follow_up", "reflection", "debrief", "note")}
    claimed(cast)
    c, peer = cast.consultation, cast.users["peer"]
    workflow.note_add(actor=peer, consultation_id=c.pk, body=texts["note"])
    workflow.status_set(actor=peer, consultation_id=c.pk, status="resolved")
    Feedback.objects.create(consultation=c, helpfulness=4, comment=texts["feedback"])
    FollowUp.objects.create(consultation=c, outcome="better", answer=texts["follow_up"])
    Reflection.objects.create(consultation=c, author=peer, body=texts["reflection"])
    DebriefRequest.objects.create(consultation=c, requested_by=peer, note=texts["debrief"])
    return texts


def test_the_download_holds_what_the_person_wrote_in_after_care_and_nothing_of_others(cast: Cast) -> None:
    texts = after_care(cast)
    worker = export_for(cast.users["owner"])["after_care"]
    assert [(row["helpfulness"], row["comment"]) for row in worker["feedback"]] == [(4, texts["feedback"])]
    assert [row["answer"] for row in worker["follow_ups"]] == [texts["follow_up"]]
    assert worker["reflections"] == worker["debrief_requests"] == []
    peer = export_for(cast.users["peer"])
    assert [row["body"] for row in peer["after_care"]["reflections"]] == [texts["reflection"]]
    assert [row["note"] for row in peer["after_care"]["debrief_requests"]] == [texts["debrief"]]
    assert peer["after_care"]["feedback"] == peer["after_care"]["follow_ups"] == []
    assert texts["feedback"] not in json.dumps(peer, ensure_ascii=False)


def test_erasing_a_responder_blanks_their_reflections_and_debrief_notes_and_keeps_the_workers_record(
    cast: Cast,
) -> None:
    from helpdesk.models import DebriefRequest, Feedback, PrivateNote, Reflection

    texts = after_care(cast)
    report = account_erase(actor=cast.users["admin"], user=cast.users["peer"])
    assert report.care_texts == 2
    stored = _everything_stored()
    assert texts["reflection"] not in stored and texts["debrief"] not in stored
    assert Reflection.objects.count() == DebriefRequest.objects.count() == 1  # the rows (counts) stay
    # the worker's own record is theirs: the feedback, and the responder's note about the case, stay
    assert Feedback.objects.get().comment == texts["feedback"]
    assert PrivateNote.objects.get().body == texts["note"]
