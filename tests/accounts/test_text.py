"""accounts.text: the one normalisation of what people type, used by every service that stores text."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import Role, User
from accounts.text import BIDI, INVISIBLE, clean_line, clean_text
from helpdesk import intake


@pytest.mark.parametrize("char", sorted(BIDI | INVISIBLE))
def test_every_bidi_and_invisible_character_is_dropped(char: str) -> None:
    assert clean_text(f"請求書{char}exe.pdf") == "請求書exe.pdf"


def test_controls_and_lone_surrogates_go_newlines_and_tabs_stay() -> None:
    assert clean_text("一行目\r\n二行目\rと\x00\x07\x1b\ud800三\t列") == "一行目\n二行目\nと三\t列"


def test_a_one_line_field_keeps_no_line_break_and_no_outer_space() -> None:
    assert clean_line("  みなと\n\t\u202e相談室  \u3000") == "みなと 相談室"
    assert clean_line("") == ""
    assert clean_line("\u200b\u200d") == ""


def test_a_zero_width_space_cannot_hide_a_name_from_the_preview() -> None:
    # given a (fictional) name and phone number broken up with zero-width characters
    text = "本人の父、山\u200b田太\u200b郎さんは電話 090\u200b-1234-5678 に出ない"
    # when the worker previews it
    review = intake.review(text, unmarked=set(), marks=[])
    # then the detector saw through them: nothing of the name or number is left in what would be stored
    assert "山田" not in review.final_text and "太郎" not in review.final_text
    assert "5678" not in review.final_text
    assert not set(BIDI | INVISIBLE) & set(review.final_text)


def test_a_question_of_only_invisible_characters_is_refused_clearly_by_page_and_api(
    enrolled: Callable[..., User], verified_client: Callable[[User], Client]
) -> None:
    from accounts import tokens
    from helpdesk.models import Consultation
    from tests.helpdesk.conftest import FORM

    worker = enrolled(Role.WORKER)
    # given a question that is nothing but zero-width and bidi characters
    blank = "\u200b\u202e\u200d"
    # when it is filed through the page
    page = verified_client(worker).post(
        "/consultations/new/", {**FORM, "question": blank, "action": "submit"}
    )
    # then the form says the field is required, and nothing is stored
    assert page.status_code == 400 and "question" in page.context["form"].errors
    # and through the API it is the API's usual refusal of invalid data, naming the field
    _token, raw = tokens.token_create(actor=worker, name="t", session_verified=True)
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    answer = api.post(
        "/api/v1/consultations/",
        {"category": "burnout", "question": blank, "summary": ""},
        content_type="application/json",
    )
    assert answer.status_code == 400, answer.content[:200]
    assert answer.json()["code"] == "invalid" and list(answer.json()["errors"]) == ["question"]
    assert not Consultation.objects.exists()
