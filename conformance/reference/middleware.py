"""Headers every response carries, and the last line of defence against a 500 page.

Applied around the whole app, so 404s, 405s and errors raised before any handler
runs get the same treatment as token responses: the transactionId header (D1, D2;
not in edition "rfc6749", which has none) and `Cache-Control: no-store` /
`Pragma: no-cache` (D9, RFC 6749 5.1).
"""

from __future__ import annotations

import asyncio
import logging
import traceback

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .context import TOKEN_PATH, ReferenceContext
from .errors import ApiError, Problem, render_error
from .headers import fresh_transaction_id, invalid_transaction_id_as_sent, valid_transaction_id

_log = logging.getLogger(__name__)
_REPLACED = frozenset({b"transactionid", b"cache-control", b"pragma"})


class ResponseHeadersMiddleware:
    """Adds the common response headers and turns unexpected exceptions into CMN 500s."""

    def __init__(self, app: ASGIApp, ctx: ReferenceContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with headers added to its response start message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        transaction_id = None if self.ctx.rfc6749 else await self._response_transaction_id(scope)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": self._headers(message, scope, transaction_id)}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # D20: nothing a client sends may produce a traceback page. Only the type
            # and place are logged: an exception's text could hold a secret.
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            _log.error("unexpected %s at %s:%s", type(exc).__name__, frame.filename, frame.lineno)
            if started:
                raise
            response = render_error(ApiError(Problem.INTERNAL), self.ctx.edition, self.ctx.faults)
            await response(scope, receive, send_with_headers)

    async def _response_transaction_id(self, scope: Scope) -> bytes:
        # D2: echo a valid id; anything else gets a fresh one, never the invalid value.
        if self.ctx.has_fault("txid-reflected"):
            # The bug under test: an invalid value copied into the response as sent.
            reflected = invalid_transaction_id_as_sent(scope["headers"])
            if reflected is not None:
                return reflected
        transaction_id = valid_transaction_id(scope["headers"])
        if transaction_id is None or self.ctx.has_fault("txid-not-echoed"):
            transaction_id = fresh_transaction_id()
        if self.ctx.has_fault("txid-shared-variable"):
            # The bug under test (D23): a slot shared by all requests, and a pause in
            # which a concurrent request overwrites it.
            self.ctx.shared_transaction_id = transaction_id
            await asyncio.sleep(0.005)
            transaction_id = self.ctx.shared_transaction_id
        return transaction_id.encode("ascii")

    def _headers(
        self, message: Message, scope: Scope, transaction_id: bytes | None
    ) -> list[tuple[bytes, bytes]]:
        status: int = message["status"]
        headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _REPLACED]
        wrong_method = scope["method"] != "POST" and scope["path"] == TOKEN_PATH
        if transaction_id is not None and not (
            (status >= 400 and self.ctx.has_fault("txid-missing-on-errors"))
            or (wrong_method and self.ctx.has_fault("txid-missing-on-wrong-method"))
        ):
            headers.append((b"transactionId", transaction_id))
        token_ok = status == 200 and scope["path"] == TOKEN_PATH
        if not (token_ok and self.ctx.has_fault("no-cache-control")):
            headers.append((b"cache-control", b"no-store"))
        if not (token_ok and self.ctx.has_fault("rfc-no-pragma")):
            headers.append((b"pragma", b"no-cache"))
        return headers
