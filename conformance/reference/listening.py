"""What both ways of serving the reference share: a loopback port, its URL, `with`."""

from __future__ import annotations

import socket
from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

HOST = "127.0.0.1"  # never reachable from other machines: the credentials are public


class Listening(ABC):
    """A reference served on `HOST`: `.port` and `.url` while it runs; entering starts it
    and waits until it listens, leaving stops it. A subclass sets `_port` while running."""

    _what = "the reference"  # as error messages name it
    _port: int | None = None

    @property
    def port(self) -> int:
        """The port it listens on (only while running)."""
        if self._port is None:
            raise RuntimeError(f"{self._what} is not running")
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:54321` (only while running)."""
        return f"http://{HOST}:{self.port}"

    @abstractmethod
    def start(self) -> Self:
        """Start serving and wait until connections are accepted."""

    @abstractmethod
    def stop(self) -> None:
        """Stop serving and wait until it has."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def listening_socket(port: int = 0) -> socket.socket:
    """A socket listening on `HOST:port` (0: a free port), for asyncio to accept on.

    Raises OSError when the port cannot be bound (taken, privileged) and OverflowError
    when it is out of range, before anything is served: `conformance serve` says so
    instead of printing a banner for a server that never starts.

    IPPROTO_TCP named outright: asyncio sets TCP_NODELAY only on accepted sockets whose
    proto says TCP, and `socket.create_server` leaves it 0. Without it every answer
    (headers and body are written apart) waits out Nagle's algorithm and the client's
    delayed ACK: 40 ms each, where the reference takes 1."""
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        # A port just freed by a stopped `serve` (connections in TIME_WAIT) binds again;
        # on Linux a port another socket listens on still does not.
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((HOST, port))
        listening.listen(socket.SOMAXCONN)
    except BaseException:
        listening.close()
        raise
    return listening
