"""Error tracking that cannot leak case text.

Sentry is initialised only when SENTRY_DSN is set. Events are rebuilt from an
allow-list: the exception *types* and stack frame locations survive; messages,
exception values, local variables, request data, breadcrumbs of logs and SQL,
user data and extra context do not.
"""

from __future__ import annotations

from typing import Any, cast

_FRAME_KEYS = ("filename", "abs_path", "function", "module", "lineno", "colno", "in_app")
_TOP_LEVEL_KEYS = (
    "event_id",
    "timestamp",
    "platform",
    "level",
    "logger",
    "environment",
    "release",
    "sdk",
    "server_name",
    "transaction_info",
)


def _scrub_stacktrace(stacktrace: dict[str, Any] | None) -> dict[str, Any] | None:
    if not isinstance(stacktrace, dict):
        return None
    frames = [
        {key: frame[key] for key in _FRAME_KEYS if key in frame}
        for frame in stacktrace.get("frames", [])
        if isinstance(frame, dict)
    ]
    return {"frames": frames}


def _scrub_exception(exception: dict[str, Any]) -> dict[str, Any]:
    values = []
    for item in exception.get("values", []) or []:
        if not isinstance(item, dict):
            continue
        kept: dict[str, Any] = {"type": str(item.get("type", "Exception"))}
        if isinstance(item.get("module"), str):
            kept["module"] = item["module"]
        mechanism = item.get("mechanism")
        if isinstance(mechanism, dict):
            kept["mechanism"] = {key: mechanism[key] for key in ("type", "handled") if key in mechanism}
        stacktrace = _scrub_stacktrace(item.get("stacktrace"))
        if stacktrace is not None:
            kept["stacktrace"] = stacktrace
        values.append(kept)
    return {"values": values}


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Sentry before_send: keep only an allow-list of fields."""
    clean: dict[str, Any] = {key: event[key] for key in _TOP_LEVEL_KEYS if key in event}
    if isinstance(event.get("exception"), dict):
        clean["exception"] = _scrub_exception(event["exception"])
    elif "message" in event or "logentry" in event:
        # A captured log line: its text and parameters may carry anything; keep that it happened.
        clean["message"] = "log event (text removed)"
    transaction = event.get("transaction")
    if isinstance(transaction, str) and event.get("transaction_info", {}).get("source") in {
        "route",
        "component",
    }:
        # URL *patterns* only (e.g. "/consultations/{id}/"). Source "url" is the concrete path of a request
        # that matched no pattern, which may carry anything: dropped.
        clean["transaction"] = transaction
    return clean


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Sentry before_breadcrumb: drop log and SQL breadcrumbs, strip data from the rest."""
    category = str(crumb.get("category") or "")
    if crumb.get("type") == "log" or category.startswith(("query", "sql", "django.db", "log")):
        return None
    if crumb.get("category") in {"httplib", "redis", "subprocess"}:
        return None
    return {key: crumb[key] for key in ("type", "category", "level", "timestamp") if key in crumb}


def init_sentry(*, dsn: str, environment: str, transport: Any = None) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        transport=transport,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        include_source_context=False,
        attach_stacktrace=False,
        traces_sample_rate=0.0,
        before_send=cast(Any, scrub_event),
        before_breadcrumb=cast(Any, scrub_breadcrumb),
        integrations=[
            DjangoIntegration(transaction_style="url"),
            # Log records never become events or breadcrumbs.
            LoggingIntegration(level=None, event_level=None),
        ],
    )
