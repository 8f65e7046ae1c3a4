"""The log formatter keeps exception types and frames and drops exception messages (they can quote data)."""

from __future__ import annotations

import io
import logging

from config.logformat import TracebackWithoutValues

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
