"""The JSON API: tokens, CSRF, two-factor sessions, the whole consultation flow and the schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import tokens
from accounts.models import AccessToken, Organisation, Role, User
from helpdesk.choices import Status
from helpdesk.models import Consultation, PrivateNote
from peer.models import ResponderProfile

API = "/api/v1"
PHONE = "090-4417-2286"
DRAFT = f"母の携帯は{PHONE}です。本人は仕事のことで疲れています。"


def bearer(user: User) -> Client:
    _token, raw = tokens.token_create(actor=user, name="test", session_verified=True)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def post(client: Client, path: str, data: dict[str, Any] | None = None, **extra: Any) -> Any:
    return client.post(f"{API}{path}", json.dumps(data or {}), content_type="application/json", **extra)


def on_duty(user: User) -> User:
    ResponderProfile.objects.update_or_create(user=user, defaults={"on_duty": True, "capacity": 5})
    return user


def new_consultation(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "category": "burnout",
        "question": "燃え尽きそうで、続けられるか不安です。",
        "summary": "",
        "requested_responder": "peer",
        "pseudonymous": True,
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def worker(make_user: Callable[..., User], make_org: Callable[..., Organisation]) -> User:
    return make_user(
        Role.WORKER, organisation=make_org(name="テスト町ひきこもり支援ステーション"), pseudonym="わかば"
    )


# --- Tokens ---------------------------------------------------------------------------------


def test_a_verified_session_creates_a_token_that_then_authenticates(
    verified_client: Callable[[User], Client], enrolled: Callable[..., User]
) -> None:
    # given a worker logged in with password and authenticator code
    user = enrolled(Role.WORKER)
    session = verified_client(user)
    # when they create a token
    created = post(session, "/tokens/", {"name": "集計スクリプト", "days": 30})
    # then the secret is returned once and works as a bearer token
    assert created.status_code == 201, created.content
    raw = created.json()["token"]
    assert raw.startswith("sst_")
    listed = session.get(f"{API}/tokens/").json()
    assert [item["name"] for item in listed] == ["集計スクリプト"]
    assert "token" not in listed[0] and raw not in json.dumps(listed)
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get(f"{API}/consultations/").status_code == 200
    assert AccessToken.objects.get(user=user).last_used_at is not None


def test_last_used_is_refreshed_when_the_token_is_used(worker: User) -> None:
    # given a token last used an hour ago
    client = bearer(worker)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    AccessToken.objects.filter(user=worker).update(last_used_at=an_hour_ago)
    # when it is used
    assert client.get(f"{API}/consultations/").status_code == 200
    # then last_used_at moves forward
    last_used = AccessToken.objects.get(user=worker).last_used_at
    assert last_used is not None and last_used > an_hour_ago


def test_a_token_cannot_create_list_or_revoke_tokens(worker: User) -> None:
    # given a worker with one token
    client = bearer(worker)
    token = AccessToken.objects.get(user=worker)
    # when the token tries to manage tokens
    responses = [
        post(client, "/tokens/", {"name": "もう一つ"}),
        client.get(f"{API}/tokens/"),
        client.delete(f"{API}/tokens/{token.pk}/"),
    ]
    # then every attempt is refused and nothing changes
    assert [r.status_code for r in responses] == [403, 403, 403]
    assert {r.json()["code"] for r in responses} == {"session_required"}
    assert AccessToken.objects.filter(user=worker).count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoked_expired_and_unknown_tokens_are_refused(
    verified_client: Callable[[User], Client], enrolled: Callable[..., User]
) -> None:
    # given a verified session and two tokens
    user = enrolled(Role.WORKER)
    session = verified_client(user)
    revoked, revoked_raw = tokens.token_create(actor=user, name="revoked", session_verified=True)
    expired, expired_raw = tokens.token_create(actor=user, name="expired", session_verified=True)
    AccessToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    # when one is revoked from the session
    assert session.delete(f"{API}/tokens/{revoked.pk}/").status_code == 204
    # then neither is accepted, nor a made-up one
    for raw in (revoked_raw, expired_raw, "sst_not-a-real-token"):
        response = Client(headers={"Authorization": f"Bearer {raw}"}).get(f"{API}/consultations/")
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_token"
    anonymous = Client().get(f"{API}/consultations/")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert anonymous["WWW-Authenticate"].startswith("Bearer")


def test_someone_elses_token_cannot_be_revoked(
    verified_client: Callable[[User], Client], enrolled: Callable[..., User], worker: User
) -> None:
    # given another person's token
    theirs, _raw = tokens.token_create(actor=worker, name="theirs", session_verified=True)
    session = verified_client(enrolled(Role.WORKER))
    # when I try to revoke it, or a token that does not exist
    forbidden = session.delete(f"{API}/tokens/{theirs.pk}/")
    missing = session.delete(f"{API}/tokens/987654321/")
    # then both answers are the same 404 and the token still works
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json() == {"code": "not_found", "detail": "見つかりません。"}
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


# --- Sessions: two-factor and CSRF ----------------------------------------------------------


def test_a_session_without_two_factor_gets_401(enrolled: Callable[..., User]) -> None:
    # given a session that passed the password but not the authenticator code
    client = Client()
    client.force_login(enrolled(Role.WORKER))
    # when it calls the API
    response = client.get(f"{API}/consultations/")
    # then it is told to finish the two-factor login
    assert response.status_code == 401
    assert response.json()["code"] == "not_verified"
    assert post(client, "/tokens/", {"name": "x"}).status_code == 401


def test_session_posts_need_the_csrf_token_and_bearer_posts_do_not(
    verified_client: Callable[[User], Client], enrolled: Callable[..., User]
) -> None:
    # given a verified session in a client that enforces CSRF like a browser would
    user = enrolled(Role.WORKER)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = verified_client(user).cookies
    body = {"text": "仕事のことで疲れています。"}
    # when it posts without a CSRF token
    refused = post(strict, "/consultations/preview/", body)
    minted = post(strict, "/tokens/", {"name": "csrf"})
    # then the API refuses it
    assert refused.status_code == minted.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    assert not AccessToken.objects.filter(user=user).exists()
    # when it sends the token from its cookie
    request = RequestFactory().get("/")
    header_token = get_token(request)
    strict.cookies[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    accepted = post(strict, "/consultations/preview/", body, headers={"X-CSRFToken": header_token})
    # then it passes; reads never needed it
    assert accepted.status_code == 200, accepted.content
    assert strict.get(f"{API}/consultations/").status_code == 200
    # and a bearer client needs no CSRF token at all
    _token, raw = tokens.token_create(actor=user, name="cli", session_verified=True)
    token_client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})
    assert post(token_client, "/consultations/preview/", body).status_code == 200


# --- The consultation flow ------------------------------------------------------------------


def test_preview_returns_spans_placeholders_and_the_redacted_text(worker: User) -> None:
    # given a draft with a phone number
    client = bearer(worker)
    # when the worker previews it
    response = post(client, "/consultations/preview/", {"text": DRAFT})
    # then the phone is found, replaced, and nothing was stored
    assert response.status_code == 200, response.content
    preview = response.json()
    phones = [span for span in preview["spans"] if span["label"] == "PHONE"]
    assert len(phones) == 1
    assert DRAFT[phones[0]["start"] : phones[0]["end"]] == PHONE
    assert phones[0]["placeholder"] in preview["redacted"]
    assert PHONE not in preview["redacted"]
    assert not Consultation.objects.exists()


def test_identifiers_left_in_the_text_are_refused_and_nothing_is_stored(worker: User) -> None:
    # given a worker who forgot to replace a phone number in the summary
    client = bearer(worker)
    # when they file it
    response = post(client, "/consultations/", new_consultation(summary=DRAFT))
    # then positions and labels come back, never the text, and no consultation exists
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "identifiers_remain"
    assert {"field": "summary", "label": "PHONE"}.items() <= body["found"][0].items()
    assert PHONE not in response.content.decode()
    assert not Consultation.objects.exists()


def test_reidentification_warnings_must_be_acknowledged(worker: User) -> None:
    # given a summary with a rare detail
    client = bearer(worker)
    payload = new_consultation(summary="本人は90代の母と暮らす。")
    # when it is filed without, then with, the acknowledgement
    refused = post(client, "/consultations/", payload)
    accepted = post(client, "/consultations/", {**payload, "risks_acknowledged": True})
    # then only the acknowledged one is stored
    assert refused.status_code == 422
    assert refused.json()["code"] == "risks_not_acknowledged" and refused.json()["codes"]
    assert accepted.status_code == 201
    assert Consultation.objects.count() == 1


def test_invalid_input_is_described_without_echoing_the_text(worker: User) -> None:
    # given a summary over the limit that contains a phone number
    client = bearer(worker)
    response = post(client, "/consultations/", new_consultation(summary=PHONE + "あ" * 4000, category="nope"))
    # then the fields are named but the text never comes back
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert {tuple(error["loc"])[-1] for error in body["errors"]} == {"summary", "category"}
    assert PHONE not in response.content.decode()


def test_a_body_that_is_not_json_gets_a_json_error(worker: User) -> None:
    # given a client that sends form data instead of JSON
    client = bearer(worker)
    # when it posts
    response = client.post(f"{API}/consultations/preview/", "text=疲れた", content_type="application/json")
    # then the answer is still a JSON error with a code
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_the_full_flow_from_filing_to_reopening(
    worker: User, make_user: Callable[..., User], make_org: Callable[..., Organisation]
) -> None:
    elsewhere = make_org(name="遠方の支援センター")
    peer_user = on_duty(make_user(Role.PEER, organisation=elsewhere, display_name="ピア 一郎"))
    other_peer = on_duty(make_user(Role.PEER, organisation=elsewhere))
    expert_user = on_duty(make_user(Role.EXPERT, organisation=make_org()))
    worker_api, peer_api, other_api, expert_api = map(bearer, (worker, peer_user, other_peer, expert_user))

    # the worker previews, then files the redacted text
    preview = post(worker_api, "/consultations/preview/", {"text": DRAFT}).json()
    created = post(worker_api, "/consultations/", new_consultation(summary=preview["redacted"], replaced=1))
    assert created.status_code == 201, created.content
    consultation_id = created.json()["id"]
    assert created.json()["status"] == Status.RECEIVED
    assert created.json()["queue"]["slug"] == "peer"
    assert Consultation.objects.get(pk=consultation_id).deid_replacements == 1
    listed = worker_api.get(f"{API}/consultations/").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == consultation_id

    # a responder sees it in the queue, pseudonymous, with its waiting time
    queue = peer_api.get(f"{API}/queue/").json()
    item = next(entry for entry in queue["items"] if entry["id"] == consultation_id)
    assert item["worker"] == "わかば"
    assert item["waited_seconds"] >= 0

    # claims it; a second responder is told it is taken
    claimed = post(peer_api, f"/consultations/{consultation_id}/claim/")
    assert claimed.status_code == 200, claimed.content
    assert claimed.json()["status"] == Status.IN_PROGRESS
    assert claimed.json()["assignee"]["id"] == peer_user.pk
    lost = post(other_api, f"/consultations/{consultation_id}/claim/")
    assert lost.status_code == 409
    assert lost.json()["code"] == "already_claimed"

    # status changes, and an impossible one is refused
    waiting = post(
        peer_api, f"/consultations/{consultation_id}/status/", {"status": "waiting", "reason": "資料待ち"}
    )
    assert waiting.json()["status"] == Status.WAITING
    closed = post(peer_api, f"/consultations/{consultation_id}/status/", {"status": "closed"})
    assert closed.status_code == 409 and closed.json()["code"] == "invalid_transition"

    # a private note stays among responders
    note = post(peer_api, f"/consultations/{consultation_id}/notes/", {"body": "家族会の紹介を検討"})
    assert note.status_code == 201 and note.json()["author"] == "ピア 一郎"
    seen_by_worker = worker_api.get(f"{API}/consultations/{consultation_id}/").json()
    assert seen_by_worker["notes"] is None and seen_by_worker["triage_reasons"] is None
    assert seen_by_worker["assignee"] is None and seen_by_worker["is_assigned"] is True
    assert "家族会" not in json.dumps(seen_by_worker, ensure_ascii=False)
    assert "資料待ち" not in json.dumps(seen_by_worker, ensure_ascii=False)
    seen_by_peer = peer_api.get(f"{API}/consultations/{consultation_id}/").json()
    assert [n["body"] for n in seen_by_peer["notes"]] == ["家族会の紹介を検討"]
    assert seen_by_peer["worker"] == "わかば"

    # the peer hands it to the expert queue; the expert accepts
    transfer = post(
        peer_api,
        f"/consultations/{consultation_id}/transfer/",
        {"to_queue": "expert-general", "reason": "専門的な助言"},
    )
    assert transfer.status_code == 201, transfer.content
    assert transfer.json()["to_queue"] == "expert-general" and transfer.json()["state"] == "pending"
    accepted = post(expert_api, f"/transfers/{transfer.json()['id']}/accept/")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["state"] == "accepted"
    current = Consultation.objects.get(pk=consultation_id)
    assert (
        current.assignee == expert_user
        and current.queue is not None
        and current.queue.slug == "expert-general"
    )

    # the expert resolves; the worker reopens
    resolved = post(expert_api, f"/consultations/{consultation_id}/status/", {"status": "resolved"})
    assert resolved.json()["status"] == Status.RESOLVED
    reopened = post(worker_api, f"/consultations/{consultation_id}/reopen/", {"reason": "もう一度相談したい"})
    assert reopened.status_code == 200, reopened.content
    assert reopened.json()["status"] == Status.IN_PROGRESS
    kinds = [event["kind"] for event in reopened.json()["events"]]
    assert kinds[0] == "created" and kinds[-1] == "status"
    assert "transfer_requested" not in kinds  # internal handovers are not shown to the worker
    assert reopened.json()["events"][-1]["reason"] == "もう一度相談したい"
    assert PrivateNote.objects.filter(consultation_id=consultation_id).count() == 1


def test_escalation_goes_to_the_next_tier_by_default(
    worker: User, make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    # given a peer working on a burnout consultation
    consultation = file_consultation(worker, requested_responder="peer")
    peer_user = on_duty(make_user(Role.PEER))
    client = bearer(peer_user)
    post(client, f"/consultations/{consultation.pk}/claim/")
    # when they escalate without naming a queue
    response = post(client, f"/consultations/{consultation.pk}/escalate/", {"reason": "自傷の話が出た"})
    # then it goes to the queue the peer queue escalates to
    assert response.status_code == 201, response.content
    assert response.json()["is_escalation"] is True
    assert response.json()["to_queue"] == "expert-general"
    consultation.refresh_from_db()
    assert consultation.status == Status.ESCALATED


def test_next_claims_the_most_urgent_or_says_the_queue_is_empty(
    worker: User, make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    # given an on-duty peer and one consultation
    client = bearer(on_duty(make_user(Role.PEER)))
    consultation = file_consultation(worker, requested_responder="peer")
    # when they press "next" twice
    first = post(client, "/queue/next/")
    second = post(client, "/queue/next/")
    # then the first claims it and the second finds nothing
    assert first.status_code == 200 and first.json()["id"] == consultation.pk
    assert second.status_code == 404 and second.json()["code"] == "queue_empty"


def test_a_transfer_to_an_unknown_account_looks_like_an_ineligible_one(
    worker: User, make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    # given a peer working on a consultation and a worker account that may not take it
    consultation = file_consultation(worker, requested_responder="peer")
    peer_user = on_duty(make_user(Role.PEER))
    client = bearer(peer_user)
    post(client, f"/consultations/{consultation.pk}/claim/")
    # when they hand it to that account and to an id nobody has
    ineligible = post(
        client, f"/consultations/{consultation.pk}/transfer/", {"to_user": worker.pk, "reason": "引き継ぎ"}
    )
    unknown = post(
        client, f"/consultations/{consultation.pk}/transfer/", {"to_user": 987654321, "reason": "引き継ぎ"}
    )
    # then both get the same refusal
    assert ineligible.status_code == unknown.status_code == 400
    assert ineligible.json() == unknown.json()
    assert ineligible.json()["code"] == "target_not_eligible"


def test_lists_cost_the_same_number_of_queries_for_one_or_many(
    worker: User, make_user: Callable[..., User], file_consultation: Callable[..., Consultation]
) -> None:
    # given a worker and a peer, and a way to count the queries of one request
    worker_api, peer_api = bearer(worker), bearer(on_duty(make_user(Role.PEER)))

    def queries(client: Client, path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{API}{path}").status_code == 200
        return len(captured)

    file_consultation(worker, requested_responder="peer")
    queries(worker_api, "/consultations/")  # the first use of each token also stamps last_used_at
    queries(peer_api, "/queue/")
    one = (queries(worker_api, "/consultations/"), queries(peer_api, "/queue/"))
    # when four more consultations arrive
    for n in range(4):
        file_consultation(worker, requested_responder="peer", question=f"{n}件目の相談です。")
    # then the lists still cost the same
    assert (queries(worker_api, "/consultations/"), queries(peer_api, "/queue/")) == one


# --- The schema -----------------------------------------------------------------------------


def test_the_schema_is_openapi_3_and_lists_every_path(
    verified_client: Callable[[User], Client], enrolled: Callable[..., User]
) -> None:
    # given a verified session
    client = verified_client(enrolled(Role.WORKER))
    # when it fetches the schema
    response = client.get(f"{API}/schema/")
    # then it is OpenAPI 3 JSON with every path, and nobody anonymous gets it
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["version"] == "1"
    assert set(schema["paths"]) == {
        f"{API}/tokens/",
        f"{API}/tokens/{{token_id}}/",
        f"{API}/consultations/preview/",
        f"{API}/consultations/",
        f"{API}/consultations/{{consultation_id}}/",
        f"{API}/queue/",
        f"{API}/queue/next/",
        f"{API}/consultations/{{consultation_id}}/claim/",
        f"{API}/consultations/{{consultation_id}}/release/",
        f"{API}/consultations/{{consultation_id}}/transfer/",
        f"{API}/consultations/{{consultation_id}}/escalate/",
        f"{API}/consultations/{{consultation_id}}/status/",
        f"{API}/consultations/{{consultation_id}}/reopen/",
        f"{API}/consultations/{{consultation_id}}/notes/",
        f"{API}/transfers/{{transfer_id}}/accept/",
        f"{API}/transfers/{{transfer_id}}/decline/",
        f"{API}/metrics",
    }
    assert {"BearerToken", "VerifiedSession"} <= set(schema["components"]["securitySchemes"])
    assert Client().get(f"{API}/schema/").status_code == 401


def test_preview_positions_index_the_cleaned_text_it_returns(worker: User) -> None:
    # given a draft with invisible characters before and inside the phone number (pasted from a page)
    draft = "\u200b\u200b" + DRAFT.replace(PHONE, PHONE[:3] + "\u00ad" + PHONE[3:])
    # when it is previewed
    preview = post(bearer(worker), "/consultations/preview/", {"text": draft}).json()
    # then the answer carries the text without them, and the spans index into that text
    assert preview["text"] == DRAFT
    (phone,) = [span for span in preview["spans"] if span["label"] == "PHONE"]
    assert preview["text"][phone["start"] : phone["end"]] == PHONE
