"""What a valid request of each grant must get, in both contracts: a token, and the
fields its contract wants beside it."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence

from conformance.checks._registry import (
    ALL,
    CheckContext,
    check,
    labelled,
    outcome,
    require_any,
    token_answers,
)
from conformance.errors import Skipped
from conformance.exchange import Exchange
from conformance.vocabulary import CC, CODE, PW, RT


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


def successes(exchanges: Sequence[Exchange], what: str) -> list[Exchange]:
    """The 200 answers holding a token; Skipped when there is none (`what` names them)."""
    found = [e for e in exchanges if e.is_success() and e.issued_token()]
    if not found:
        raise Skipped(f"no successful {what} response to inspect")
    return found


def has_refresh_token(exchange: Exchange) -> bool:
    value = (exchange.body_object() or {}).get("refresh_token")
    return isinstance(value, str) and bool(value)


@check("CC-SUCCESS", uses=("cc_success",))
@check("RFC-CC-SUCCESS", uses=("cc_success",))
def ensure_client_credentials_token(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A valid client_credentials request (HTTP Basic) gets 200 with an access_token."""
    ensure_token_issued(exchanges, ctx, "client_credentials")


@check("PASSWORD-SUCCESS", uses=("password_success",))
@check("RFC-PASSWORD-SUCCESS", uses=("password_success",))
def ensure_password_token(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A valid password request gets 200 with an access_token."""
    ensure_token_issued(exchanges, ctx, "password")


@check("CODE-SUCCESS", uses=("code_flow",))
@check("RFC-CODE-SUCCESS", uses=("code_flow",))
def ensure_code_exchanged(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A fresh authorization code gets 200 with an access_token."""
    ensure_token_issued(
        labelled(exchanges, "exchange", "no authorization code was obtained"),
        ctx,
        "authorization_code",
    )


# The schemathesis phase's valid requests of each grant, with generated unknown
# parameters, are judged only for a grant whose fixed request got a token (its label
# there): a grant that is broken anyway (RFC-*-SUCCESS says so) says nothing about 3.2.
GENERATED_VALID = ("prop_positive", "positive")
_GRANT_BASELINES = {
    "cc_success": (CC, None),
    "password_success": (PW, None),
    "code_flow": (CODE, "exchange"),
    "refresh_rotation": (RT, "refresh"),
}


@check("RFC-UNKNOWN-PARAM-IGNORED", uses=("unknown_param", GENERATED_VALID[0], *_GRANT_BASELINES))
def ensure_unknown_param_ignored(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """An unrecognized parameter is ignored: the request still gets a token (RFC 6749 3.2)."""
    working = {
        grant
        for name, (grant, label) in _GRANT_BASELINES.items()
        if any(
            e.scenario == name and (label is None or e.label == label) and e.issued_token()
            for e in exchanges
        )
    }
    scenario, label = GENERATED_VALID
    judged = [
        e
        for e in exchanges
        if e.scenario == "unknown_param"
        or (e.scenario == scenario and e.label == label and e.grant in working)
    ]
    for exchange in require_any(judged, "no request with an unrecognized parameter was sent"):
        ensure_token_issued([exchange], ctx, f"{exchange.grant} (with an unrecognized parameter)")


@check("CC-NO-REFRESH", uses=("cc_success",))
@check("RFC-CC-NO-REFRESH", uses=("cc_success",))
def ensure_client_credentials_without_refresh(
    exchanges: Sequence[Exchange], ctx: CheckContext
) -> None:
    """A client_credentials token response carries no refresh_token."""
    issued = [e for e in token_answers(exchanges, ctx) if e.issued_token()]
    success = ctx.named("CC-SUCCESS", "RFC-CC-SUCCESS")
    for exchange in require_any(issued, f"no client_credentials token was issued (see {success})"):
        if (exchange.body_object() or {}).get("refresh_token"):
            raise ctx.fail(
                "A client_credentials response carries a refresh_token.",
                "no refresh_token field",
                outcome(exchange),
                exchange=exchange,
            )


@check("PASSWORD-REFRESH", uses=("password_success",))
def ensure_password_refresh_token(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A password response carries a refresh_token."""
    for exchange in successes(exchanges, "password (see PASSWORD-SUCCESS)"):
        if not has_refresh_token(exchange):
            raise ctx.fail(
                "A password response carries no refresh_token.",
                "a non-empty refresh_token",
                "none",
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
    for exchange in successes(first, "authorization_code (see CODE-SUCCESS)"):
        if not _is_jwt((exchange.body_object() or {}).get("id_token")):
            raise ctx.fail(
                "The authorization_code response has no JWT id_token.",
                "id_token: header.payload.signature, the header a JSON object with alg",
                "missing or not a JWT",
            )


def _jwt_payload(value: str) -> object:
    """The decoded payload (second part) of a JWT, or None when it is not base64url JSON."""
    part = value.split(".")[1]
    try:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError):
        return None


def _claims_problem(exchange: Exchange) -> str | None:
    id_token = (exchange.body_object() or {}).get("id_token")
    if not _is_jwt(id_token):
        return "not a JWT"
    assert isinstance(id_token, str)
    claims = _jwt_payload(id_token)
    if not isinstance(claims, dict):
        return "its payload is not a JSON object"
    for name, kind in (("sub", str), ("iss", str), ("iat", (int, float)), ("exp", (int, float))):
        value = claims.get(name)
        if isinstance(value, bool) or not isinstance(value, kind):
            return f"claim {name} is missing or not a {'string' if kind is str else 'number'}"
    if claims["exp"] <= claims["iat"]:
        # Expired when issued: no relying party may accept it (OIDC Core 3.1.3.7).
        return f"exp is {claims['iat'] - claims['exp']} s before iat or equal to it"
    return None


@check("ID-TOKEN-CLAIMS", uses=ALL)
def ensure_id_token_claims(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """An id_token is a JWT with string sub and iss and numeric iat and exp, exp after iat."""
    # A null or a number in its place is RESP-FIELD-TYPES' to judge.
    carrying = [
        e
        for e in exchanges
        if e.is_success() and isinstance((e.body_object() or {}).get("id_token"), str)
    ]
    for exchange in require_any(carrying, "no 200 response carried an id_token"):
        problem = _claims_problem(exchange)
        if problem:
            raise ctx.fail(
                "An id_token is not the OpenID Connect ID token the platform documents.",
                "a JWT with sub, iss, iat and exp, exp later than iat (OpenID Connect Core 2)",
                f"id_token: {problem}: {outcome(exchange)}",
                exchange=exchange,
            )
