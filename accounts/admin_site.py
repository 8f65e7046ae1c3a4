from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts.middleware import is_verified


class ServiceAdminSite(admin.AdminSite):
    """Only OTP-verified accounts with the admin role; everyone logs in through our own login."""

    site_header = _("Consultation service administration")
    site_title = _("Administration")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and is_verified(user))

    def login(self, request: HttpRequest, extra_context: dict[str, object] | None = None) -> HttpResponse:
        if request.user.is_authenticated:
            return HttpResponseForbidden(_("This account may not use the administration pages."))
        return redirect(f"/accounts/login/?{urlencode({'next': request.GET.get('next', '/admin/')})}")
