"""TOTP enrolment, backup codes and second-factor verification (django-otp)."""

from __future__ import annotations

import re
import unicodedata

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import audit_record
from accounts.models import AuditAction, User

_TOTP_FORMAT = re.compile(r"^\d{6}$")
_BACKUP_FORMAT = re.compile(r"^[a-z2-7]{8}$")


def normalise_token(raw: str) -> str:
    """Accept full-width digits, spaces and hyphens as people type them on phones."""
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"[\s\-]", "", text).lower()


def enrolment_device(*, user: User) -> TOTPDevice:
    """The unconfirmed TOTP device the person is setting up (one at a time)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="認証アプリ", confirmed=False)
    return device


def qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg: str = image.to_string(encoding="unicode")
    return svg


def _issue_backup_codes(*, user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="バックアップコード", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    audit_record(action=AuditAction.BACKUP_CODES_ISSUED, actor=user, target=user)
    return codes


def enrolment_confirm(*, user: User, token: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the pending device with a code; returns it with fresh backup codes."""
    token = normalise_token(token)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None or not _TOTP_FORMAT.match(token) or not device.verify_token(token):
            audit_record(action=AuditAction.OTP_FAILED, actor=user, target=user)
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        audit_record(action=AuditAction.OTP_ENROLLED, actor=user, target=user)
        codes = _issue_backup_codes(user=user)
    return device, codes


def backup_codes_regenerate(*, user: User) -> list[str]:
    with transaction.atomic():
        return _issue_backup_codes(user=user)


def backup_codes_remaining(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def second_factor_verify(*, user: User, token: str) -> Device | None:
    """Check a TOTP code or a backup code against the person's confirmed devices.

    Each device keeps django-otp's own exponential throttling.
    """
    token = normalise_token(token)
    if _TOTP_FORMAT.match(token):
        candidates: list[Device] = list(TOTPDevice.objects.filter(user=user, confirmed=True))
    elif _BACKUP_FORMAT.match(token):
        candidates = list(StaticDevice.objects.filter(user=user, confirmed=True))
    else:
        candidates = []
    for device in candidates:
        verified = django_otp.verify_token(user, device.persistent_id, token)
        if verified is not None:
            if isinstance(verified, StaticDevice):
                audit_record(action=AuditAction.BACKUP_CODE_USED, actor=user, target=user)
            return verified
    audit_record(action=AuditAction.OTP_FAILED, actor=user, target=user)
    return None
