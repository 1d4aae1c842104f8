"""The four grants, revocation and the token lifecycle: what a valid request must get."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from urllib.parse import parse_qsl

from conformance.checks._registry import CheckContext, check, labelled, outcome, require_any
from conformance.checks.rejections import ensure_refused
from conformance.errors import Skipped
from conformance.exchange import Exchange


def ensure_token_issued(exchanges: Sequence[Exchange], ctx: CheckContext, what: str) -> None:
    """Every exchange got 200 with a non-empty string access_token."""
    for exchange in require_any(exchanges, f"no {what} request was sent"):
        if exchange.status != 200 or not exchange.issued_token():
            raise ctx.fail(
                f"A valid {what} request did not get a token.",
                "HTTP 200 with a non-empty access_token",
                outcome(exchange),
                exchange=exchange,
            )


def _successes(exchanges: Sequence[Exchange], what: str) -> list[Exchange]:
    found = [e for e in exchanges if e.is_success() and e.issued_token()]
    if not found:
        raise Skipped(f"no successful {what} response to inspect")
    return found


def _sent_field(exchange: Exchange, name: str) -> str | None:
    try:
        pairs = parse_qsl(exchange.request.body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return None
    return next((v for k, v in pairs if k == name), None)


def _has_refresh_token(exchange: Exchange) -> bool:
    body = exchange.body_object() or {}
    value = body.get("refresh_token")
    return isinstance(value, str) and bool(value)


@check("CC-SUCCESS", uses=("cc_success",))
def ensure_client_credentials_token(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A valid client_credentials request gets 200 with an access_token."""
    ensure_token_issued(exchanges, ctx, "client_credentials")


@check("CC-NO-REFRESH", uses=("cc_success",))
def ensure_client_credentials_without_refresh(
    exchanges: Sequence[Exchange], ctx: CheckContext
) -> None:
    """A client_credentials response carries no refresh_token."""
    for exchange in _successes(exchanges, "client_credentials (see CC-SUCCESS)"):
        if (exchange.body_object() or {}).get("refresh_token"):
            raise ctx.fail(
                "A client_credentials response carries a refresh_token.",
                "no refresh_token field",
                "a refresh_token field",
            )


@check("PASSWORD-SUCCESS", uses=("password_success",))
def ensure_password_token(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A valid password request gets 200 with an access_token."""
    ensure_token_issued(exchanges, ctx, "password")


@check("PASSWORD-REFRESH", uses=("password_success",))
def ensure_password_refresh_token(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A password response carries a refresh_token."""
    for exchange in _successes(exchanges, "password (see PASSWORD-SUCCESS)"):
        if not _has_refresh_token(exchange):
            raise ctx.fail(
                "A password response carries no refresh_token.",
                "a non-empty refresh_token",
                "none",
            )


# The lifecycle state machine labels its requests as the fixed scenarios do ("refresh",
# "reuse", "revoke", "after-revoke"), so the same checks judge both.
LIFECYCLE = "prop_lifecycle"

_NO_REFRESH = (
    "the password grant gave no refresh token to use (see PASSWORD-SUCCESS, PASSWORD-REFRESH)"
)


@check("REFRESH-SUCCESS", uses=("refresh_rotation", LIFECYCLE))
def ensure_refresh_token_grant(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A valid refresh_token request gets 200 with an access_token and a refresh_token."""
    for exchange in labelled(exchanges, "refresh", _NO_REFRESH):
        ensure_token_issued([exchange], ctx, "refresh_token")
        if not _has_refresh_token(exchange):
            raise ctx.fail(
                "A refresh_token response carries no refresh_token.",
                "a new refresh_token",
                "none",
            )


@check("REFRESH-ROTATES", uses=("refresh_rotation", LIFECYCLE))
def ensure_refresh_token_rotated(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """The refresh grant returns a refresh token other than the one it was given."""
    for exchange in _successes(labelled(exchanges, "refresh", _NO_REFRESH), "refresh_token"):
        new = (exchange.body_object() or {}).get("refresh_token")
        if not new:
            raise Skipped("the refresh response has no refresh_token (see REFRESH-SUCCESS)")
        if new == _sent_field(exchange, "refresh_token"):
            raise ctx.fail(
                "The refresh grant returned the refresh token it was given.",
                "a new refresh_token",
                "the same refresh_token",
            )


@check("REFRESH-REUSE", uses=("refresh_rotation", LIFECYCLE))
def ensure_rotated_refresh_token_refused(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A refresh token rotated out by a refresh gets a 4xx and no token."""
    reused = labelled(
        exchanges,
        "reuse",
        "no refresh token was rotated out (see REFRESH-SUCCESS, REFRESH-ROTATES)",
    )
    ensure_refused(reused, ctx, None)


@check("REVOKE-SUCCESS", uses=("revoke_flow", LIFECYCLE))
def ensure_revocation_accepted(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Revoking a refresh token the client holds gets a 2xx."""
    for exchange in labelled(exchanges, "revoke", _NO_REFRESH):
        if exchange.status is None or not 200 <= exchange.status < 300:
            raise ctx.fail(
                "The target refused to revoke a refresh token its client holds.",
                "HTTP 204 (any 2xx)",
                outcome(exchange),
                exchange=exchange,
            )


@check("REFRESH-REVOKED", uses=("revoke_flow", LIFECYCLE))
def ensure_revoked_refresh_token_refused(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A revoked refresh token yields no tokens."""
    after = labelled(
        exchanges, "after-revoke", "the revocation did not succeed (see REVOKE-SUCCESS)"
    )
    ensure_refused(after, ctx, None)


@check("CODE-SUCCESS", uses=("code_flow",))
def ensure_code_exchanged(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A fresh authorization code gets 200 with an access_token."""
    ensure_token_issued(
        labelled(exchanges, "exchange", "no authorization code was obtained"),
        ctx,
        "authorization_code",
    )


def _is_jwt(value: object) -> bool:
    if not isinstance(value, str) or value.count(".") != 2:
        return False
    header = value.split(".")[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


@check("CODE-ID-TOKEN", uses=("code_flow",))
def ensure_code_id_token(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """An authorization_code response carries an id_token shaped as a JWT."""
    first = labelled(exchanges, "exchange", "no authorization code was obtained")
    for exchange in _successes(first, "authorization_code (see CODE-SUCCESS)"):
        if not _is_jwt((exchange.body_object() or {}).get("id_token")):
            raise ctx.fail(
                "The authorization_code response has no JWT id_token.",
                "id_token: header.payload.signature, the header a JSON object with alg",
                "missing or not a JWT",
            )


@check("CODE-REUSE", uses=("code_flow",))
def ensure_code_single_use(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """An authorization code exchanged once gets a 4xx and no token the second time."""
    reused = labelled(
        exchanges, "reuse", "the first exchange of the code failed (see CODE-SUCCESS)"
    )
    ensure_refused(reused, ctx, None)


@check("AUTH-SPECIAL-CHARS", uses=("auth_special", "cc_success"))
def ensure_special_characters_authenticate(
    exchanges: Sequence[Exchange], ctx: CheckContext
) -> None:
    """A client with special characters authenticates with form-urlencoded Basic credentials."""
    # Judged against a baseline: when the main client gets no token either, the grant is
    # broken (CC-SUCCESS says so) and says nothing about special characters.
    baseline = [e for e in exchanges if e.scenario == "cc_success"]
    if not any(e.issued_token() for e in baseline):
        raise Skipped("the main client got no client_credentials token either (see CC-SUCCESS)")
    special = [e for e in exchanges if e.scenario == "auth_special"]
    ensure_token_issued(special, ctx, "client_credentials (special-character client)")


@check("METHOD-NOT-POST", uses=("method_not_post",))
def ensure_only_post_issues_tokens(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A method other than POST issues no token."""
    for exchange in require_any(exchanges, "the scenario sent no request"):
        if exchange.issued_token():
            raise ctx.fail(
                f"{exchange.request.method} on the token endpoint issued a token.",
                "no token for any method but POST",
                outcome(exchange),
                exchange=exchange,
            )
