"""The session engine (settings.SESSION_ENGINE): Django's database sessions, refusing malformed keys.

Django makes session keys of 32 lowercase letters and digits. A cookie holding anything else (a NUL,
which PostgreSQL cannot compare, made the session lookup a 500) is treated as no session at all:
the person is sent to the login, and nothing is looked up.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key: str | None) -> bool:
        # Django's own rule (stubs do not declare it): truthy and at least 8 characters.
        return key is not None and len(key) >= 8 and key.isascii() and key.isalnum()
