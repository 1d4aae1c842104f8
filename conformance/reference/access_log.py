"""A redacted access log, for `conformance serve` only: one line per request.

A client developer watching the reference wants to see what their client sent and what
it got: the method, the path, the status, the transactionId that correlates the two, and
how long the answer took. Nothing else is written: not the body (passwords, codes,
refresh tokens travel there), not a header's value but the transactionId's (the
Authorization header carries the client's secret), not the query string (a client that
puts a code or a token in the URL would have it logged), not the answer's body (tokens).
The transactionId is written only when it is a valid UUID, the one value the reference
echoes (D2); anything else a client sent there is shown as `(invalid)`, not as sent.

Embedded runs and tests do not use it: there, request lines would be noise.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .headers import TRANSACTION_ID, header_values, valid_transaction_id

_UNPRINTABLE = re.compile(r"[^\x21-\x7e]")  # a path or method as sent: no space, no control
_PATH_LENGTH = 120


def _shown(raw: bytes) -> str:
    """Bytes from the request line, escaped where not printable ASCII and cut short: a
    client's bytes must not move the terminal's cursor or flood the log."""
    text = _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", raw.decode("latin-1"))
    return text if len(text) <= _PATH_LENGTH else text[: _PATH_LENGTH - 1] + "…"


def _transaction_id(scope: Scope) -> str:
    # Names lowered here: under the header-name-case faults the server keeps them as sent.
    headers = [(name.lower(), value) for name, value in scope["headers"]]
    if not header_values(headers, TRANSACTION_ID):
        return "-"
    return valid_transaction_id(headers) or "(invalid)"


class AccessLog:
    """ASGI middleware writing `METHOD PATH STATUS transactionId=ID N.N ms` per request."""

    def __init__(self, app: ASGIApp, write: Callable[[str], None]) -> None:
        self.app = app
        self.write = write

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = "-"  # no answer started: the connection ended first

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            method = _shown(str(scope.get("method", "")).encode("latin-1", "replace"))
            path = _shown(scope.get("raw_path") or scope.get("path", "").encode("utf-8"))
            when = time.strftime("%H:%M:%S")
            self.write(
                f"{when} {method} {path} {status} "
                f"transactionId={_transaction_id(scope)} {elapsed:.1f} ms"
            )
