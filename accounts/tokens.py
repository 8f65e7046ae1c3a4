"""Personal access tokens: created and revoked only from a two-factor verified session."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import AccessToken, User
from accounts.text import clean_line

TOKEN_PREFIX = "sst_"  # noqa: S105 - a public marker, not a secret
MAX_ACTIVE_TOKENS = 10


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(
    *, actor: User, name: str, session_verified: bool, days: int = 90
) -> tuple[AccessToken, str]:
    """Returns the row and the raw token, which is shown once and never stored."""
    if not session_verified:
        raise PermissionDenied("tokens are created from a two-factor verified session only")
    name = clean_line(name)
    if not name or len(name) > 100:
        raise ValidationError({"name": "1〜100文字で入力してください。"})
    if not 1 <= days <= 365:
        raise ValidationError({"days": "有効期間は1〜365日です。"})
    with transaction.atomic():
        active = AccessToken.objects.select_for_update().filter(user=actor, revoked_at__isnull=True)
        if active.count() >= MAX_ACTIVE_TOKENS:
            raise ValidationError({"name": "有効なトークンが多すぎます。不要なものを失効させてください。"})
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = AccessToken.objects.create(
            user=actor,
            name=name,
            prefix=raw[: len(TOKEN_PREFIX) + 6],
            token_hash=_digest(raw),
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit_record(action="token_created", actor=actor, target=token)
    return token, raw


def token_revoke(*, actor: User, token_id: int, session_verified: bool) -> AccessToken:
    if not session_verified:
        raise PermissionDenied("tokens are revoked from a two-factor verified session only")
    with transaction.atomic():
        token = AccessToken.objects.select_for_update().filter(pk=token_id, user=actor).first()
        if token is None:
            raise AccessToken.DoesNotExist
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(action="token_revoked", actor=actor, target=token)
    return token


def user_for_token(raw: str) -> User | None:
    """The active account behind a raw token, or None (expired, revoked, unknown, inactive)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    now = timezone.now()
    token = (
        AccessToken.objects.select_related("user", "user__organisation")
        .filter(token_hash=_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
