"""GET /healthz: a real database query and a real channel-layer round trip."""

from __future__ import annotations

import asyncio
import logging
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.middleware import otp_exempt

logger = logging.getLogger(__name__)
CHANNEL_TIMEOUT_SECONDS = 2.0


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means "down"
        logger.warning("healthz: database check failed: %s", type(error).__name__)
        return "error"
    return "ok"


async def _channel_round_trip() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    channel = await layer.new_channel("healthz.")
    nonce = uuid.uuid4().hex
    try:
        await layer.send(channel, {"type": "healthz.ping", "nonce": nonce})
        message = await layer.receive(channel)
    finally:
        # Unsubscribe the one-off channel (the pub/sub layer cleans up on cancellation).
        task = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):  # noqa: BLE001, S110 - cleanup only
            pass
    if message.get("nonce") != nonce:
        raise RuntimeError("channel layer returned a foreign message")


async def _check_channel_layer_async() -> str:
    try:
        await asyncio.wait_for(_channel_round_trip(), CHANNEL_TIMEOUT_SECONDS)
    except Exception as error:  # noqa: BLE001 - any failure means "down"
        logger.warning("healthz: channel layer check failed: %s", type(error).__name__)
        return "error"
    return "ok"


def check_channel_layer() -> str:
    return async_to_sync(_check_channel_layer_async)()


@otp_exempt
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    parts = {"database": check_database(), "channel_layer": check_channel_layer()}
    healthy = all(value == "ok" for value in parts.values())
    return JsonResponse({"status": "ok" if healthy else "error", **parts}, status=200 if healthy else 503)
