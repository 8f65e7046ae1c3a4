from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth import logout
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect
from django.utils.http import urlencode
from django_otp import user_has_device

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_INCOMING_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an id (or keeps the proxy's) for logs, audit rows and the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming.replace("-", "")[:32] if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True


def is_verified(user: Any) -> bool:
    """True when the session's user is authenticated and passed two-factor (django-otp)."""
    return bool(user.is_authenticated and getattr(user, "is_verified", lambda: False)())


def otp_exempt(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view as reachable without an OTP-verified session."""
    view.otp_exempt = True  # type: ignore[attr-defined]
    return view


class RequireVerifiedMiddleware:
    """Every view needs a two-factor verified session unless it is marked @otp_exempt."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        target = getattr(view_func, "view_class", view_func)
        if getattr(view_func, "otp_exempt", False) or getattr(target, "otp_exempt", False):
            return None
        user = request.user
        if is_verified(user):
            return None
        if request.path.startswith(("/api/", "/ws/")):
            return JsonResponse({"code": "not_verified", "detail": "two-factor login required"}, status=401)
        if user.is_authenticated and not user_has_device(user):
            return redirect("accounts:enrol")
        if user.is_authenticated:
            # A password-only session of an enrolled account: start again with the code.
            logout(request)
        return redirect(f"/accounts/login/?{urlencode({'next': request.get_full_path()})}")


class NulCharacter(SuspiciousOperation):
    """A request parameter holds U+0000. The message is fixed: it is logged (django.security)."""

    def __init__(self) -> None:
        super().__init__("NUL character in the request's path or parameters")


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(values: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in items) for key, items in values.lists())


class RefuseNulMiddleware:
    """A NUL in the path, the query string or a form field is a 400 before any view sees it.

    PostgreSQL text can neither store nor compare U+0000, so such a value reaching a query is a
    DataError (a 500: found with a NUL in a queue slug and an admin list filter). Django's form fields
    refuse it already; this covers the views and the admin that read parameters directly. (JSON bodies
    are checked by the API's schemas; chat frames by accounts.text.clean_text; a session cookie with a
    NUL is no session at all, accounts.sessions.)
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        # A csrf_exempt view (the JSON API) reads its own body: touching request.POST here would
        # consume a multipart stream it then cannot read. Its schemas refuse NUL themselves.
        form = (
            request.method == "POST"
            and request.content_type in _FORM_TYPES
            and not getattr(view_func, "csrf_exempt", False)
        )
        if "\x00" in request.path or _has_nul(request.GET) or (form and _has_nul(request.POST)):
            raise NulCharacter
        return None
