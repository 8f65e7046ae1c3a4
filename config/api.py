"""The JSON API under /api/v1/: who may call it, how errors look, and which routers it serves.

Two ways in, tried in this order on every operation:
1. `Authorization: Bearer sst_...`, a personal access token (accounts.tokens). No CSRF: a browser
   never attaches this header to a forged cross-site request on its own.
2. The browser session, only when it is two-factor verified, with Django's CSRF check enforced
   for unsafe methods (the same rule as the HTML forms).
Token management accepts the verified session only: a token cannot mint or revoke tokens.

Every error is JSON with a stable `code` and a human `detail`; a resource the caller may not see
answers exactly like a missing one (404).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import wraps
from typing import Any

import sentry_sdk
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from ninja import Field, NinjaAPI, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from accounts import tokens
from accounts.middleware import is_verified
from accounts.models import AccessToken, User
from helpdesk.api import router as helpdesk_router
from helpdesk.api_schemas import ErrorOut
from helpdesk.services import IdentifiersRemain, RisksNotAcknowledged
from helpdesk.workflow import Conflict, NotFound, WorkflowError

logger = logging.getLogger(__name__)


class ApiError(HttpError):
    """A refusal raised by the API layer itself (authentication, CSRF)."""

    def __init__(self, status_code: int, code: str, detail: str) -> None:
        super().__init__(status_code, detail)
        self.code = code
        self.detail = detail


# --- Authentication -------------------------------------------------------------------------


class BearerToken(HttpBearer):
    """A personal access token. A presented but unusable token is refused, never ignored."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = tokens.user_for_token(token)
        if user is None:
            raise ApiError(401, "invalid_token", "アクセストークンが無効か、期限切れか、失効しています。")
        return user


class VerifiedSession(APIKeyCookie):
    """The logged-in browser session: two-factor verified, CSRF checked for unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> User | None:
        user = request.user
        if not user.is_authenticated:
            return None
        if not is_verified(user):
            raise ApiError(401, "not_verified", "二要素認証でログインしてください。")
        # ninja marks its views csrf_exempt for Django's middleware; the check happens here,
        # and only for the session (a bearer request never reaches this class when it succeeds).
        if check_csrf(request) is not None:
            raise ApiError(403, "csrf_failed", "CSRFトークンがないか、正しくありません。")
        assert isinstance(user, User)
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        return self(request)  # pragma: no cover - __call__ does the work


class SessionOnly(VerifiedSession):
    """For token management: a bearer token is not enough, whatever it is."""

    def __call__(self, request: HttpRequest) -> User | None:
        user = super().__call__(request)
        if user is None and request.headers.get("Authorization"):
            raise ApiError(
                403, "session_required", "トークンの管理には二要素認証でログインしたブラウザが必要です。"
            )
        return user


API_AUTH = [BearerToken(), VerifiedSession()]


def _authenticated_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The schema is for callers of the API, not for the open internet."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if any(auth(request) for auth in API_AUTH):
                return view(request, *args, **kwargs)
        except ApiError as error:
            return _error_response(request, error)
        return _error_response(request, AuthenticationError())

    return wrapped


class ServiceAPI(NinjaAPI):
    """NinjaAPI whose views authenticate themselves instead of relying on RequireVerifiedMiddleware.

    The middleware would answer 401 to every token request (they carry no session); each
    operation here runs API_AUTH (or SessionOnly) instead, so the middleware must step aside.
    """

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        _mark_otp_exempt(patterns)
        return patterns, app_name, namespace


def _mark_otp_exempt(patterns: Iterable[URLResolver | URLPattern]) -> None:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _mark_otp_exempt(pattern.url_patterns)
        else:
            pattern.callback.otp_exempt = True  # type: ignore[attr-defined]


api = ServiceAPI(
    title="支援者支援 相談サービス API",
    version="1",
    urls_namespace="api",
    docs_url=None,  # no Swagger UI: it would load assets from a CDN
    openapi_url="/schema/",
    docs_decorator=_authenticated_only,
    auth=API_AUTH,
)


# --- Errors ---------------------------------------------------------------------------------


def _json(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    response = api.create_response(request, body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _error_response(request: HttpRequest, error: Exception) -> HttpResponse:
    if isinstance(error, ApiError):
        return _json(request, error.status_code, {"code": error.code, "detail": error.detail})
    return _json(request, 401, {"code": "not_authenticated", "detail": "認証が必要です。"})


NOT_FOUND = {"code": "not_found", "detail": "見つかりません。"}


@api.exception_handler(WorkflowError)
def _workflow_error(request: HttpRequest, error: WorkflowError) -> HttpResponse:
    if isinstance(error, NotFound) and error.code == NOT_FOUND["code"]:
        # One body for every "missing or not yours", whichever layer noticed it.
        return _json(request, 404, NOT_FOUND)
    status = 404 if isinstance(error, NotFound) else 409 if isinstance(error, Conflict) else 400
    return _json(request, status, {"code": error.code, "detail": error.detail})


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    # The services' messages are for developers; people get a fixed sentence.
    return _json(request, 403, {"code": "forbidden", "detail": "この操作を行う権限がありません。"})


@api.exception_handler(Http404)
def _http404(request: HttpRequest, error: Http404) -> HttpResponse:
    return _json(request, 404, NOT_FOUND)


@api.exception_handler(ObjectDoesNotExist)
def _does_not_exist(request: HttpRequest, error: ObjectDoesNotExist) -> HttpResponse:
    return _json(request, 404, NOT_FOUND)


@api.exception_handler(NinjaValidationError)
def _invalid_input(request: HttpRequest, error: NinjaValidationError) -> HttpResponse:
    # pydantic's "input" is already removed by ninja: the body never comes back in an error.
    body = {"code": "invalid", "detail": "入力内容を確認してください。", "errors": error.errors}
    return _json(request, 422, body)


@api.exception_handler(DjangoValidationError)
def _invalid_data(request: HttpRequest, error: DjangoValidationError) -> HttpResponse:
    errors: Any = error.message_dict if hasattr(error, "error_dict") else error.messages
    return _json(
        request, 400, {"code": "invalid", "detail": "入力内容を確認してください。", "errors": errors}
    )


@api.exception_handler(IdentifiersRemain)
def _identifiers_remain(request: HttpRequest, error: IdentifiersRemain) -> HttpResponse:
    found = [{"field": f.field, "start": f.start, "end": f.end, "label": f.label} for f in error.found]
    body = {
        "code": "identifiers_remain",
        "detail": "個人を特定できる情報が残っています。置き換えるか、個人情報ではないと確認してください。",
        "found": found,
    }
    return _json(request, 422, body)


@api.exception_handler(RisksNotAcknowledged)
def _risks(request: HttpRequest, error: RisksNotAcknowledged) -> HttpResponse:
    body = {
        "code": "risks_not_acknowledged",
        "detail": "再識別の注意を確認し、risks_acknowledged を true にして送信してください。",
        "codes": error.codes,
    }
    return _json(request, 422, body)


@api.exception_handler(AuthenticationError)
def _not_authenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return _error_response(request, error)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, error: ApiError) -> HttpResponse:
    return _error_response(request, error)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    code = "bad_request" if error.status_code == 400 else "error"
    return _json(request, error.status_code, {"code": code, "detail": str(error)})


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, error: Exception) -> HttpResponse:
    # The message may quote data; log the type only. Sentry's before_send keeps types and frames.
    logger.error(
        "API error %s on %s",
        type(error).__name__,
        request.resolver_match.route if request.resolver_match else "",
    )
    sentry_sdk.capture_exception(error)
    return _json(request, 500, {"code": "server_error", "detail": "サーバーで問題が起きました。"})


# --- Personal access tokens -----------------------------------------------------------------

tokens_router = Router(tags=["tokens"], auth=SessionOnly())


class TokenIn(Schema):
    name: str = Field(max_length=100)
    days: int = Field(90, ge=1, le=365, description="Validity in days.")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret. Shown only in this response; store it now.")


TOKEN_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _user(request: HttpRequest) -> User:
    user = getattr(request, "auth", None)
    assert isinstance(user, User)
    return user


@tokens_router.post(
    "/", response={201: TokenCreatedOut, **TOKEN_ERRORS}, summary="Create a token (session only)"
)
def token_create(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    token, raw = tokens.token_create(
        actor=_user(request), name=payload.name, session_verified=is_verified(request.user), days=payload.days
    )
    return Status(201, {**TokenOut.from_orm(token).model_dump(), "token": raw})


@tokens_router.get("/", response={200: list[TokenOut], **TOKEN_ERRORS}, summary="My tokens (session only)")
def token_list(request: HttpRequest) -> list[AccessToken]:
    return list(_user(request).access_tokens.all())


@tokens_router.delete(
    "/{token_id}/", response={204: None, **TOKEN_ERRORS}, summary="Revoke a token (session only)"
)
def token_revoke(request: HttpRequest, token_id: int) -> Status[None]:
    tokens.token_revoke(actor=_user(request), token_id=token_id, session_verified=is_verified(request.user))
    return Status(204, None)


api.add_router("/tokens/", tokens_router)
api.add_router("/", helpdesk_router)
