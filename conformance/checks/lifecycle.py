"""A token's life after it is issued: the refresh grant, rotation, revocation.

The lifecycle state machine (`prop_lifecycle`) labels its requests as the fixed
scenarios do ("refresh", "reuse", "revoke", "after-revoke"), so the same checks judge
both. The refusals in a lifecycle (a rotated-out or revoked refresh token, a reused
code) are rows of `refusals.REFUSALS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl

from conformance.checks._registry import CheckContext, check, labelled, outcome
from conformance.checks.refusals import LIFECYCLE
from conformance.checks.success import ensure_token_issued, has_refresh_token, successes
from conformance.errors import Failure, Skipped
from conformance.exchange import Exchange
from conformance.vocabulary import PLATFORM


def _no_refresh(ctx: CheckContext) -> str:
    """Why there is no refresh request to judge."""
    see = ctx.named("PASSWORD-SUCCESS, PASSWORD-REFRESH", "RFC-PASSWORD-SUCCESS")
    return f"the password grant gave no refresh token to use (see {see})"


def _sent_field(exchange: Exchange, name: str) -> str | None:
    try:
        pairs = parse_qsl(exchange.request.body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return None
    return next((v for k, v in pairs if k == name), None)


@check("REFRESH-SUCCESS", uses=("refresh_rotation", LIFECYCLE))
@check("RFC-REFRESH-SUCCESS", uses=("refresh_rotation", LIFECYCLE))
def ensure_refresh_token_grant(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A valid refresh_token request gets 200 with a new access_token.

    On the platform, with a refresh_token too.
    """
    for exchange in labelled(exchanges, "refresh", _no_refresh(ctx)):
        ensure_token_issued([exchange], ctx, "refresh_token")
        # RFC 6749 6 leaves a new refresh token to the server (RFC-REFRESH-ROTATION
        # reports what it chose); the platform's contract wants one in every answer.
        if ctx.family == PLATFORM and not has_refresh_token(exchange):
            raise _no_new_refresh_token(ctx, "A refresh_token response carries no refresh_token.")


def _no_new_refresh_token(ctx: CheckContext, title: str, received: str = "none") -> Failure:
    return ctx.fail(title, "a new refresh_token", received)


@check("INST-OPTIONAL-REFRESH", uses=("refresh_no_institution",))
def ensure_refresh_without_institution(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A refresh_token request without institutionId gets a token (D5: optional there)."""
    refreshed = labelled(exchanges, "no-institution", _no_refresh(ctx))
    ensure_token_issued(refreshed, ctx, "refresh_token (without institutionId)")


@check("REFRESH-ROTATES", uses=("refresh_rotation", LIFECYCLE))
def ensure_refresh_token_rotated(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """The refresh grant returns a refresh token other than the one it was given."""
    for exchange in successes(labelled(exchanges, "refresh", _no_refresh(ctx)), "refresh_token"):
        new = (exchange.body_object() or {}).get("refresh_token")
        if not new:
            raise Skipped("the refresh response has no refresh_token (see REFRESH-SUCCESS)")
        if new == _sent_field(exchange, "refresh_token"):
            title = "The refresh grant returned the refresh token it was given."
            raise _no_new_refresh_token(ctx, title, "the same refresh_token")


@check("RFC-REFRESH-ROTATION", uses=("refresh_rotation", LIFECYCLE))
def observe_refresh_rotation(exchanges: Sequence[Exchange], ctx: CheckContext) -> str:
    """Information: whether refresh tokens rotate, and whether old ones still work (6, MAY)."""
    refreshed = labelled(exchanges, "refresh", _no_refresh(ctx))[0]
    if not refreshed.issued_token():
        raise Skipped("the refresh request got no token (RFC-REFRESH-SUCCESS)")
    reuse = [e for e in exchanges if e.label == "reuse"]
    if not reuse:
        return "The server keeps the refresh token: a refresh issued no new one (RFC 6749 6: MAY)."
    still = "still works" if reuse[0].issued_token() else "is refused afterwards"
    return f"The server rotates refresh tokens: a refresh issues a new one; the old one {still}."


@check("CODE-CONCURRENT-SINGLE-USE", uses=("code_burst",))
def ensure_code_single_use_under_concurrency(
    exchanges: Sequence[Exchange], ctx: CheckContext
) -> None:
    """Of several simultaneous exchanges of one authorization code, at most one gets tokens."""
    _at_most_one_token(exchanges, ctx, "exchanges of one authorization code")


@check("REFRESH-CONCURRENT-SINGLE-USE", uses=("refresh_burst", "refresh_rotation"))
def ensure_refresh_single_use_under_concurrency(
    exchanges: Sequence[Exchange], ctx: CheckContext
) -> None:
    """Where refresh tokens rotate, of several simultaneous uses of one, at most one gets tokens."""
    burst = [e for e in exchanges if e.scenario == "refresh_burst" and e.label.startswith("burst")]
    if not burst:
        raise Skipped("the password login issued no refresh token to use")
    reuse = labelled(exchanges, "reuse", "no refresh token was rotated out (see REFRESH-ROTATES)")
    if reuse[0].response is None or reuse[0].issued_token():
        raise Skipped(
            "a rotated-out refresh token was not refused one request after another (see "
            "REFRESH-REUSE): there is no single use for simultaneous uses to break"
        )
    _at_most_one_token(burst, ctx, "uses of one refresh token")


def _at_most_one_token(exchanges: Sequence[Exchange], ctx: CheckContext, what: str) -> None:
    answered = [e for e in exchanges if e.response is not None]
    issued = [e for e in answered if e.issued_token()]
    if not answered:
        raise Skipped("no request of the burst got an answer")
    if len(issued) > 1:
        raise ctx.fail(
            f"{len(issued)} of {len(answered)} simultaneous {what} got tokens.",
            "at most one with a token",
            f"{len(issued)} with a token",
            exchange=issued[1],
        )


# The platform documents 204 (spec section 1), RFC 7009 2.2 says 200. Another 2xx says
# something else: 202 that the revocation may not have happened yet, 205 that the client
# should reset its view.
REVOKED = (204, 200)


@check("REVOKE-SUCCESS", uses=("revoke_flow", LIFECYCLE))
def ensure_revocation_accepted(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Revoking a refresh token the client holds gets 204 (or RFC 7009's 200)."""
    for exchange in labelled(exchanges, "revoke", _no_refresh(ctx)):
        if exchange.status not in REVOKED:
            refused = exchange.status is None or not 200 <= exchange.status < 300
            raise ctx.fail(
                "The target refused to revoke a refresh token its client holds."
                if refused
                else "The target answered a revocation with a 2xx that is not a success of it.",
                "HTTP 204 (or 200, RFC 7009 2.2)",
                outcome(exchange),
                exchange=exchange,
            )
