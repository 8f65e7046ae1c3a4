"""Housekeeping, one of the jobs `manage.py background_worker` runs every round (settings.BACKGROUND_JOBS)."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone


def run_housekeeping() -> dict[str, int]:
    now = timezone.now()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    attempts, _ = AccessAttempt.objects.filter(attempt_time__lt=now - settings.AXES_COOLOFF_TIME).delete()
    return {"expired_sessions": sessions, "stale_login_attempts": attempts}
