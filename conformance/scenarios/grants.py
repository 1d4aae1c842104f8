"""Valid requests of each grant, and the lifecycles they start (refresh, revocation)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from conformance.contract import RFC6749
from conformance.errors import Skipped
from conformance.exchange import Exchange
from conformance.scenarios.base import (
    BOTH,
    USER_UNDER_RFC6749,
    cc_form,
    code_form,
    granted_scope,
    login,
    password_form,
    refresh,
    refresh_scope_for,
    refresh_token_of,
    scenario,
    with_platform_scopes,
)
from conformance.vocabulary import CC, CODE, EXTRA_SCOPE, PW, RT

if TYPE_CHECKING:
    from conformance.run_context import RunContext


@scenario("cc_success", contracts=BOTH, preflight="client")
def cc_success(ctx: RunContext) -> list[Exchange]:
    form = with_platform_scopes(ctx, cc_form(ctx))
    return [ctx.send("cc_success", f"token-{i}", form=form, grant=CC) for i in range(2)]


@scenario("password_success", needs="user", contracts=BOTH, preflight="user")
def password_success(ctx: RunContext) -> list[Exchange]:
    form = with_platform_scopes(ctx, password_form(ctx))
    return [ctx.send("password_success", "token", form=form, grant=PW)]


@scenario("code_flow", needs="auth_code", contracts=BOTH)
def code_flow(ctx: RunContext) -> list[Exchange]:
    """A code exchanged, then again (D21); then, when the first exchange returned a
    refresh token, that token used: RFC 6749 4.1.2 would have the reuse revoke it
    (SEC-CODE-REUSE-REVOKES)."""
    form = code_form(ctx, ctx.fetch_auth_code())
    first = ctx.send("code_flow", "exchange", form=form, grant=CODE)
    if not first.issued_token():
        return [first]
    reuse = ctx.send("code_flow", "reuse", form=form, grant=CODE)
    token = refresh_token_of(first)
    if token is None:  # nothing to watch the revocation through
        return [first, reuse]
    scope = refresh_scope_for(ctx, first)
    return [first, reuse, refresh(ctx, "code_flow", "refresh-after-reuse", token, scope=scope)]


BURST = 5  # simultaneous uses of one code or one refresh token (D30)


def _together(ctx: RunContext, name: str, form: dict[str, str], grant: str) -> list[Exchange]:
    """`BURST` requests of one form released together, labelled burst-0.. (D30). Paced
    one by one, they would be a sequence, which CODE-REUSE and REFRESH-REUSE judge
    already: the rate limit lets them go as one, once it allows that many at once."""
    together = threading.Barrier(BURST)
    with ctx.sender.burst(BURST) as burst:

        def one(i: int) -> Exchange:
            together.wait(timeout=ctx.settings.timeout)
            return ctx.send(name, f"burst-{i}", form=form, grant=grant, burst=burst)

        with ThreadPoolExecutor(BURST, f"conformance-{name}") as pool:
            return list(pool.map(one, range(BURST)))


@scenario("code_burst", needs="auth_code")
def code_burst(ctx: RunContext) -> list[Exchange]:
    """One code, exchanged by several requests released together (D30)."""
    return _together(ctx, "code_burst", code_form(ctx, ctx.fetch_auth_code()), CODE)


@scenario("refresh_burst", needs="user")
def refresh_burst(ctx: RunContext) -> list[Exchange]:
    """One refresh token, used by several requests released together (D30)."""
    setup, token = login(ctx, "refresh_burst")
    if token is None:
        return [setup]
    return [setup, *_together(ctx, "refresh_burst", {"grant_type": RT, "refresh_token": token}, RT)]


@scenario("code_foreign", needs="auth_code")
def code_foreign(ctx: RunContext) -> list[Exchange]:
    """The main client's code, exchanged by the second client (D29)."""
    other = ctx.settings.client("second")
    if other is None:
        raise Skipped(ctx.roles()["second_client"] or "needs a second client")
    form = code_form(ctx, ctx.fetch_auth_code())
    return [ctx.send("code_foreign", "other-client", form=form, auth=other, grant=CODE)]


@scenario("refresh_rotation", contracts=BOTH, needs_under=USER_UNDER_RFC6749)
def refresh_rotation(ctx: RunContext) -> list[Exchange]:
    setup, old = login(ctx, "refresh_rotation")
    if old is None:
        return [setup]
    scope = refresh_scope_for(ctx, setup)
    refreshed = refresh(ctx, "refresh_rotation", "refresh", old, scope=scope)
    new = refresh_token_of(refreshed)
    if new is None or new == old:
        return [setup, refreshed]  # nothing was rotated out, so there is nothing to reuse
    return [setup, refreshed, refresh(ctx, "refresh_rotation", "reuse", old, scope=scope)]


@scenario("refresh_scope", needs="user", contracts=(RFC6749,))
def refresh_scope(ctx: RunContext) -> list[Exchange]:
    """A refresh asking for more scope than the login was granted (RFC 6749 6)."""
    setup, token = login(ctx, "refresh_scope")
    if token is None:
        return [setup]
    base = granted_scope(setup) or ctx.settings.scope or ""
    wider = f"{base} {EXTRA_SCOPE}".strip()
    return [setup, refresh(ctx, "refresh_scope", "wider-scope", token, scope=wider)]


@scenario("refresh_foreign", needs="second_client", contracts=BOTH, needs_under=USER_UNDER_RFC6749)
def refresh_foreign(ctx: RunContext) -> list[Exchange]:
    setup, token = login(ctx, "refresh_foreign")
    if token is None:
        return [setup]
    second = ctx.settings.client("second")
    scope = refresh_scope_for(ctx, setup)
    other = refresh(ctx, "refresh_foreign", "other-client", token, scope=scope, auth=second)
    return [setup, other]


@scenario("refresh_no_institution", needs="user")
def refresh_no_institution(ctx: RunContext) -> list[Exchange]:
    """A refresh without institutionId, which D5 leaves optional for that grant."""
    setup, token = login(ctx, "refresh_no_institution")
    if token is None:
        return [setup]
    form = {"grant_type": RT, "refresh_token": token}
    name = "refresh_no_institution"
    return [setup, ctx.send(name, "no-institution", form=form, grant=RT, institution=None)]


@scenario("revoke_flow", needs="revocation")
def revoke_flow(ctx: RunContext) -> list[Exchange]:
    """A refresh token revoked, then used (D22); then an access token revoked."""
    return [*_refresh_token_revoked(ctx), *_access_token_revoked(ctx)]


def _revoke(ctx: RunContext, label: str, token: str) -> Exchange:
    return ctx.send(
        "revoke_flow",
        label,
        method="DELETE",
        operation="revoke",
        form={"token": token},
        institution=None,
    )


def _refresh_token_revoked(ctx: RunContext) -> list[Exchange]:
    setup, token = login(ctx, "revoke_flow")
    if token is None:
        return [setup]
    revoke = _revoke(ctx, "revoke", token)
    if revoke.status is None or not 200 <= revoke.status < 300:
        return [setup, revoke]
    return [setup, revoke, refresh(ctx, "revoke_flow", "after-revoke", token)]


def _access_token_revoked(ctx: RunContext) -> list[Exchange]:
    """A client_credentials access token, revoked. RFC 7009 2.1 lets the token be an access
    token, and a server that revokes none answers 400 unsupported_token_type (2.2.1), so
    no requirement wants this one to succeed; it is still an answer of the revoke
    operation, which may not be a 5xx (NO-5XX) or, on the platform, an error body of
    another shape (ERR-BODY-SHAPE). Its own token, not the login's: revoking an access
    token may end its grant (RFC 7009 2.1), which would change what D22 judges."""
    setup = ctx.send("revoke_flow", "access-setup", form=cc_form(ctx), grant=CC)
    token = (setup.body_object() or {}).get("access_token") if setup.issued_token() else None
    if not isinstance(token, str):
        return [setup]
    return [setup, _revoke(ctx, "revoke-access", token)]
