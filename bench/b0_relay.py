"""Baseline B0: a minimal chat relay written directly on `websockets`.

    python bench/b0_relay.py --port N

One process, one asyncio loop: every text frame received on /<room> is broadcast as is to every
socket of that room (the sender included, as the Channels group does). Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from websockets.asyncio.server import ServerConnection, broadcast, serve

ROOMS: dict[str, set[ServerConnection]] = {}


async def relay(socket: ServerConnection) -> None:
    room = socket.request.path if socket.request else "/"
    members = ROOMS.setdefault(room, set())
    members.add(socket)
    try:
        async for frame in socket:
            broadcast(members, frame)
    finally:
        members.discard(socket)


async def main(port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set_result, None)
    async with serve(relay, "127.0.0.1", port, compression=None, max_queue=None):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
