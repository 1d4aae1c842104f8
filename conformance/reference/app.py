"""The reference target's ASGI application."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import spelling
from .accounts import Accounts, default_accounts
from .context import AUTHORIZE_PATH, REVOKE_PATH, TOKEN_PATH, ReferenceContext
from .endpoints import Endpoints
from .errors import ApiError, Edition, Problem, check_edition, render_error
from .faults import check_faults_for_edition, parse_faults
from .limits import NO_LIMITS, Limits, LimitsMiddleware
from .middleware import ResponseHeadersMiddleware
from .store import Clock, Lifetimes, TokenStore

# Access token lifetimes: "~1 hour" in 1.3.1's description, "defaults to 24 hours"
# in 1.11.0's schema; RFC 6749's examples use an hour.
DEFAULT_ACCESS_LIFETIME: dict[Edition, int] = {"1.3.1": 3600, "1.11.0": 86400, "rfc6749": 3600}
DEFAULT_REFRESH_LIFETIME = 15_551_999  # both editions' refresh_token_expires_in example
DEFAULT_CODE_LIFETIME = 60

_Handler = Callable[[Request, Exception], Awaitable[Response]]


def create_app(
    accounts: Accounts | None = None,
    edition: str = "1.3.1",
    faults: Iterable[str] = frozenset(),
    clock: Clock = time.monotonic,
    *,
    access_token_lifetime: int | None = None,
    refresh_token_lifetime: int = DEFAULT_REFRESH_LIFETIME,
    code_lifetime: int = DEFAULT_CODE_LIFETIME,
    limits: Limits = NO_LIMITS,
) -> Starlette:
    """Build the reference target for one edition, optionally with named faults.

    `clock` (seconds, monotonic) decides token and code expiry and the spike-arrest
    window, so tests can move time forward. `limits`: the gateway's spike arrest and
    quota (`limits.py`), none by default. `app.state.reference` is the app's
    `ReferenceContext`; its `failed_logins.counts()` gives the failed logins per
    username (`FailedLogins`).
    Raises ValueError for an unknown edition or fault, an rfc6749-only fault in
    another edition, or a lifetime that is not a positive number of seconds.
    """
    checked = check_edition(edition)
    chosen = parse_faults(faults)
    check_faults_for_edition(chosen, checked)
    lifetimes = Lifetimes(
        access=access_token_lifetime or DEFAULT_ACCESS_LIFETIME[checked],
        refresh=refresh_token_lifetime,
        code=code_lifetime,
    )
    if min(lifetimes.access, lifetimes.refresh, lifetimes.code) <= 0:
        raise ValueError("token and code lifetimes must be positive seconds")
    ctx = ReferenceContext(
        accounts=accounts or default_accounts(),
        edition=checked,
        faults=chosen,
        store=TokenStore(lifetimes, clock, faults=chosen & {"tokens-low-entropy"}),
    )
    middleware = [Middleware(ResponseHeadersMiddleware, ctx=ctx)]
    exact = spelling.exact_names(ctx.faults)
    if exact:  # outermost: nothing of the app sees the headers dropped
        middleware.insert(0, Middleware(spelling.ExactNamesMiddleware, canonical=exact))
    if limits:  # inside the headers' middleware: its answers carry transactionId too
        middleware.append(Middleware(LimitsMiddleware, ctx=ctx, limits=limits, clock=clock))
    app = Starlette(
        routes=_routes(ctx),
        middleware=middleware,
        exception_handlers=_exception_handlers(ctx),
    )
    # Without this, `/oauth2/v1/token/` would answer a redirect instead of a 404.
    app.router.redirect_slashes = False
    app.state.reference = ctx
    return app


def _routes(ctx: ReferenceContext) -> list[Route]:
    endpoints = Endpoints(ctx)
    # D16: only POST reaches the token handler, unless the fault lets GET in.
    token_methods = ["GET", "POST"] if ctx.has_fault("get-issues-token") else ["POST"]
    return [
        Route(TOKEN_PATH, endpoints.token, methods=token_methods),
        # The platform documents DELETE; RFC 7009 uses POST; both are accepted.
        Route(REVOKE_PATH, endpoints.revoke, methods=["DELETE", "POST"]),
        Route(AUTHORIZE_PATH, endpoints.authorize, methods=["POST"]),
    ]


def _exception_handlers(ctx: ReferenceContext) -> dict[type[Exception], _Handler]:
    async def api_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, ApiError):  # only registered for ApiError
            raise exc
        return render_error(exc, ctx.edition, ctx.faults)

    async def http_error(request: Request, exc: Exception) -> Response:
        # Starlette's own 404 (unknown path) and 405 (other method, with Allow).
        if not isinstance(exc, HTTPException):  # only registered for HTTPException
            raise exc
        problem = {404: Problem.NOT_FOUND, 405: Problem.METHOD_NOT_ALLOWED}.get(
            exc.status_code, Problem.INVALID_REQUEST
        )
        status = exc.status_code if 400 <= exc.status_code < 500 else None
        error = ApiError(problem, status=status, headers=exc.headers)
        return render_error(error, ctx.edition, ctx.faults)

    return {ApiError: api_error, HTTPException: http_error}
