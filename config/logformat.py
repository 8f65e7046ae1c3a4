"""A log formatter whose tracebacks name exception types and frames but never exception messages.

Exception messages can quote data: PostgreSQL's error DETAIL repeats the offending value (a pseudonym
in a uniqueness race, a summary in a check failure), and psycopg puts it in str(exc). Django's
`django.request` logger writes every 500 with its traceback, so the default formatter would copy that
value into the log. This formatter keeps what an operator needs to find the bug (the chain of
exception types and every file, line and function) and drops the messages. The log message itself is
still formatted as usual: our own log calls never carry free text (see docs/security.md).
"""

from __future__ import annotations

import logging
import re
import traceback
from types import TracebackType

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _frames(tb: TracebackType | None) -> list[str]:
    return [
        f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}'
        for frame in traceback.extract_tb(tb)
    ]


def describe_exception(error: BaseException) -> str:
    """The traceback of `error` and its causes, oldest first, with types and frames only."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above exception was the direct cause of the following:"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "During handling of the above exception, another occurred:"
        else:
            current = None
    lines: list[str] = []
    for position, (exception, _) in enumerate(reversed(chain)):
        if position:
            # the link text belongs to the exception after the one just written
            lines += ["", chain[len(chain) - position][1], ""]
        lines.append("Traceback (most recent call last):")
        lines += _frames(exception.__traceback__)
        kind = type(exception)
        lines.append(f"{kind.__module__}.{kind.__qualname__} (message withheld)")
    return "\n".join(lines)


class TracebackWithoutValues(logging.Formatter):
    """logging.Formatter with `describe_exception` for exc_info; stack_info is kept as is."""

    def format(self, record: logging.LogRecord) -> str:
        # logging caches the first handler's traceback text on the record (exc_text) and every later
        # formatter reuses it: a default formatter that ran first would have written the messages.
        cached, record.exc_text = record.exc_text, None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(self, ei: ExcInfo | tuple[None, None, None]) -> str:
        _, error, _ = ei
        if error is None:
            return ""
        return describe_exception(error)


def _type_name(value: object) -> object:
    if isinstance(value, BaseException):
        kind = type(value)
        return f"{kind.__module__}.{kind.__qualname__}"
    return value


class ExceptionsAsTypes(logging.Filter):
    """An exception passed as the message or an argument is logged as its type, not its text.

    daphne logs "Exception inside application: %s" with the exception as argument, and other
    libraries do the same; str(exception) can quote data.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _type_name(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_type_name(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _type_name(arg) for key, arg in record.args.items()}
        return True


_QUERY = re.compile(r"^(\S+ [^?\s]*)\?\S*")


class WithoutQueryString(logging.Filter):
    """Development servers' request lines without the query string (it can hold a searched name).

    Django's runserver logs ("GET /admin/accounts/user/?q=<name> HTTP/1.1", status, size); daphne's
    runserver (the one `make run` uses, daphne being an installed app) logs a dict with "path".
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args and isinstance(args[0], str):
            record.args = (_QUERY.sub(r"\1", args[0]), *args[1:])
        elif isinstance(args, dict) and isinstance(args.get("path"), str):
            record.args = {**args, "path": args["path"].split("?", 1)[0]}
        return True
