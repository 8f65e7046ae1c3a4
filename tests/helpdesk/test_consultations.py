"""Filing a consultation: the preview, the worker's corrections and what reaches the database."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.models import AuditEvent, Organisation, Role, User
from helpdesk import actions, deid
from helpdesk.models import Consultation
from helpdesk.services import CaseFacts, IdentifiersRemain, RisksNotAcknowledged, consultation_create
from tests.helpdesk.conftest import FORM

HARD_CASE = (
    "対象者は森本 拓海さん（34歳）。母の森本 静江さんと二人で若葉町に住んでいる。"
    "中学は私立青葉学園中学校に通っていたが不登校になった。母の携帯は090-4417-2286。"
)
IDENTIFIERS = ("森本", "拓海", "静江", "34歳", "若葉町", "青葉学園", "090-4417-2286")


def _preview(client: Client, summary: str, **extra: Any) -> str:
    response = client.post("/consultations/new/", {**FORM, "summary": summary, "action": "preview", **extra})
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()


def _shown_keys(html: str, field: str = "summary") -> list[str]:
    return re.findall(rf'name="{field}-shown" value="([0-9]+-[0-9]+)"', html)


def _submit(client: Client, summary: str, replace: list[str], shown: list[str], **extra: Any) -> Any:
    data = {
        **FORM,
        "summary": summary,
        "action": "submit",
        "summary-shown": shown,
        "summary-replace": replace,
        **extra,
    }
    return client.post("/consultations/new/", data)


def test_the_preview_catches_names_place_school_and_phone(worker_client: tuple[User, Client]) -> None:
    _, client = worker_client
    html = _preview(client, HARD_CASE)
    final = re.search(r'id="final-summary">(.*?)</p>', html, re.S)
    assert final is not None
    for identifier in IDENTIFIERS:
        assert identifier not in final.group(1)
    assert "【人物A】" in final.group(1)
    assert "30代" in final.group(1)
    assert len(_shown_keys(html)) >= 6


def test_only_the_de_identified_text_reaches_the_database(worker_client: tuple[User, Client]) -> None:
    worker, client = worker_client
    html = _preview(client, HARD_CASE)
    keys = _shown_keys(html)
    response = _submit(client, HARD_CASE, replace=keys, shown=keys)
    assert response.status_code == 302
    consultation = Consultation.objects.get(worker=worker)
    for identifier in IDENTIFIERS:
        assert identifier not in consultation.summary
    assert consultation.summary.count("【人物A】") >= 1
    assert consultation.deid_replacements >= 6
    assert AuditEvent.objects.filter(
        action=actions.CONSULTATION_CREATED, object_id=str(consultation.pk)
    ).exists()


def test_the_worker_can_unmark_a_false_positive(worker_client: tuple[User, Client]) -> None:
    worker, client = worker_client
    summary = "母の電話は090-4417-2286です。若葉町で暮らしています。"
    html = _preview(client, summary)
    keys = _shown_keys(html)
    place_key = next(
        key for key in keys if summary[int(key.split("-")[0]) : int(key.split("-")[1])] == "若葉町"
    )
    response = _submit(client, summary, replace=[k for k in keys if k != place_key], shown=keys)
    assert response.status_code == 302
    stored = Consultation.objects.get(worker=worker).summary
    assert "若葉町" in stored
    assert "090-4417-2286" not in stored
    assert Consultation.objects.get(worker=worker).deid_kept == 1


def test_the_worker_can_mark_a_missed_phrase(worker_client: tuple[User, Client]) -> None:
    worker, client = worker_client
    summary = "本人はあだ名の「くまちゃん」と呼ばれるのを好む。"
    html = _preview(client, summary, **{"summary-new-phrase": "くまちゃん", "summary-new-label": "PERSON"})
    assert 'value="PERSON:くまちゃん"' in html
    keys = _shown_keys(html)
    response = _submit(client, summary, replace=keys, shown=keys, **{"summary-mark": ["PERSON:くまちゃん"]})
    assert response.status_code == 302
    assert "くまちゃん" not in Consultation.objects.get(worker=worker).summary


def test_the_server_refuses_identifiers_left_in_the_final_text(
    make_user: Callable[..., User], db: None
) -> None:
    worker = make_user(Role.WORKER)
    facts = CaseFacts(category="burnout", question="相談です。", summary="母の携帯は090-4417-2286です。")
    with pytest.raises(IdentifiersRemain) as refused:
        consultation_create(actor=worker, facts=facts)
    assert [found.label for found in refused.value.found] == ["PHONE"]
    assert "090" not in str(refused.value)
    assert not Consultation.objects.exists()
    assert AuditEvent.objects.filter(action=actions.CONSULTATION_REFUSED_IDENTIFIERS).count() == 1


def test_text_marked_not_personal_is_accepted(make_user: Callable[..., User], db: None) -> None:
    worker = make_user(Role.WORKER)
    summary = "若葉町の研修に参加しました。"
    facts = CaseFacts(category="burnout", question="相談です。", summary=summary)
    flagged = [summary[s.start : s.end] for s in deid.remaining_identifiers(summary)]
    assert flagged, "the detector flags the town name"
    with pytest.raises(IdentifiersRemain):
        consultation_create(actor=worker, facts=facts)
    consultation = consultation_create(actor=worker, facts=facts, not_personal=flagged)
    assert consultation.summary == "若葉町の研修に参加しました。"


def test_reidentification_warnings_must_be_acknowledged(make_user: Callable[..., User], db: None) -> None:
    worker = make_user(Role.WORKER)
    facts = CaseFacts(category="burnout", question="相談です。", summary="本人は95歳の母と暮らしている。")
    with pytest.raises((RisksNotAcknowledged, IdentifiersRemain)):
        consultation_create(actor=worker, facts=facts)
    assert not Consultation.objects.exists()
    generalised = CaseFacts(category="burnout", question="相談です。", summary="本人は90代の母と暮らす。")
    with pytest.raises(RisksNotAcknowledged):
        consultation_create(actor=worker, facts=generalised)
    consultation = consultation_create(actor=worker, facts=generalised, risks_acknowledged=True)
    assert consultation.risk_flags


def test_only_workers_file_consultations(
    verified_client: Callable[[User], Client], enrolled: Callable[..., User]
) -> None:
    client = verified_client(enrolled(Role.PEER))
    assert client.get("/consultations/new/").status_code == 403


def test_a_hard_case_needs_its_kind(worker_client: tuple[User, Client]) -> None:
    _, client = worker_client
    response = client.post("/consultations/new/", {**FORM, "subtype": "", "action": "preview"})
    assert response.status_code == 400
    assert not Consultation.objects.exists()


def test_workers_see_only_their_own_consultations(
    worker_client: tuple[User, Client],
    make_user: Callable[..., User],
    file_consultation: Callable[..., Consultation],
) -> None:
    worker, client = worker_client
    mine = file_consultation(worker)
    other = file_consultation(make_user(Role.WORKER))
    listing = client.get("/consultations/").content.decode()
    assert mine.reference in listing
    assert other.reference not in listing
    assert client.get(f"/consultations/{mine.pk}/").status_code == 200
    assert client.get(f"/consultations/{other.pk}/").status_code == 404
    assert client.get("/consultations/999999/").status_code == 404


def test_responders_see_placeholders_and_a_pseudonym_never_the_worker(
    verified_client: Callable[[User], Client],
    enrolled: Callable[..., User],
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    file_consultation: Callable[..., Consultation],
) -> None:
    worker_org = make_org(name="テスト町ひきこもり支援ステーション")
    worker = make_user(Role.WORKER, organisation=worker_org, display_name="試験 花子", pseudonym="わかば")
    consultation = file_consultation(
        worker, summary="【人物A】さんは30代。", pseudonymous=True, category="hard_case", subtype="other"
    )
    responder = enrolled(Role.EXPERT)
    page = verified_client(responder).get(f"/consultations/{consultation.pk}/").content.decode()
    assert "【人物A】" in page
    assert "わかば" in page
    assert "試験 花子" not in page
    assert worker_org.name not in page


def test_responders_of_the_workers_own_organisation_cannot_open_it(
    verified_client: Callable[[User], Client],
    enrolled: Callable[..., User],
    make_user: Callable[..., User],
    org: Organisation,
    file_consultation: Callable[..., Consultation],
) -> None:
    consultation = file_consultation(make_user(Role.WORKER, organisation=org))
    colleague = enrolled(Role.PEER, organisation=org)
    assert verified_client(colleague).get(f"/consultations/{consultation.pk}/").status_code == 404


def test_an_urgent_case_shows_the_emergency_protocol(
    worker_client: tuple[User, Client], file_consultation: Callable[..., Consultation]
) -> None:
    worker, client = worker_client
    consultation = file_consultation(worker, summary="本人が「もう消えたい」と言い、ロープを買ったらしい。")
    assert consultation.priority == "urgent"
    page = client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert "110" in page and "119" in page and "189" in page


def test_the_workers_own_urgency_only_raises_the_priority(
    make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    worker = make_user(Role.WORKER)
    assert file_consultation(worker, worker_urgency="high").priority == "high"
    assert file_consultation(worker).priority == "normal"


def test_the_detail_page_carries_the_chat_room_and_a_plain_title(
    worker_client: tuple[User, Client], file_consultation: Callable[..., Consultation]
) -> None:
    worker, client = worker_client
    consultation = file_consultation(worker)
    page = client.get(f"/consultations/{consultation.pk}/").content.decode()
    assert f'data-ws-path="/ws/consultations/{consultation.pk}/"' in page
    assert page.count('id="chat"') == 1
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title is not None and "<" not in title.group(1)
