"""The Japanese catalogue is complete and the committed .mo files match the .po sources."""

from __future__ import annotations

from pathlib import Path

import polib  # type: ignore[import-untyped]
import pytest
from django.test import Client

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def test_every_japanese_message_is_translated() -> None:
    catalogue = polib.pofile(str(LOCALE / "ja/LC_MESSAGES/django.po"))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("language", ["ja", "en"])
def test_committed_mo_matches_po(language: str) -> None:
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES/django.po"))
    mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES/django.mo"))
    expected = {(e.msgid, e.msgstr or tuple(e.msgstr_plural.values())) for e in po.translated_entries()}
    compiled = {(e.msgid, e.msgstr or tuple(e.msgstr_plural.values())) for e in mo if e.msgid}
    assert compiled == expected, "run `make messages` and commit the .mo files"


def test_language_switch_to_english_and_back(client: Client, db: None) -> None:
    assert "ログイン" in client.get("/accounts/login/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in page
    assert "Verification code" in page
    client.post("/i18n/setlang/", {"language": "ja", "next": "/accounts/login/"})
    assert "確認コード" in client.get("/accounts/login/").content.decode()
