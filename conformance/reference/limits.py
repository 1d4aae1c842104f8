"""The platform gateway's back-pressure, off unless asked for: spike arrest (more than N
requests within a sliding second) and a quota (N requests in all).

The platform answers both before the token endpoint sees the request: HTTP 500 with
`CMN_90003` (spike arrest) or `CMN_90002` (quota), in both editions; edition "rfc6749"
answers 429 with Retry-After instead, as RFC 6585 has it. With them the suite can be
shown to outlast a throttling target without taking its answers for behaviour.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from .context import AUTHORIZE_PATH, ReferenceContext
from .errors import RFC6749, ApiError, Problem, render_error
from .store import Clock

SLIDING_WINDOW = 1.0  # seconds


@dataclass(frozen=True)
class Limits:
    """`spike_arrest`: requests a sliding second may hold; `quota`: requests in all.
    None: no such limit."""

    spike_arrest: int | None = None
    quota: int | None = None

    def __post_init__(self) -> None:
        for name in ("spike_arrest", "quota"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be a positive number of requests, got {value}")

    def __bool__(self) -> bool:
        return self.spike_arrest is not None or self.quota is not None


NO_LIMITS = Limits()


class LimitsMiddleware:
    """Counts every request that arrives (refused ones too, as a gateway counts them)
    and answers those over a limit itself. The reference-only authorize route stands
    for the platform's login pages, behind no gateway: it is neither counted nor limited."""

    def __init__(self, app: ASGIApp, ctx: ReferenceContext, limits: Limits, clock: Clock) -> None:
        self.app = app
        self.ctx = ctx
        self.limits = limits
        self.clock = clock
        self.arrived = 0
        self._window: deque[float] = deque()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == AUTHORIZE_PATH:
            await self.app(scope, receive, send)
            return
        problem = self._over()
        if problem is None:
            await self.app(scope, receive, send)
            return
        # Read the body first: an answer before it would leave it on the connection.
        message = await receive()
        while message.get("more_body"):
            message = await receive()
        retry = {"Retry-After": "1"} if self.ctx.edition == RFC6749 else {}
        response = render_error(ApiError(problem, headers=retry), self.ctx.edition)
        await response(scope, receive, send)

    def _over(self) -> Problem | None:
        """The limit this request is over, if any (one event loop: no lock needed)."""
        now = self.clock()
        self.arrived += 1
        self._window.append(now)
        while self._window[0] <= now - SLIDING_WINDOW:
            self._window.popleft()
        if self.limits.quota is not None and self.arrived > self.limits.quota:
            return Problem.QUOTA
        if self.limits.spike_arrest is not None and len(self._window) > self.limits.spike_arrest:
            return Problem.SPIKE_ARREST
        return None
