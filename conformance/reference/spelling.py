"""How the client spelled its header names, which ASGI hides: for one fault only.

ASGI hands an app its header names in lower case, so no handler of the reference can
tell `transactionId` from `TRANSACTIONID`; that is right, as field names are
case-insensitive (RFC 9110 5.1, D24). Two faults play a server that looks headers up
by their exact spelling, as a case-sensitive map would: `txid-name-case-sensitive` for
transactionId, `header-name-case-sensitive` for institutionId, Authorization and
Content-Type. `SpellingProtocol` (uvicorn's h11 protocol, used only when one of them
is on) passes the names as sent in `scope["extensions"]["header_names"]`, and
`ExactNamesMiddleware` drops each of those headers whose name is not spelled as the
contract spells it, on the token path.
"""

from __future__ import annotations

from typing import Any

import h11
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from .context import TOKEN_PATH

# Each fault, and the headers it matches by the contract's spelling (section 2).
FAULTS = {
    "txid-name-case-sensitive": ("transactionId",),
    "header-name-case-sensitive": ("institutionId", "Authorization", "Content-Type"),
}


def exact_names(faults: frozenset[str]) -> dict[bytes, bytes]:
    """The headers the faults match exactly: their spelling, by lower-case name."""
    names = [name for fault in sorted(faults & FAULTS.keys()) for name in FAULTS[fault]]
    return {name.lower().encode("ascii"): name.encode("ascii") for name in names}


class SpellingProtocol(H11Protocol):
    """uvicorn's h11 protocol, keeping each request's header names as sent.

    h11 hands over one request per connection at a time (the next is not parsed before
    this one's answer is complete), so the names kept are those of the request whose
    app call reads them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._names: list[bytes] = []
        parse, app = self.conn.next_event, self.app

        def next_event() -> Any:
            event = parse()
            if isinstance(event, h11.Request):
                self._names = [name for name, _ in event.headers.raw_items()]
            return event

        async def with_names(scope: Scope, receive: Receive, send: Send) -> None:
            scope.setdefault("extensions", {})["header_names"] = self._names
            await app(scope, receive, send)

        self.conn.next_event = next_event  # type: ignore[method-assign]
        self.app = with_names


class ExactNamesMiddleware:
    """The faults: a header they name, spelled any other way, is not seen at all."""

    def __init__(self, app: ASGIApp, canonical: dict[bytes, bytes]) -> None:
        self.app = app
        self.canonical = canonical

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        names = scope.get("extensions", {}).get("header_names")
        if scope["type"] == "http" and scope["path"] == TOKEN_PATH and names is not None:
            headers = scope["headers"]
            kept = [
                (name, value)
                for (name, value), spelled in zip(headers, names, strict=False)
                if self.canonical.get(name, spelled) == spelled
            ]
            scope = {**scope, "headers": kept}
        await self.app(scope, receive, send)
