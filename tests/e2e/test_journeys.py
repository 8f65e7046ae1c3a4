"""The whole journey in a real browser (issue 9): five scenarios, several people at once.

Names, places and numbers below are fictional.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable

import pyotp
import pytest
from django.urls import Resolver404, resolve

from accounts.models import Role, User
from helpdesk import defaults, deid, services, workflow
from helpdesk.models import Consultation, Queue, RoutingRule
from helpdesk.models.routing import Transfer, TransferState
from peer.models import ResponderProfile, TrainingLevel
from tests.e2e.helpers import (
    LIVE_TIMEOUT_MS,
    WEBSOCKET_CLOSE_CODE,
    Actor,
    fill_consultation,
    preview,
    send_consultation,
    shoot,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OpenActor = Callable[[str], Actor]
MakeUser = Callable[..., User]

# A hard case with two names, a place, a phone number, a café and a nickname (all fictional).
HARD_CASE = (
    "本人の田中 太郎さんは横浜市港北区で母の田中 花子さんと暮らしている。母の携帯は090-0000-1234。"
    "本人は近所の喫茶ひまわりにだけは通っていて、店ではポン太と呼ばれている。半年前から支援を拒否している。"
)
RAW_IDENTIFIERS = ("田中", "太郎", "花子", "横浜", "港北", "090", "1234", "ひまわり", "ポン太")
MISSED_PHRASE = "喫茶ひまわり"  # the detector does not know this café: the worker adds it in the preview
URGENT_SUMMARY = "本人が『もう消えたい』と話し、ロープを買ったらしい。"


@pytest.fixture(autouse=True)
def _queues() -> None:
    """The default queues and rules (the data migration's rows are flushed between transactional tests)."""
    defaults.install(Queue, RoutingRule)


def expect_live_notice(person: Actor, text: str) -> None:
    from playwright.sync_api import expect

    notice = person.page.locator("#live-notice")
    expect(notice).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(notice).to_contain_text(text)


def on_duty(user: User, level: str = TrainingLevel.NOVICE) -> User:
    ResponderProfile.objects.create(user=user, on_duty=True, training_level=level)
    return user


def assert_no_js_errors(*people: Actor) -> None:
    errors = {person.name: person.js_errors for person in people if person.js_errors}
    assert not errors, f"JavaScript errors: {errors}"


# --- 1 ------------------------------------------------------------------------------------------


def test_new_worker_enrols_and_files_a_hard_case_that_is_stored_with_placeholders_only(
    actor: OpenActor, make_user: MakeUser
) -> None:
    from playwright.sync_api import expect

    worker = make_user(Role.WORKER, username="e2e.sakura", display_name="試験 さくら", pseudonym="はるかぜ")
    me = actor("worker")
    page = me.page

    page.goto("/accounts/login/")
    shoot(page, "01-login")
    me.submit_login(worker.username, code="")  # first login: no code yet
    page.wait_for_url("**/accounts/enrol/")
    shoot(page, "02-enrol")
    uri = page.locator("#otp-uri").text_content() or ""
    assert uri.startswith("otpauth://totp/")
    authenticator = pyotp.parse_uri(uri)  # what the phone app does with the QR code
    assert isinstance(authenticator, pyotp.TOTP)
    page.fill("#id_otp_token", authenticator.now())
    page.locator("#main button.primary").click()
    expect(page.locator("#backup-codes li")).to_have_count(10)
    shoot(page, "03-backup-codes")
    page.locator("#main a.button.primary").click()
    page.wait_for_url(re.compile(r"/$"))
    shoot(page, "04-home-worker")

    fill_consultation(
        page,
        question="支援を拒む本人への次の関わり方について助言がほしいです。",
        summary=HARD_CASE,
    )
    shoot(page, "05-intake")
    preview(page)
    final = page.locator("#final-summary")
    expect(final).to_contain_text("【人物A】")
    for raw in ("田中", "横浜", "090-0000-1234"):
        expect(final).not_to_contain_text(raw)
    shoot(page, "06-preview")

    # The correction: the café was missed; the worker types it and marks it as an organisation.
    page.fill("#summary-new-phrase", MISSED_PHRASE)
    page.select_option("#summary-new-label", "ORG")
    preview(page)
    expect(final).not_to_contain_text("ひまわり")
    expect(page.locator("#review-summary label.span", has_text=MISSED_PHRASE)).to_have_count(1)
    shoot(page, "07-preview-corrected")
    consultation_id = send_consultation(page)

    stored = Consultation.objects.get(pk=consultation_id, worker=worker).summary
    leaked = [raw for raw in RAW_IDENTIFIERS if raw in stored]
    assert not leaked, f"raw identifiers stored: {leaked} in {stored!r}"
    assert re.findall(r"【[^】]+】", stored), stored
    assert deid.remaining_identifiers(stored) == []
    expect(page.locator("#summary")).to_have_text(stored)
    shoot(page, "08-consultation-worker")
    assert_no_js_errors(me)


# --- 2 ------------------------------------------------------------------------------------------


def test_peer_on_duty_sees_it_live_claims_it_and_the_chat_survives_the_worker_going_offline(
    actor: OpenActor, enrolled: MakeUser
) -> None:
    from playwright.sync_api import expect

    worker = enrolled(Role.WORKER, username="e2e.asahi", display_name="試験 あさひ", pseudonym="あさひ")
    peer = on_duty(enrolled(Role.PEER, username="e2e.peer", display_name="試験 ピアサポーター"))

    supporter = actor("peer")
    supporter.login(peer)
    supporter.page.goto("/consultations/queue/")
    supporter.wait_socket_open("/ws/notifications/")
    expect(supporter.page.locator("#waiting")).to_have_count(0)  # nobody waiting yet
    shoot(supporter.page, "09-queue-empty")

    me = actor("worker")
    me.login(worker)
    fill_consultation(
        me.page,
        question="本人が面談を断り続けています。関わり方を一緒に考えてほしいです。",
        summary="本人は半年前から訪問を断っている。母親は疲れ切っている。",
    )
    preview(me.page)
    consultation_id = send_consultation(me.page)
    row_link = supporter.page.locator(f'#waiting a[href="/consultations/{consultation_id}/"]')

    # The peer's open queue page is told at once (no reload).
    expect_live_notice(supporter, "新しい相談が受付キューに入りました")
    shoot(supporter.page, "10-queue-live-notice")
    if row_link.count() == 0:
        warnings.warn(
            "the queue table does not update live: only the #live-notice banner appears; "
            "the new row shows after a reload",
            stacklevel=1,
        )
        supporter.page.reload()
    expect(row_link).to_have_count(1)
    shoot(supporter.page, "11-queue")
    supporter.page.locator(f'form[action="/consultations/{consultation_id}/claim/"] button').click()
    supporter.page.wait_for_url(f"**/consultations/{consultation_id}/")
    assert Consultation.objects.get(pk=consultation_id).assignee_id == peer.pk

    supporter.wait_socket_open("/ws/consultations/")
    me.wait_socket_open("/ws/consultations/")
    supporter.chat_send("こんにちは。ピアサポーターです。ゆっくりで大丈夫なので、お話を聞かせてください。")
    me.wait_chat_message("ゆっくりで大丈夫")
    me.chat_send("ありがとうございます。訪問を断られるたびに、自分のやり方が悪いのかと落ち込みます。")
    supporter.wait_chat_message("落ち込みます")
    shoot(supporter.page, "12-chat-peer")
    shoot(me.page, "13-chat-worker")

    # The worker's connection drops while they type and send; the peer keeps writing meanwhile.
    me.cut_network()
    expect(me.page.locator("#chat-state")).to_have_class(re.compile("offline"))
    me.chat_send("電波が悪いので、届くかわかりませんが続けます。")
    supporter.chat_send("落ち込むのは、それだけ真剣に関わってこられたからだと思います。")
    me.chat_send("母親の疲れも心配で、誰に相談すればよいか迷っています。")
    expect(me.page.locator("#chat-log li.pending")).to_have_count(2)
    shoot(me.page, "14-chat-worker-offline")
    me.restore_network()

    expect(me.page.locator("#chat-log li.pending")).to_have_count(0, timeout=30_000)
    for person in (me, supporter):
        expect(person.page.locator("#chat-log li.msg:not(.pending) .body")).to_have_count(5)
    worker_sees, peer_sees = me.chat_messages(), supporter.chat_messages()
    assert worker_sees == peer_sees
    assert worker_sees[-1].startswith("母親の疲れも心配") and len(set(worker_sees)) == 5
    shoot(me.page, "15-chat-worker-reconnected")
    assert_no_js_errors(me, supporter)


# --- 3 ------------------------------------------------------------------------------------------


def test_urgent_consultation_alerts_expert_and_supervisor_live_and_shows_the_emergency_protocol(
    actor: OpenActor, enrolled: MakeUser
) -> None:
    from playwright.sync_api import expect

    worker = enrolled(Role.WORKER, username="e2e.kaede", display_name="試験 かえで", pseudonym="かえで")
    expert = on_duty(enrolled(Role.EXPERT, username="e2e.expert", display_name="試験 専門職"))
    supervisor = enrolled(Role.SUPERVISOR, username="e2e.sv", display_name="試験 スーパーバイザー")

    specialist = actor("expert")
    specialist.login(expert)
    specialist.page.goto("/consultations/queue/")
    lead = actor("supervisor")
    lead.login(supervisor)
    lead.page.goto("/")
    for person in (specialist, lead):
        person.wait_socket_open("/ws/notifications/")

    me = actor("worker")
    me.login(worker)
    fill_consultation(
        me.page,
        question="今夜どう対応すればよいか、すぐに助言がほしいです。",
        summary=URGENT_SUMMARY,
        subtype="suicidal_self_harm",
        responder="either",
    )
    preview(me.page)
    consultation_id = send_consultation(me.page)
    assert Consultation.objects.get(pk=consultation_id).priority == "urgent"

    protocol = me.page.locator("aside.emergency")
    expect(protocol).to_be_visible()
    for number in ("110", "119", "189"):
        expect(protocol).to_contain_text(number)
    shoot(me.page, "16-urgent-worker")

    for person in (specialist, lead):
        expect_live_notice(person, f"緊急の相談が届きました（#{consultation_id}）")
        expect(person.page.locator("#live-notice")).to_have_class(re.compile(r"\burgent\b"))
    shoot(lead.page, "17-urgent-notice-supervisor")
    specialist.page.locator("#live-notice a").click()
    specialist.page.wait_for_url(f"**/consultations/{consultation_id}/")
    expect(specialist.page.locator("aside.emergency")).to_be_visible()
    for number in ("110", "119", "189"):
        expect(specialist.page.locator("aside.emergency")).to_contain_text(number)
    shoot(specialist.page, "18-urgent-expert")
    assert_no_js_errors(me, specialist, lead)


# --- 4 ------------------------------------------------------------------------------------------


def dashboard_wired() -> bool:
    try:
        resolve("/dashboard/")
    except Resolver404:
        return False  # being built elsewhere: the live-number check is left out until it is wired
    return True


def test_peer_escalates_the_supervisor_whispers_unseen_by_the_worker_and_the_expert_takes_over(
    actor: OpenActor, enrolled: MakeUser
) -> None:
    from playwright.sync_api import expect

    worker = enrolled(Role.WORKER, username="e2e.minato", display_name="試験 みなと", pseudonym="みなと")
    peer = on_duty(enrolled(Role.PEER, username="e2e.peer4", display_name="試験 ピア四"))
    expert = on_duty(enrolled(Role.EXPERT, username="e2e.expert4", display_name="試験 専門職四"))
    supervisor = enrolled(Role.SUPERVISOR, username="e2e.sv4", display_name="試験 SV四")
    consultation = services.consultation_create(
        actor=worker,
        facts=services.CaseFacts(
            category="hard_case",
            subtype="problem_8050",
            requested_responder="peer",
            question="80代の両親と50代の本人の世帯で、今後の生活の見通しについて相談したいです。",
        ),
    )
    workflow.claim(actor=peer, consultation_id=consultation.pk)
    path = f"/consultations/{consultation.pk}/"
    has_dashboard = dashboard_wired()

    me, supporter, specialist, lead = actor("worker"), actor("peer"), actor("expert"), actor("supervisor")
    for person, user in ((me, worker), (supporter, peer), (specialist, expert), (lead, supervisor)):
        person.login(user)
    me.page.goto(path)
    supporter.page.goto(path)
    specialist.page.goto("/consultations/queue/")
    lead.page.goto("/dashboard/" if has_dashboard else "/")  # the supervisor's first tab stays here
    for person in (me, supporter):
        person.wait_socket_open("/ws/consultations/")
    for person in (specialist, lead):
        person.wait_socket_open("/ws/notifications/")

    supporter.chat_send("生活費のことも含めて、専門職にもつなぎますね。")
    me.wait_chat_message("専門職にもつなぎます")

    supporter.page.select_option("#escalate-queue", "expert-general")
    supporter.page.fill("#escalate-reason", "8050世帯の生活設計と制度利用の見立てが必要なため")
    supporter.page.locator(f'form[action="{path}escalate/"] button').click()
    supporter.page.wait_for_url(f"**{path}")
    assert Consultation.objects.get(pk=consultation.pk).status == "escalated"
    expect_live_notice(specialist, f"引き継ぎの依頼があります（#{consultation.pk}）")
    expect_live_notice(lead, f"#{consultation.pk}")

    # The supervisor opens the consultation in a second tab and observes (chat role observer).
    observer = lead.new_tab("supervisor (consultation tab)")
    observer.page.goto(path)
    expect(observer.page.locator("#chat .sv-banner")).to_be_visible()
    expect(observer.page.locator("#chat-whisper")).to_be_checked()
    observer.wait_socket_open("/ws/consultations/")
    observer.wait_chat_message("専門職にもつなぎます")  # the observer reads the conversation
    observer.chat_send("SVより：まずご本人の安全と、ご両親の負担の両方を確認してみてください。")
    supporter.wait_chat_message("ご両親の負担の両方", whisper=True)
    observer.wait_chat_message("ご両親の負担の両方", whisper=True)
    shoot(supporter.page, "19-chat-peer-whisper")
    shoot(observer.page, "20-chat-supervisor-observer")

    # A later message reaches the worker, so their socket was live when the whisper went out.
    supporter.chat_send("少し整理してから、またお返事しますね。")
    me.wait_chat_message("少し整理してから")
    assert "ご両親の負担の両方" not in me.page.content()
    me.page.reload()  # and a full replay from the database does not bring it either
    me.wait_socket_open("/ws/consultations/")
    me.wait_chat_message("少し整理してから")
    assert "ご両親の負担の両方" not in me.page.content()
    expect(me.page.locator("#chat-log li.whisper")).to_have_count(0)
    shoot(me.page, "21-chat-worker-escalated")

    # The expert accepts the handover; the peer's chat closes; the dashboard moves the case live.
    live_rows = lead.page.locator("#table-live tbody tr")  # the dashboard's per-queue table
    peer_queue, expert_queue = (Queue.objects.get(slug=slug).name for slug in ("peer", "expert-general"))
    if has_dashboard:
        expect(live_rows.filter(has_text=peer_queue)).to_have_count(1)
        expect(live_rows.filter(has_text=expert_queue)).to_have_count(0)
    transfer = Transfer.objects.get(consultation=consultation, state=TransferState.PENDING)
    specialist.page.reload()
    specialist.page.locator(
        f'form[action="/consultations/transfers/{transfer.pk}/"] button[value=accept]'
    ).click()
    specialist.page.wait_for_url(f"**{path}")
    assert Consultation.objects.get(pk=consultation.pk).assignee_id == expert.pk
    expect(supporter.page.locator("#chat-state")).to_have_text("この相談には参加できません。")
    specialist.wait_socket_open("/ws/consultations/")
    specialist.chat_send("専門職の者です。ここからは私が一緒に考えます。")
    me.wait_chat_message("ここからは私が一緒に考えます")
    if has_dashboard:  # without a reload: the case (active 1) now counts in the expert queue's row
        expect(live_rows.filter(has_text=expert_queue)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
        expect(live_rows.filter(has_text=peer_queue)).to_have_count(0)
        shoot(lead.page, "22-dashboard-after-handover")
    assert_no_js_errors(me, supporter, specialist, lead, observer)


# --- 5 ------------------------------------------------------------------------------------------


def test_another_worker_cannot_open_the_consultation_by_url_or_websocket(
    actor: OpenActor, enrolled: MakeUser
) -> None:
    from playwright.sync_api import expect

    owner = enrolled(Role.WORKER, username="e2e.owner", display_name="試験 持ち主", pseudonym="もちぬし")
    stranger = enrolled(Role.WORKER, username="e2e.stranger", display_name="試験 別の人")
    consultation = services.consultation_create(
        actor=owner, facts=services.CaseFacts(category="burnout", question="疲れが抜けません。")
    )
    path = f"/consultations/{consultation.pk}/"

    mine = actor("owner")
    mine.login(owner)
    mine.page.goto(path)
    mine.wait_socket_open("/ws/consultations/")  # the owner gets in: the refusal below is about who asks

    other = actor("stranger")
    other.login(stranger)
    response = other.page.goto(path)
    assert response is not None and response.status == 404
    expect(other.page.locator("#chat")).to_have_count(0)
    expect(other.page.locator("body")).not_to_contain_text("疲れが抜けません")
    shoot(other.page, "23-not-found")
    other.page.goto("/")
    started = time.monotonic()
    code = other.page.evaluate(WEBSOCKET_CLOSE_CODE, f"/ws/consultations/{consultation.pk}/")
    assert code == 4403, f"closed with {code} after {time.monotonic() - started:.1f}s"
    missing = other.page.evaluate(WEBSOCKET_CLOSE_CODE, "/ws/consultations/999999999/")
    assert missing == 4403  # a missing consultation looks the same
    assert_no_js_errors(mine, other)
