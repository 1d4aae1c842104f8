"""Serving the reference target over real HTTP on 127.0.0.1.

`ReferenceServer` runs it in a background thread for the embedded run and the
tests; `serve_forever` runs it in the foreground for `conformance serve`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from . import spelling
from .access_log import AccessLog
from .accounts import Accounts, default_accounts
from .app import create_app
from .errors import Edition, check_edition
from .limits import NO_LIMITS, Limits
from .listening import HOST, Listening
from .logins import FailedLogins
from .store import Clock

_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0


def _config(
    app: ASGIApp, port: int, log_level: str = "error", faults: frozenset[str] = frozenset()
) -> uvicorn.Config:
    # No uvicorn access log: its lines carry the query string, where a code or token
    # could end up; `serve` writes its own redacted one (access_log.py). h11 and plain
    # asyncio keep behaviour the same everywhere.
    # In the background (embedded runs, tests) malformed requests are the suite's own
    # deliberate probes, so uvicorn's "Invalid HTTP request" warnings are only noise.
    return uvicorn.Config(
        app,
        host=HOST,
        port=port,
        access_log=False,
        log_level=log_level,
        http=spelling.SpellingProtocol if spelling.exact_names(faults) else "h11",
        loop="asyncio",
        ws="none",
        lifespan="off",
    )


class ReferenceServer(Listening):
    """The reference target served by uvicorn in a background thread.

    Use as a context manager: entering starts the server and waits until it accepts
    connections; leaving stops it. `port=0` picks a free port; `.url` tells which.
    """

    _what = "the reference server"

    def __init__(
        self,
        accounts: Accounts | None = None,
        edition: str = "1.3.1",
        faults: Iterable[str] = frozenset(),
        port: int = 0,
        *,
        clock: Clock = time.monotonic,
        limits: Limits = NO_LIMITS,
    ) -> None:
        self.accounts: Accounts = accounts or default_accounts()
        self.edition: Edition = check_edition(edition)
        self.app = create_app(self.accounts, self.edition, faults, clock, limits=limits)
        self.faults: frozenset[str] = self.app.state.reference.faults
        # Held from the start: a caller may wrap `self.app` (to count requests, say), and
        # the wrapper has no `state.reference`.
        self._failed_logins: FailedLogins = self.app.state.reference.failed_logins
        self._requested_port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def failed_logins(self) -> dict[str, int]:
        """Failed logins per username so far, as a lock-out counter would count them
        (a copy; the definition: `conformance.reference.logins.FailedLogins`)."""
        return self._failed_logins.counts()

    def start(self) -> Self:
        """Start serving and wait (at most ~10 s) until connections are accepted."""
        if self._thread is not None:
            raise RuntimeError("the reference server is already running")
        server = uvicorn.Server(_config(self.app, self._requested_port, faults=self.faults))
        thread = threading.Thread(
            target=self._run, args=(server,), name="reference-server", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        try:
            self._port = self._wait_until_listening(server, thread)
        except BaseException:
            self.stop()
            raise
        return self

    def request_stop(self) -> None:
        """Ask the server to finish without waiting: uvicorn's shutdown polls (0.1-0.2 s),
        which a caller with other work left can overlap; `stop` then waits for it."""
        if self._server is not None:
            self._server.should_exit = True

    def stop(self) -> None:
        """Ask the server to finish and wait for its thread."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(_STOP_TIMEOUT)
            if self._thread.is_alive():
                # Open keep-alive connections can hold a graceful shutdown; end them.
                assert self._server is not None
                self._server.force_exit = True
                self._thread.join(_STOP_TIMEOUT)
        self._server, self._thread, self._port = None, None, None

    @staticmethod
    def _run(server: uvicorn.Server) -> None:
        # uvicorn calls sys.exit when it cannot bind (after logging why); the
        # starting thread then sees this one end and raises RuntimeError.
        with contextlib.suppress(SystemExit):
            server.run()

    @staticmethod
    def _wait_until_listening(server: uvicorn.Server, thread: threading.Thread) -> int:
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if not thread.is_alive():
                raise RuntimeError("the reference server stopped while starting (port in use?)")
            if server.started and server.servers:
                port: int = server.servers[0].sockets[0].getsockname()[1]
                # Bound and listening: a connect proves it before anyone relies on it.
                with socket.create_connection((HOST, port), timeout=1.0):
                    return port
            time.sleep(0.01)
        raise RuntimeError(f"the reference server did not start within {_START_TIMEOUT:.0f} s")


def serve_forever(
    listening: socket.socket,
    edition: str = "1.3.1",
    accounts: Accounts | None = None,
    faults: Iterable[str] = frozenset(),
    limits: Limits = NO_LIMITS,
    log: Callable[[str], None] | None = None,
) -> None:
    """Serve the reference target in the foreground on `listening` (bound by the caller,
    so a busy port is known before anything is announced) until interrupted (Ctrl-C).
    `log`: where the redacted access log goes, a line per request; None: no log."""
    app = create_app(accounts or default_accounts(), edition, faults, limits=limits)
    chosen: frozenset[str] = app.state.reference.faults
    served: ASGIApp = app if log is None else AccessLog(app, log)
    uvicorn.Server(_config(served, 0, log_level="warning", faults=chosen)).run(sockets=[listening])
