"""What both ways of serving the reference share: a loopback port, its URL, `with`."""

from __future__ import annotations

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
