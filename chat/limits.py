"""Flood control: a token bucket per connection and a shared window per user (cache; Redis in production)."""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)


class TokenBucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


USER_WINDOW_SECONDS = 10
USER_MAX_SENDS = 30


def user_allows_send(user_id: int) -> bool:
    """At most USER_MAX_SENDS messages per user per window, across all their connections."""
    key = f"chat:sends:{int(user_id)}:{int(time.time() // USER_WINDOW_SECONDS)}"
    try:
        if cache.add(key, 1, timeout=USER_WINDOW_SECONDS * 2):
            return True
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        return True
    except Exception as error:  # noqa: BLE001 - cache (Redis) down: the per-connection bucket still applies
        logger.warning("rate-limit cache unavailable: %s", type(error).__name__)
        return True
    return count <= USER_MAX_SENDS
