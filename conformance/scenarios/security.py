"""What the security findings read beyond the contract's own scenarios: a valid refresh
token sent without client authentication (RFC 6749 6), which the contracts' own rules on
a missing client authentication judge too (AUTH-MISSING, RFC-INVALID-CLIENT). A reused
code's first tokens are watched in `grants.code_flow`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.exchange import Exchange
from conformance.scenarios.base import (
    BOTH,
    login,
    refresh_scope_for,
    scenario,
)
from conformance.vocabulary import RT

if TYPE_CHECKING:
    from conformance.run_context import RunContext


@scenario("refresh_no_client_auth", needs="user", contracts=BOTH)
def refresh_no_client_auth(ctx: RunContext) -> list[Exchange]:
    """The user's refresh token, sent with no Authorization header at all."""
    name = "refresh_no_client_auth"
    setup, token = login(ctx, name)
    if token is None:
        return [setup]
    form = {"grant_type": RT, "refresh_token": token}
    if (scope := refresh_scope_for(ctx, setup)) is not None:
        form["scope"] = scope
    return [setup, ctx.send(name, "no-client-auth", form=form, grant=RT, auth=None)]
