"""What the security findings read beyond the contract's own scenarios: an authorization
code exchanged twice, then the refresh token its first exchange returned (RFC 6749
4.1.2: the tokens a reused code issued should be revoked), and a valid refresh token
sent without client authentication (RFC 6749 6), which the contracts' own rules on a
missing client authentication judge too (AUTH-MISSING, RFC-INVALID-CLIENT)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.exchange import Exchange
from conformance.scenarios.base import (
    BOTH,
    code_form,
    login,
    refresh,
    refresh_scope_for,
    refresh_token_of,
    scenario,
)
from conformance.vocabulary import CODE, RT

if TYPE_CHECKING:
    from conformance.run_context import RunContext


@scenario("code_reuse_revokes", needs="auth_code", contracts=BOTH)
def code_reuse_revokes(ctx: RunContext) -> list[Exchange]:
    """A code exchanged, exchanged again, then the first exchange's refresh token used."""
    name = "code_reuse_revokes"
    form = code_form(ctx, ctx.fetch_auth_code())
    first = ctx.send(name, "exchange", form=form, grant=CODE)
    token = refresh_token_of(first)
    if token is None:  # nothing to watch the revocation through
        return [first]
    reuse = ctx.send(name, "reuse", form=form, grant=CODE)
    after = refresh(ctx, name, "refresh-after-reuse", token, scope=refresh_scope_for(ctx, first))
    return [first, reuse, after]


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
