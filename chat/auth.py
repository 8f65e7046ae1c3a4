"""Who is on the other end of a socket: a two-factor verified session, checked in the consumer."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from accounts.models import User


def verified_user(session: Any) -> User | None:
    """The session's active user if the session passed two-factor login, else None.

    The HTTP middleware does not run for WebSockets, so this repeats its checks: the session
    still exists, the password hash has not changed, and the OTP device stored at login is a
    confirmed device of this user.
    """
    key = getattr(session, "session_key", None) if session is not None else None
    if not key:
        return None
    store: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore(key)
    if not store.exists(key):  # re-read every time: a logout elsewhere deletes the session
        return None
    session = store
    user_id = session.get(SESSION_KEY)
    backend_path = session.get(BACKEND_SESSION_KEY)
    device_id = session.get(DEVICE_ID_SESSION_KEY)
    if not user_id or not backend_path or not device_id:
        return None
    backend: Any = load_backend(backend_path)
    user = backend.get_user(user_id)
    if not isinstance(user, User) or not user.is_active:
        return None
    session_hash = session.get(HASH_SESSION_KEY)
    if not session_hash or not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return None
    device = Device.from_persistent_id(device_id)
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    return user
