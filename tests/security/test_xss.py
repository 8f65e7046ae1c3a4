"""An XSS corpus in every free-text field renders inert on every surface that shows it.

Fields: display name, pseudonym, question, summary, private note, transfer / escalation reason, release
reason, chat body. Surfaces: the consultation page (worker and responder), the queue page, the home page
and header, the Django admin, the JSON API, chat frames, and the CSV export writer.

"Inert" is measured against the same page rendered with harmless text: the markup (every tag and
attribute, with its value) must be identical, so the payload added no element, attribute, URL or comment
and swallowed none. That the payload was really on the page is checked too (escaped).

(Chat bodies through the real socket: tests/chat/test_protocol.py::test_xss_payloads_render_inert.)
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any, cast

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from accounts.models import User
from chat.models import Message
from chat.render import render_html
from chat.services import message_frame
from helpdesk import workflow
from helpdesk.dashboard import csv_export
from helpdesk.models import Consultation, Queue
from tests.security.conftest import Cast, claimed, verify

CORPUS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "<a href='javascript:alert(1)'>x</a>",
    "javascript:alert(1)//",
    "data:text/html,<script>alert(1)</script>",
    "<iframe srcdoc='<b>x</b>'></iframe>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "' onmouseover='alert(1)' x='",
    '" autofocus onfocus="alert(1)',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<!-- unterminated comment",
    "<b>unclosed <i>markup",
    "{{ request }}{% csrf_token %}",
    "\u202eevil\u202c \u200bhttps://evil.example/\u2066x\u2069",
]
HARMLESS = "あたりさわりのない文"
BIDI_AND_INVISIBLE = "\u202e\u202c\u2066\u2069\u200b"


def visible(text: str) -> str:
    return "".join(char for char in text if char not in BIDI_AND_INVISIBLE)


FIELD_LIMITS = {"display_name": 100, "pseudonym": 50, "reason": 500}
# Per request: CSRF tokens and CSP nonces change on every response.
VOLATILE = {"value", "data-csrf", "nonce"}


# Attributes whose value is only ever read as text: the planted text may appear in them (escaped).
# URL, style, srcdoc and event attributes are compared as they are, so a payload there is caught.
TEXT_ATTRIBUTES = {"aria-label", "title", "value", "alt", "placeholder"}


class Markup(HTMLParser):
    """Every start tag with its attributes, comments and declarations: the page's structure."""

    def __init__(self, planted: str = "") -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[Any, ...]] = []
        self.variants = sorted({planted[:n] for n in (*FIELD_LIMITS.values(), len(planted))} - {""}, key=len)

    def _text(self, value: str) -> str:
        for variant in reversed(self.variants):
            value = value.replace(variant, "{planted}")
        return value

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        volatile = tag == "input" and dict(attrs).get("name") == "csrfmiddlewaretoken"
        kept = tuple(
            (
                name,
                ""
                if name in VOLATILE and (volatile or name != "value")
                else self._text(value or "")
                if name in TEXT_ATTRIBUTES
                else (value or ""),
            )
            for name, value in attrs
        )
        self.items.append(("tag", tag, kept))

    def handle_endtag(self, tag: str) -> None:
        self.items.append(("end", tag))

    def handle_comment(self, data: str) -> None:
        self.items.append(("comment", data))

    def handle_decl(self, decl: str) -> None:
        self.items.append(("decl", decl))


def structure(html: str, planted: str = "") -> list[tuple[Any, ...]]:
    parser = Markup(planted)
    parser.feed(html)
    parser.close()
    return parser.items


def plant(cast: Cast, text: str) -> None:
    """Put `text` into every free-text field around the consultation (claimed, with a pending handover)."""
    owner, peer = cast.users["owner"], cast.users["peer"]
    User.objects.filter(pk=owner.pk).update(
        display_name=text[: FIELD_LIMITS["display_name"]], pseudonym=text[: FIELD_LIMITS["pseudonym"]]
    )
    User.objects.filter(pk=peer.pk).update(display_name=text[: FIELD_LIMITS["display_name"]])
    Consultation.objects.filter(pk=cast.consultation.pk).update(question=text, summary=text)
    pk = cast.consultation.pk
    if not cast.extra:
        claimed(cast)
        workflow.status_set(actor=peer, consultation_id=pk, status="waiting", reason=text)
        workflow.note_add(actor=peer, consultation_id=pk, body=text)
        cast.extra["note"] = workflow.note_add(actor=peer, consultation_id=pk, body=text).pk
        cast.transfer = workflow.transfer_request(
            actor=peer,
            consultation_id=pk,
            reason=text,
            to_queue=Queue.objects.get(slug="expert-general"),
            escalation=True,  # the supervisors observe from now on
        )
    else:
        from helpdesk.models import ConsultationEvent, PrivateNote, Transfer

        PrivateNote.objects.filter(consultation_id=pk).update(body=text)
        ConsultationEvent.objects.filter(consultation_id=pk).exclude(reason="").update(reason=text)
        Transfer.objects.filter(consultation_id=pk).update(reason=text)
    for user in (owner, peer):
        user.refresh_from_db()


PAGES = {
    # viewer, path
    "detail-worker": ("owner", "/consultations/{c}/"),
    "detail-responder": ("peer", "/consultations/{c}/"),
    "detail-supervisor": ("supervisor", "/consultations/{c}/"),
    "queue-expert": ("expert", "/consultations/queue/"),
    "home-worker": ("owner", "/"),
    "admin-changelist": ("admin", "/admin/accounts/user/"),
    "admin-change": ("admin", "/admin/accounts/user/{owner}/change/"),
    "admin-search": ("admin", "/admin/accounts/user/?q={owner_username}"),
}


def render(cast: Cast, page: str) -> str:
    viewer, path = PAGES[page]
    client = verify(Client(), cast.users[viewer])
    owner = cast.users["owner"]
    response = client.get(path.format(c=cast.consultation.pk, owner=owner.pk, owner_username=owner.username))
    assert response.status_code == 200, (page, response.status_code)
    return response.content.decode()


@pytest.mark.parametrize("payload", CORPUS, ids=range(len(CORPUS)))
def test_every_page_renders_the_corpus_inert(cast: Cast, payload: str) -> None:
    # given the pages rendered with harmless text in every field
    plant(cast, HARMLESS)
    baseline = {page: structure(render(cast, page), HARMLESS) for page in PAGES}
    # when every field holds the payload instead
    plant(cast, payload)
    for page in PAGES:
        html = render(cast, page)
        # then the markup is exactly the same: nothing added, nothing swallowed
        assert structure(html, payload) == baseline[page], page
        # and the payload is really there, as escaped text
        assert escape(payload[: FIELD_LIMITS["pseudonym"]]) in html, page


@pytest.mark.parametrize("payload", CORPUS, ids=range(len(CORPUS)))
def test_json_and_chat_frames_carry_the_corpus_as_data(cast: Cast, payload: str) -> None:
    # given every field holding the payload, and a chat message from the worker
    plant(cast, payload)
    message = Message.objects.create(
        consultation=cast.consultation, seq=1, author=cast.users["owner"], body=payload
    )
    # when the API and the chat serve them
    from accounts import tokens

    _token, raw = tokens.token_create(actor=cast.users["peer"], name="xss", session_verified=True)
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    response = api.get(f"/api/v1/consultations/{cast.consultation.pk}/")
    frame = message_frame(message, Consultation.objects.select_related("worker").get(pk=cast.consultation.pk))
    # then the API answers JSON that no browser will sniff as HTML, with the text as a plain string
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    detail = response.json()
    # (compared without invisible characters, which the services may already have removed)
    assert visible(payload[: FIELD_LIMITS["pseudonym"]]) in visible(detail["worker"])
    assert visible(detail["summary"]) == visible(detail["notes"][0]["body"]) == visible(payload)
    # and the chat frame's HTML holds only line breaks and http(s) links (the author is plain text)
    assert visible(frame["author"]["display"]) == visible(payload[: FIELD_LIMITS["pseudonym"]])
    tags = [item for item in structure(frame["body_html"]) if item[0] == "tag"]
    for _, tag, attrs in tags:
        assert tag in {"br", "a"}, frame["body_html"]
        if tag == "a":
            assert dict(attrs)["href"].startswith(("http://", "https://")), frame["body_html"]
    assert all(item[0] in {"tag", "end"} for item in structure(frame["body_html"]))


SPOOF = "請求書\u202eexe.pdf\u202c\u200b"


def plant_through_the_services(cast: Cast, text: str) -> None:
    """Write `text` the way people do: the admin's form, the account service, filing, notes, reasons."""
    from accounts.services import AccountSpec, account_apply
    from helpdesk.services import CaseFacts, consultation_create

    owner, peer, admin = cast.users["owner"], cast.users["peer"], cast.users["admin"]
    form = {
        "username": owner.username,
        "display_name": text,
        "role": owner.role,
        "organisation": owner.organisation_id,
        "email": "",
        "professions": "[]",
        "specialties": "[]",
        "pseudonym": text[: FIELD_LIMITS["pseudonym"]],
        "is_active": "on",
    }
    assert verify(Client(), admin).post(f"/admin/accounts/user/{owner.pk}/change/", form).status_code == 302
    account_apply(
        actor=admin,
        spec=AccountSpec(
            username=peer.username,
            role=peer.role,
            organisation_slug=peer.organisation.slug,
            display_name=text,
        ),
    )
    cast.consultation = consultation_create(
        actor=owner,
        facts=CaseFacts(category="burnout", requested_responder="peer", question=text, summary=text),
    )
    pk = cast.consultation.pk
    workflow.claim(actor=peer, consultation_id=pk)
    workflow.status_set(actor=peer, consultation_id=pk, status="waiting", reason=text)
    workflow.note_add(actor=peer, consultation_id=pk, body=text)
    workflow.transfer_request(
        actor=peer,
        consultation_id=pk,
        reason=text,
        to_queue=Queue.objects.get(slug="expert-general"),
        escalation=True,
    )


@pytest.mark.parametrize("page", ["detail-responder", "detail-worker", "queue-expert", "home-worker"])
def test_bidi_and_zero_width_characters_never_reach_a_page(cast: Cast, page: str) -> None:
    # given every field written, through the real services, with text that uses a right-to-left
    # override to disguise itself
    plant_through_the_services(cast, SPOOF)
    # when a page shows it
    html = render(cast, page)
    # then the text is there, but none of the reordering or invisible characters
    assert "請求書" in html
    assert not set(BIDI_AND_INVISIBLE) & set(html), page


def test_the_chat_renderer_strips_bidi_and_zero_width_characters() -> None:
    assert not set(BIDI_AND_INVISIBLE) & set(render_html(SPOOF))


FORMULAS = [
    '=HYPERLINK("https://evil.example","開く")',
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠A1",
    "=cmd|' /C calc'!A0",
]


@pytest.mark.parametrize("formula", FORMULAS, ids=range(len(FORMULAS)))
def test_csv_exports_neutralise_formulas_in_text_cells(formula: str) -> None:
    # given a detail export whose queue name (admin-entered text) is a spreadsheet formula
    row = {
        "pk": 7,
        "created_at": timezone.now(),
        "category": "burnout",
        "subtype": "",
        "priority": "normal",
        "status": "resolved",
        "queue__name": formula,
        "worker__organisation__prefecture": "14",
        "worker__organisation__org_type": "npo",
        "first_response_at": None,
        "resolved_at": None,
        "escalation_level": 0,
        "first_response_breached": False,
        "reopened": False,
    }
    rows = csv_export.detail_rows([row], places=Counter({("14", "npo"): 5}), subtypes=Counter())
    # when it is written as CSV
    response = csv_export.csv_response("export.csv", rows)
    content = b"".join(cast(Iterator[bytes], response.streaming_content)).decode("utf-8-sig")
    # then no text cell starts with a character a spreadsheet runs as a formula
    cells = [cell for line in csv.reader(io.StringIO(content)) for cell in line]
    assert "'" + formula in cells
    for cell in cells:
        assert not cell.startswith(csv_export.FORMULA_STARTS), cell
    assert response["Content-Type"].startswith("text/csv") and response["X-Content-Type-Options"] == "nosniff"
    # and numbers stay numbers (a negative figure is not text)
    assert csv_export.neutralise(-2) == -2 and json.dumps(csv_export.neutralise(None)) == '""'
