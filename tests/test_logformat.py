"""The log formatter keeps exception types and frames and drops exception messages (they can quote data)."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys

from config.logformat import ExceptionsAsTypes, TracebackWithoutValues, WithoutQueryString

SECRET = "カナリア-ログ-7f3a"  # fictional


def _log_failure(raiser: type[BaseException]) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TracebackWithoutValues(fmt="%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.logformat")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            try:
                raise KeyError(SECRET)
            except KeyError:
                raise ValueError(f"bad value {SECRET!r}")  # noqa: B904 - implicit context on purpose
        except ValueError as error:
            raise raiser(f"DETAIL: Key (pseudonym)=({SECRET}) already exists.") from error
    except BaseException:
        logger.exception("request failed")
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_the_chain_of_types_and_frames_is_written_without_any_message() -> None:
    written = _log_failure(RuntimeError)
    assert written.startswith("ERROR request failed\n")
    assert SECRET not in written
    # every exception of the chain, oldest first, with the way they are linked and their frames
    positions = [written.index(name) for name in ("KeyError", "builtins.ValueError", "builtins.RuntimeError")]
    assert positions == sorted(positions)
    assert "During handling of the above exception, another occurred:" in written
    assert "The above exception was the direct cause of the following:" in written
    assert written.count("Traceback (most recent call last):") == 3
    assert f'File "{__file__}"' in written and "in _log_failure" in written
    assert written.count("(message withheld)") == 3


def test_a_record_without_an_exception_is_formatted_as_usual() -> None:
    formatter = TracebackWithoutValues(fmt="%(name)s: %(message)s")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "tick %s", ("done",), None)
    assert formatter.format(record) == "x: tick done"


def test_a_traceback_cached_by_an_earlier_formatter_is_not_reused() -> None:
    try:
        raise ValueError(SECRET)
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    assert SECRET in logging.Formatter().format(record)  # a default handler ran first and cached it
    written = TracebackWithoutValues().format(record)
    assert SECRET not in written and "builtins.ValueError (message withheld)" in written


def test_an_exception_given_as_an_argument_or_the_message_is_logged_as_its_type() -> None:
    record = logging.LogRecord(
        "daphne.server",
        logging.ERROR,
        __file__,
        1,
        "Exception inside application: %s",
        (ValueError(SECRET),),
        None,
    )
    assert ExceptionsAsTypes().filter(record)
    assert record.getMessage() == "Exception inside application: builtins.ValueError"
    bare = logging.LogRecord("x", logging.ERROR, __file__, 1, KeyError(SECRET), None, None)
    ExceptionsAsTypes().filter(bare)
    assert bare.getMessage() == "builtins.KeyError"


def test_request_lines_lose_their_query_string() -> None:
    line = "GET /admin/accounts/user/?q=%E5%B1%B1%E7%94%B0 HTTP/1.1"
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s', (line, "200", "512"), None
    )
    assert WithoutQueryString().filter(record)
    assert record.getMessage() == '"GET /admin/accounts/user/ HTTP/1.1" 200 512'


# In a fresh process with the service's settings and DEBUG on (as `make run`): Django's own handlers
# are configured first there, then settings.LOGGING.
LOG_SOME_FAILURES = f"""
import logging, django
django.setup()
def fail():
    raise ValueError("{SECRET}")
try:
    fail()
except ValueError as error:
    logging.getLogger("django.request").error("Internal Server Error: %s", "/x/", exc_info=True)
    logging.getLogger("daphne.server").error("Exception inside application: %s", error, exc_info=error)
logging.getLogger("django.server").info('"%s" %s %s', "GET /admin/?q={SECRET} HTTP/1.1", "200", "9")
from daphne.management.commands.runserver import Command  # what `make run` serves with
Command().log_action("http", "complete", {{"method": "GET", "path": "/admin/accounts/user/?q={SECRET}",
    "status": 200, "time_taken": 0.01, "client": "127.0.0.1:5"}})
"""


def test_with_debug_on_nothing_the_service_logs_carries_a_message_or_a_query() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV": "development",
        "DEBUG": "1",
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", LOG_SOME_FAILURES],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    written = done.stdout + done.stderr
    assert "Internal Server Error: /x/" in written and "Exception inside application" in written
    assert "in fail" in written and '"GET /admin/ HTTP/1.1" 200 9' in written
    assert "HTTP GET /admin/accounts/user/ 200" in written
    assert SECRET not in written
