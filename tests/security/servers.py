"""Real processes for the fault tests: daphne servers and a TCP proxy that can cut PostgreSQL off."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

from django.db import connection

from tests.conftest import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def database_url(host: str | None = None, port: int | None = None) -> str:
    """The pytest database (test_<name>) as a URL, optionally reached through another host/port."""
    db = connection.settings_dict
    host = host or db["HOST"] or "127.0.0.1"
    port = port or int(db["PORT"] or 5432)
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


class Daphne:
    """One daphne process on its own port (the pattern of tests/chat/test_multiprocess.py, with options)."""

    def __init__(
        self,
        *,
        redis_url: str,
        db_url: str | None = None,
        access_log: Path | None = None,
        output: Path | None = None,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        environment = {
            **os.environ,
            "DJANGO_ENV": "test",
            "DATABASE_URL": db_url or database_url(),
            "REDIS_URL": redis_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            **(env or {}),
        }
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)]
        if access_log is not None:
            command += ["--access-log", str(access_log)]
        if args is not None:  # a complete command line (e.g. the Dockerfile's), application included
            command = [sys.executable, "-m", "daphne", *args]
        self._output: IO[bytes] | None = output.open("ab") if output is not None else None
        sink: IO[bytes] | int = self._output if self._output is not None else subprocess.DEVNULL
        if args is None:
            command.append("config.asgi:application")
        self.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=sink, stderr=sink)
        wait_for_port(self.port, seconds=30)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL: no graceful close frames, no cleanup, as when a host or container dies."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._output is not None:
            self._output.close()


class PausableProxy:
    """A TCP relay on loopback in front of PostgreSQL. pause() cuts every connection and refuses new ones.

    Only the processes pointed at the proxy lose the database; the shared server never stops.
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])
        self._paused = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self.refused = 0
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._paused.is_set():
                self.refused += 1
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._open |= {client, server}
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(source, target)

    def _drop(self, *sockets: socket.socket) -> None:
        for sock in sockets:
            with self._lock:
                self._open.discard(sock)
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def pause(self) -> None:
        self._paused.set()
        with self._lock:
            current = list(self._open)
        self._drop(*current)

    def resume(self) -> None:
        self._paused.clear()

    def close(self) -> None:
        self._closed.set()
        self.pause()
        self._listener.close()
