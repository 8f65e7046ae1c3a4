"""What a person does in the browser: log in, file a consultation, chat; screenshots and axe checks.

Selectors use ids, names and values rather than visible labels, so the tests do not break when the
Japanese catalogue changes; assertions on wording use the texts the JavaScript itself writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.contrib.auth.hashers import PBKDF2PasswordHasher

from accounts.models import User
from tests.conftest import PASSWORD, totp_for

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PHONE: ViewportSize = {"width": 360, "height": 780}
LIVE_TIMEOUT_MS = 20_000  # a live notification or chat message must arrive within this (CI may be busy)
CONSULTATION_URL = re.compile(r"/consultations/(\d+)/$")

# Injected before any page script: keeps every WebSocket the page opens, so a test can wait until a
# socket is open and can cut connections (Chromium's offline mode blocks new connections and stalls
# open ones, but never closes them, so a real network drop is simulated by closing them as well).
SOCKET_TRACKER = """
(() => {
  const Native = window.WebSocket;
  const sockets = [];
  class TrackedWebSocket extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  window.WebSocket = TrackedWebSocket;
  window.__e2eIsOpen = (part) => sockets.some((s) => s.url.includes(part) && s.readyState === Native.OPEN);
  window.__e2eSockets = () => sockets.map((s) => [s.url, s.readyState]);
  window.__e2eCut = (part) => sockets.filter((s) => s.url.includes(part)).forEach((s) => s.close());
})();
"""

# Opens a WebSocket from the page (its cookies, its origin) and reports how it was closed.
WEBSOCKET_CLOSE_CODE = """
(path) => new Promise((resolve) => {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + path);
  const timer = setTimeout(() => { socket.close(); resolve(-1); }, 8000);
  socket.onclose = (event) => { clearTimeout(timer); resolve(event.code); };
})
"""


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Writes standard `pbkdf2_sha256` hashes with one iteration.

    The server (Django's default hashers) verifies them and upgrades them at the first login, so
    creating a test account costs nothing and a login costs one hash on the server.
    """

    iterations = 1


@dataclass(frozen=True)
class E2EServer:
    base_url: str
    log: Path


@dataclass
class Actor:
    """One person with their own browser context (cookies, localStorage, network)."""

    name: str
    context: BrowserContext
    page: Page
    server: E2EServer
    js_errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("pageerror", lambda error: self.js_errors.append(str(error)))
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))

    def new_tab(self, name: str) -> Actor:
        """Another tab of the same person (same context: same session, network and storage)."""
        return Actor(name=name, context=self.context, page=self.context.new_page(), server=self.server)

    # --- logging in ---------------------------------------------------------------------------

    def submit_login(self, username: str, code: str = "", password: str = PASSWORD) -> None:
        page = self.page
        if "/accounts/login/" not in page.url:
            page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.fill("#id_otp_token", code)
        page.locator("#main button.primary").click()
        page.wait_for_load_state()

    def login(self, user: User) -> None:
        """Password and a fresh code from the user's authenticator (a confirmed TOTP device)."""
        self.submit_login(user.username, totp_for(user).now())
        assert "/accounts/" not in self.page.url, f"{self.name} could not log in: {self.page.url}"

    # --- sockets ------------------------------------------------------------------------------

    def wait_socket_open(self, path_part: str) -> None:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.wait_for_function(
                "(part) => window.__e2eIsOpen(part)", arg=path_part, timeout=LIVE_TIMEOUT_MS
            )
        except PlaywrightTimeout:
            raise AssertionError(f"{self.name}: no open {path_part} socket\n{self.diagnose()}") from None

    def diagnose(self) -> str:
        """What the page knows about its sockets and errors (for failure messages)."""
        state = self.page.evaluate(
            "() => ({sockets: window.__e2eSockets(), chat: (document.getElementById('chat-state') || {})"
            ".textContent, ready: document.readyState})"
        )
        return (
            f"url={self.page.url} state={state} errors={self.js_errors} console={self.console[-10:]}"
            f" server log={self.server.log}"
        )

    def cut_network(self) -> None:
        self.context.set_offline(True)
        self.page.evaluate("() => window.__e2eCut('/ws/')")

    def restore_network(self) -> None:
        self.context.set_offline(False)

    # --- chat ---------------------------------------------------------------------------------

    def chat_send(self, text: str) -> None:
        """Type and send; the message is queued once the identifier check has passed."""
        from playwright.sync_api import expect

        self.page.fill("#chat-input", text)
        self.page.locator("#chat-form button[type=submit]").click()
        expect(self.page.locator("#chat-input")).to_have_value("")

    def chat_messages(self) -> list[str]:
        """The ordered texts of stored messages in #chat-log (no pending ones, no whispers)."""
        texts: list[str] = self.page.eval_on_selector_all(
            "#chat-log li.msg:not(.pending):not(.whisper) .body", "els => els.map(e => e.innerText.trim())"
        )
        return texts

    def wait_chat_message(self, text: str, whisper: bool = False) -> None:
        from playwright.sync_api import expect

        selector = "#chat-log li.msg.whisper .body" if whisper else "#chat-log li.msg:not(.pending) .body"
        expect(self.page.locator(selector, has_text=text)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)

    def consultation_id(self) -> int:
        match = CONSULTATION_URL.search(self.page.url)
        assert match, f"not on a consultation page: {self.page.url}"
        return int(match.group(1))


# --- the consultation form ----------------------------------------------------------------------


def fill_consultation(
    page: Page,
    *,
    question: str,
    summary: str,
    category: str = "hard_case",
    subtype: str = "support_refusal",
    responder: str = "peer",
) -> None:
    page.goto("/consultations/new/")
    page.check(f"input[name=category][value={category}]")
    if category == "hard_case":
        page.select_option("#id_subtype", subtype)
    page.select_option("#id_requested_responder", responder)
    page.fill("#id_question", question)
    page.fill("#id_summary", summary)


def preview(page: Page) -> None:
    page.locator("button[name=action][value=preview]").click()
    page.wait_for_load_state()


def send_consultation(page: Page) -> int:
    """Press 'Send the consultation' on the preview; acknowledges re-identification warnings if shown."""
    acknowledge = page.locator("input[name=acknowledge_risks]")
    if acknowledge.count():
        acknowledge.check()
    page.locator("button[name=action][value=submit]").click()
    page.wait_for_url(CONSULTATION_URL)
    match = CONSULTATION_URL.search(page.url)
    assert match
    return int(match.group(1))


# --- screenshots --------------------------------------------------------------------------------


def shoot(page: Page, name: str) -> None:
    """Full-page screenshots at 1280 (the centre's laptop) and 360 pixels wide (a phone at night)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
    if size:
        page.set_viewport_size(size)


# --- accessibility ------------------------------------------------------------------------------

BLOCKING_IMPACTS = ("serious", "critical")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
    return "\n".join(lines)
