"""The login sequence: password (with lockout) and then the second factor."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from django.contrib.auth import authenticate, login
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp import user_has_device

from accounts.audit import audit_record
from accounts.models import AuditAction, User
from accounts.sockets import disconnect_user_on_commit
from accounts.twofactor import second_factor_verify


class LoginResult(Enum):
    VERIFIED = "verified"  # password and code accepted
    NEEDS_ENROLMENT = "needs_enrolment"  # password accepted; no authenticator yet
    REJECTED = "rejected"
    CODE_REQUIRED = "code_required"
    LOCKED_OUT = "locked_out"


@dataclass(frozen=True)
class LoginOutcome:
    result: LoginResult
    user: User | None = None


def session_login(*, request: HttpRequest, username: str, password: str, token: str) -> LoginOutcome:
    """Authenticate; a wrong code counts against the lockout exactly like a wrong password."""
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        audit_record(action=AuditAction.LOCKED_OUT, object_type="accounts.user")
        return LoginOutcome(LoginResult.LOCKED_OUT)
    if not isinstance(user, User):
        # Deliberately no actor: the typed name may be anything, even a password.
        audit_record(action=AuditAction.LOGIN_FAILED, object_type="accounts.user")
        return LoginOutcome(LoginResult.REJECTED)
    if not user_has_device(user):
        login(request, user)
        audit_record(action=AuditAction.LOGIN, actor=user, target=user)
        return LoginOutcome(LoginResult.NEEDS_ENROLMENT, user)
    if not token.strip():
        return LoginOutcome(LoginResult.CODE_REQUIRED)
    device = second_factor_verify(user=user, token=token)
    if device is None:
        user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
        if getattr(request, "axes_locked_out", False):
            audit_record(action=AuditAction.LOCKED_OUT, actor=user, target=user)
            return LoginOutcome(LoginResult.LOCKED_OUT)
        return LoginOutcome(LoginResult.REJECTED)
    login(request, user)
    otp_login(request, device)
    audit_record(action=AuditAction.LOGIN, actor=user, target=user)
    return LoginOutcome(LoginResult.VERIFIED, user)


def session_logout(*, request: HttpRequest) -> None:
    from django.contrib.auth import logout

    user = request.user if request.user.is_authenticated else None
    if isinstance(user, User):
        audit_record(action=AuditAction.LOGOUT, actor=user, target=user)
        disconnect_user_on_commit(user.pk)
    logout(request)
