"""Error pages speak Japanese and say what to do; the API answers errors in JSON."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import Role, User


def test_a_missing_page_is_a_japanese_404(
    verified_client: Callable[[User], Client], enrolled: Callable[..., User]
) -> None:
    response = verified_client(enrolled(Role.WORKER)).get("/no-such-page/")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode()


def test_a_forbidden_page_is_a_japanese_403(
    verified_client: Callable[[User], Client], enrolled: Callable[..., User]
) -> None:
    response = verified_client(enrolled(Role.PEER)).get("/consultations/new/")
    assert response.status_code == 403
    assert "管理者" in response.content.decode()


def test_unknown_api_paths_answer_json(
    verified_client: Callable[[User], Client], enrolled: Callable[..., User]
) -> None:
    response = verified_client(enrolled(Role.WORKER)).get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "見つかりません。"}


def test_a_server_error_page_needs_nothing_that_might_be_broken(client: Client, db: None) -> None:
    from django.test import RequestFactory

    from config.errors import server_error

    response = server_error(RequestFactory().get("/consultations/"))
    assert response.status_code == 500
    assert "110" in response.content.decode()
