"""Token responses must not be cached: Cache-Control: no-store and Pragma: no-cache, in
both contracts (RFC 6749 5.1).

Each contract names the answers it speaks of (`token_answers`); the rfc6749 profile reads
the scenarios that may issue a token (`responses.TOKEN_SCENARIOS`).
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.checks._registry import (
    ALL,
    CheckContext,
    _shorten,
    check,
    require_any,
    token_answers,
)
from conformance.checks.responses import TOKEN_SCENARIOS
from conformance.exchange import Exchange


def _directives(values: list[str]) -> set[str]:
    """The directive names in header values: comma-separated, any `=value` left out;
    repeated lines combine (RFC 9110 5.3)."""
    directives = (d.strip() for value in values for d in value.split(","))
    return {d.split("=")[0].lower() for d in directives if d}


def _ensure_directive(
    exchanges: Sequence[Exchange], ctx: CheckContext, header: str, directive: str
) -> None:
    for exchange in require_any(token_answers(exchanges, ctx), "no token response to inspect"):
        assert exchange.response is not None
        values = exchange.response.header_values(header)
        if directive not in _directives(values):
            raise ctx.fail(
                f"A token response lacks {header}: {directive}.",
                f"{header}: {directive}",
                f"{header}: {_shorten(', '.join(values), 80)}" if values else f"no {header} header",
                exchange=exchange,
            )


@check("RESP-CACHE-CONTROL", uses=ALL)
@check("RFC-NO-STORE", uses=TOKEN_SCENARIOS)
def ensure_no_store(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A token response carries Cache-Control: no-store."""
    _ensure_directive(exchanges, ctx, "Cache-Control", "no-store")


@check("RESP-PRAGMA", uses=ALL)
@check("RFC-PRAGMA", uses=TOKEN_SCENARIOS)
def ensure_pragma_no_cache(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A token response carries Pragma: no-cache."""
    _ensure_directive(exchanges, ctx, "Pragma", "no-cache")
