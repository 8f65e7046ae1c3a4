"""Error pages in Japanese that say what to do next; JSON under /api/."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

_API_ERRORS = {
    400: ("invalid", "入力内容を確認してください。"),
    403: ("forbidden", "この操作は許可されていません。"),
    404: ("not_found", "見つかりません。"),
    500: ("server_error", "サーバーで問題が起きました。時間をおいてもう一度お試しください。"),
}


def _respond(request: HttpRequest, status: int) -> HttpResponse:
    if request.path.startswith("/api/"):
        code, detail = _API_ERRORS[status]
        return JsonResponse({"code": code, "detail": detail}, status=status)
    return render(request, f"errors/{status}.html", status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 400)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _respond(request, 500)
    # No context processors here: the failure may come from them (database, session).
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)
