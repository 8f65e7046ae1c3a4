"""accounts.text: the one normalisation of what people type, used by every service that stores text."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import Role, User
from accounts.text import clean_line, clean_text
from helpdesk import intake

# Written out here, not taken from the module: a character missing there must fail this test.
HIDING = {
    "\u00ad": "soft hyphen (pasted from web pages and PDFs)",
    "\u034f": "combining grapheme joiner",
    "\u061c": "arabic letter mark",
    "\u115f": "hangul choseong filler",
    "\u1160": "hangul jungseong filler",
    "\u180e": "mongolian vowel separator",
    "\u200b": "zero width space",
    "\u200c": "zero width non-joiner",
    "\u200d": "zero width joiner",
    "\u200e": "left-to-right mark",
    "\u200f": "right-to-left mark",
    "\u202a": "left-to-right embedding",
    "\u202b": "right-to-left embedding",
    "\u202c": "pop directional formatting",
    "\u202d": "left-to-right override",
    "\u202e": "right-to-left override",
    "\u2060": "word joiner",
    "\u2061": "function application",
    "\u2062": "invisible times",
    "\u2063": "invisible separator",
    "\u2064": "invisible plus",
    "\u2066": "left-to-right isolate",
    "\u2067": "right-to-left isolate",
    "\u2068": "first strong isolate",
    "\u2069": "pop directional isolate",
    "\u3164": "hangul filler",
    "\ufe00": "variation selector-1",
    "\ufe0f": "variation selector-16",
    "\ufeff": "zero width no-break space (BOM)",
    "\uffa0": "halfwidth hangul filler",
    "\U000e0001": "language tag",
    "\U000e0041": "tag latin capital letter a",
    "\U000e0100": "variation selector-17 (ideographic variants)",
}


@pytest.mark.parametrize("char", sorted(HIDING), ids=sorted(HIDING.values()))
def test_every_invisible_or_reordering_character_is_dropped(char: str) -> None:
    assert clean_text(f"請求書{char}exe.pdf") == "請求書exe.pdf"
    assert clean_line(f" 山{char}田 ") == "山田"


@pytest.mark.parametrize("char", sorted(HIDING), ids=sorted(HIDING.values()))
def test_no_invisible_character_hides_a_name_or_a_number_from_the_preview(char: str) -> None:
    # given a (fictional) surname and phone number broken up by the character
    text = f"本人の父、山{char}田太郎さんは電話 090-12{char}34-5678 に出ない"
    # when the worker previews it
    review = intake.review(text, unmarked=set(), marks=[])
    # then nothing of the name or the number is left in what would be stored
    assert "山" not in review.final_text and "太郎" not in review.final_text
    assert "5678" not in review.final_text and char not in review.final_text


def test_line_and_paragraph_separators_become_newlines() -> None:
    assert clean_text("一\u2028二\u2029三\x85四") == "一\n二\n三\n四"


def test_controls_and_lone_surrogates_go_newlines_and_tabs_stay() -> None:
    assert clean_text("一行目\r\n二行目\rと\x00\x07\x1b\ud800三\t列") == "一行目\n二行目\nと三\t列"


def test_a_one_line_field_keeps_no_line_break_and_no_outer_space() -> None:
    assert clean_line("  みなと\n\t\u202e相談室  \u3000") == "みなと 相談室"
    assert clean_line("") == ""
    assert clean_line("\u200b\u200d") == ""


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
