"""A NUL character anywhere a view reads parameters is a 400 that changes nothing, never a 500.

PostgreSQL text cannot hold or compare U+0000. Found by `make soak` (a NUL queue slug in the API) and
then by hand in the HTML handover forms and the admin's list filters
(accounts.middleware.RefuseNulMiddleware).
"""

from __future__ import annotations

import pytest
from django.test import Client

from helpdesk.models import ConsultationEvent, Transfer
from tests.security.conftest import Cast, claimed, verify


@pytest.mark.parametrize(
    ("who", "method", "path", "data"),
    [
        ("peer", "post", "/consultations/{c}/escalate/", {"queue": "\x00", "reason": "助言がほしい"}),
        ("peer", "post", "/consultations/{c}/transfer/", {"queue": "expert-general\x00", "reason": "交代"}),
        ("peer", "post", "/consultations/{c}/status/", {"status": "waiting\x00", "reason": ""}),
        ("admin", "get", "/admin/accounts/user/?role=%00", None),
        ("admin", "get", "/admin/accounts/auditevent/?action=%00", None),
        ("supervisor", "get", "/dashboard/history/?queue=%00", None),
        ("peer", "get", "/consultations/queue/?x%00=1", None),
    ],
    ids=["escalate", "transfer", "status", "admin-filter", "audit-filter", "dashboard", "key"],
)
def test_a_nul_in_a_parameter_is_a_clear_400_and_changes_nothing(
    cast: Cast, who: str, method: str, path: str, data: dict[str, str] | None
) -> None:
    claimed(cast)
    client = verify(Client(raise_request_exception=False), cast.users[who])
    events_before = ConsultationEvent.objects.count()
    response = getattr(client, method)(path.format(c=cast.consultation.pk), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "受け付けられないリクエストです" in page and "何も変更されていません" in page
    assert ConsultationEvent.objects.count() == events_before and not Transfer.objects.exists()


def test_the_api_answers_a_nul_parameter_in_its_own_json_format(cast: Cast) -> None:
    from accounts import tokens

    _token, raw = tokens.token_create(actor=cast.users["owner"], name="nul", session_verified=True)
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/consultations/?limit=%00")
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": "入力内容を確認してください。"}


def test_without_a_verified_session_the_login_comes_first(cast: Cast) -> None:
    response = Client().get("/consultations/queue/?q=%00")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_multipart_request_to_the_api_is_refused_as_bad_input_not_a_server_error(cast: Cast) -> None:
    """The API reads its own body: the NUL check must not consume a multipart stream before it."""
    from accounts import tokens

    _token, raw = tokens.token_create(actor=cast.users["owner"], name="nul", session_verified=True)
    client = Client(headers={"Authorization": f"Bearer {raw}"}, raise_request_exception=False)
    response = client.post("/api/v1/consultations/preview/", {"text": "本人は元気\x00です"})  # multipart
    assert 400 <= response.status_code < 500 and response.json()["code"], response.content[:200]


def test_a_session_cookie_with_a_nul_is_no_session(cast: Cast) -> None:
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    response = client.get("/consultations/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
