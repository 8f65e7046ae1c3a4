"""Browser tests: a real daphne server (PostgreSQL + a private Redis) driven by Debian's Chromium.

The server runs as a subprocess with DJANGO_ENV=test and DEBUG off, on the pytest test database, so the
tests must commit their data: every e2e test is `django_db(transaction=True)`.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection

from tests.conftest import RedisServer, free_port, wait_for_port
from tests.e2e.helpers import CHROMIUM, SOCKET_TRACKER, Actor, E2EServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ViewportSize

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: drives a real browser against a real daphne server (tests/e2e)")


def missing_requirement() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk; .ci/run installs it)"
    for module, package in (("playwright", "playwright"), ("axe_playwright_python", "axe-playwright-python")):
        if importlib.util.find_spec(module) is None:
            return f"the Python package {package} is not installed (pip install {package})"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = missing_requirement()
    if reason is None:
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    """Overrides the suite's MD5 hasher: the server only knows Django's default hashers."""
    settings.PASSWORD_HASHERS = ["tests.e2e.helpers.QuickPBKDF2PasswordHasher"]


@pytest.fixture(scope="session")
def e2e_redis() -> Iterator[RedisServer]:
    """A private Redis: live notifications of other test runs on the shared server cannot leak in."""
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def e2e_server(
    django_db_setup: None, e2e_redis: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[E2EServer]:
    if connection.vendor != "postgresql":
        pytest.skip("the browser tests share PostgreSQL with a server process; make test runs on it")
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    http_port = free_port()
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DEBUG": "0",
        "DATABASE_URL": f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}",
        "REDIS_URL": e2e_redis.url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = tmp_path_factory.mktemp("daphne") / "daphne.log"
    with log.open("wb") as sink:
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(http_port)]
        process = subprocess.Popen(
            [*command, "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(http_port, seconds=30)
    except TimeoutError:
        process.kill()
        raise RuntimeError(f"daphne did not start:\n{log.read_text(errors='replace')[-3000:]}") from None
    yield E2EServer(base_url=f"http://127.0.0.1:{http_port}", log=log)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="package")
def browser(e2e_server: E2EServer) -> Iterator[Browser]:
    """One headless Chromium for the browser tests.

    Playwright's sync API keeps an asyncio loop running on this thread while it is started, which trips
    Django's async-safety check for the ORM calls of the test (plain synchronous code). The check is
    switched off only while the browser runs, and the browser is stopped when tests/e2e ends, so the
    other test packages (and their asyncio tests) see neither.
    """
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # generous: the assertions wait only as long as they must

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def actor(browser: Browser, e2e_server: E2EServer) -> Iterator[Callable[[str], Actor]]:
    """Opens a fresh browser context (a person at their own computer); all are closed after the test."""
    opened: list[Actor] = []

    def open_actor(name: str) -> Actor:
        context = browser.new_context(
            base_url=e2e_server.base_url,
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
            viewport=DESKTOP,
        )
        context.set_default_timeout(20_000)
        context.add_init_script(SOCKET_TRACKER)
        person = Actor(name=name, context=context, page=context.new_page(), server=e2e_server)
        opened.append(person)
        return person

    yield open_actor
    for person in opened:
        person.context.close()
