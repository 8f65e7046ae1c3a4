from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import user_has_device

from accounts import twofactor
from accounts.audit import audit_record
from accounts.forms import LoginForm, TokenForm
from accounts.login import LoginResult, session_login, session_logout
from accounts.middleware import is_verified, otp_exempt
from accounts.models import AuditAction, User


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url("home")


@otp_exempt
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if is_verified(request.user):
        return redirect(_safe_next(request))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        outcome = session_login(
            request=request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            token=form.cleaned_data["otp_token"],
        )
        if outcome.result is LoginResult.VERIFIED:
            return redirect(_safe_next(request))
        if outcome.result is LoginResult.NEEDS_ENROLMENT:
            return redirect("accounts:enrol")
        if outcome.result is LoginResult.CODE_REQUIRED:
            form.add_error("otp_token", _("Enter the verification code from your authenticator app."))
        else:
            # AxesMiddleware turns a locked-out request into the lockout page (429).
            form.add_error(None, _("The username, password or verification code is not correct."))
        status = 400
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request)}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    session_logout(request=request)
    messages.info(request, _("You have logged out."))
    return redirect("accounts:login")


@otp_exempt
@never_cache
@login_required
def enrol_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if is_verified(user):
        return redirect("home")
    if user_has_device(user):
        # Enrolled already, but this session has not shown a code: log in properly.
        session_logout(request=request)
        return redirect("accounts:login")
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        confirmed = twofactor.enrolment_confirm(user=user, token=form.cleaned_data["otp_token"])
        if confirmed is not None:
            device, codes = confirmed
            from django_otp import login as otp_login

            otp_login(request, device)
            return render(request, "accounts/backup_codes.html", {"codes": codes, "after_enrolment": True})
        form.add_error("otp_token", _("That code did not match. Check the time on your phone and try again."))
        status = 400
    device = twofactor.enrolment_device(user=user)
    context = {"form": form, "otp_uri": device.config_url, "qr_svg": twofactor.qr_svg(device.config_url)}
    return render(request, "accounts/enrol.html", context, status=status)


@never_cache
def backup_codes_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if request.method == "POST":
        codes = twofactor.backup_codes_regenerate(user=user)
        return render(request, "accounts/backup_codes.html", {"codes": codes, "after_enrolment": False})
    remaining = twofactor.backup_codes_remaining(user=user)
    return render(request, "accounts/backup_codes_status.html", {"remaining": remaining})


class InvitationView(auth_views.PasswordResetConfirmView):
    """Sets the first password from an invitation link (Django's signed, expiring token)."""

    template_name = "accounts/invitation.html"
    success_url = reverse_lazy("accounts:login")
    post_reset_login = False
    otp_exempt = True

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        audit_record(action=AuditAction.PASSWORD_SET, actor=form.user, target=form.user)
        messages.success(self.request, _("Your password is set. Log in to set up two-factor authentication."))
        return response


@never_cache
def home_view(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")
