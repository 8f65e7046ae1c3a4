"""A small keep-alive HTTP/1.1 GET client on asyncio streams (loopback only).

Enough for daphne's responses: Content-Length or chunked bodies, "Connection: close" honoured.
Kept tiny so that the client's own cost stays small next to the server's.
"""

from __future__ import annotations

import asyncio


class HttpError(Exception):
    pass


class Connection:
    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port = port
        self.headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        return self.reader, self.writer

    async def get(self, path: str, timeout: float = 30) -> tuple[int, int]:
        """(status, body length)."""
        return await asyncio.wait_for(self._get(path), timeout)

    async def _get(self, path: str) -> tuple[int, int]:
        reader, writer = await self._open()
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.headers}\r\n".encode())
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            await self.close()
            raise HttpError("connection closed")
        status = int(status_line.split()[1])
        length, chunked, close = -1, False, False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        size = 0
        if chunked:
            while True:
                chunk = int((await reader.readline()).split(b";")[0], 16)
                if chunk == 0:
                    await reader.readline()
                    break
                size += len(await reader.readexactly(chunk))
                await reader.readline()
        elif length >= 0:
            size = len(await reader.readexactly(length))
        else:
            size = len(await reader.read())
            close = True
        if close:
            await self.close()
        return status, size

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (OSError, ConnectionError):
                pass
        self.reader = self.writer = None
