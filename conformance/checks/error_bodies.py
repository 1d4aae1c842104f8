"""Error answers: the body each contract defines, the codes and statuses it documents,
and no server errors.

The platform's error body is {code, message} with a CMN code; RFC 6749 5.2's is a JSON
object with a string `error`. One check judges both (ERR-BODY-SHAPE, RFC-ERROR-BODY),
each contract's shape given as data (`ERROR_SHAPES`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from conformance.checks._registry import (
    ALL,
    CheckContext,
    check,
    ensure_each,
    error_of,
    outcome,
    require_any,
)
from conformance.checks.correlation import DOCUMENTED_OPERATIONS
from conformance.checks.refusals import CLIENT_AUTH_FAILURES
from conformance.contract import RFC6749
from conformance.exchange import Exchange
from conformance.vocabulary import PLATFORM

CMN_CODE = re.compile(r"CMN_[0-9]{5}")
# RFC 6749 5.2 and Appendix A.7-A.9: the characters each member may hold.
ERROR_CHARS = re.compile(r"[\x20-\x21\x23-\x5B\x5D-\x7E]+")  # error, error_description
URI_CHARS = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")  # error_uri
SECTION_5_2 = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    }
)
# RFC 6749 8.5, 11.4: codes extensions registered for the token endpoint's error response.
REGISTERED_TOKEN_ERRORS = frozenset(
    {
        "authorization_pending",  # RFC 8628 3.5, device authorization
        "slow_down",
        "access_denied",
        "expired_token",
        "invalid_target",  # RFC 8707 2, resource indicators
        "invalid_authorization_details",  # RFC 9396 5
        "invalid_dpop_proof",  # RFC 9449 5, DPoP
        "use_dpop_nonce",
    }
)


def _json_problem(exchange: Exchange, suffixed: bool) -> str | None:
    """Why the answer is not a JSON object of a JSON media type (`suffixed`: +json counts)."""
    media = exchange.response.media_type if exchange.response else ""
    is_json = media == "application/json" or (suffixed and media.endswith("+json"))
    if exchange.body_object() is None:
        return "no JSON object"
    return None if is_json else f"media type {media or 'missing'}"


def _cmn_problem(exchange: Exchange) -> str | None:
    body = exchange.body_object() or {}
    code = body.get("code")
    return (
        _json_problem(exchange, suffixed=True)
        or (None if isinstance(code, str) and CMN_CODE.fullmatch(code) else "no CMN code")
        or (None if isinstance(body.get("message"), str) else "no string message")
    )


def _section_5_2_problem(exchange: Exchange) -> str | None:
    body = exchange.body_object() or {}
    return (
        _json_problem(exchange, suffixed=False)
        or (None if isinstance(body.get("error"), str) else "no string error member")
        or next(
            (
                f"{name} is not a string"
                for name in ("error_description", "error_uri")
                if name in body and not isinstance(body[name], str)
            ),
            None,
        )
    )


@dataclass(frozen=True)
class ErrorShape:
    """A contract's error answers: which it shapes, how, and what a failure says."""

    judged: Callable[[Exchange], bool]
    problem: Callable[[Exchange], str | None]
    title: str
    expected: str
    unjudged: str  # the reason to skip when no answer is judged


ERROR_SHAPES: dict[str, ErrorShape] = {
    # every error answer of the token and revoke operations
    PLATFORM: ErrorShape(
        lambda e: e.operation in DOCUMENTED_OPERATIONS and (e.status or 0) >= 400,
        _cmn_problem,
        "An error body is not {code, message} with a CMN code.",
        '{"code": "CMN_9xxxx", "message": "..."}',
        "no error response to inspect",
    ),
    # the 400 and 401 answers to POSTed token requests: the ones 5.2 speaks of
    RFC6749: ErrorShape(
        lambda e: e.operation == "token" and e.request.method == "POST" and e.status in (400, 401),
        _section_5_2_problem,
        "An error answer is not the one RFC 6749 5.2 defines.",
        "application/json object with a string error",
        "no request got a 400 or 401",
    ),
}


@check("RFC-ERROR-CODE-KNOWN", uses=ALL)
def ensure_known_error_codes(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A 5.2 error answer names one of 5.2's codes, or an extension's registered one."""
    shape = ERROR_SHAPES[RFC6749]
    ensure_each(
        [e for e in exchanges if shape.judged(e) and error_of(e) is not None],
        ctx,
        _unknown_error_code,
        unjudged="no 400 or 401 answer named an error code",
        title="An error answer names a code RFC 6749 does not define.",
        expected="one of 5.2's error codes, or one registered for the token endpoint (8.5)",
    )


def _unknown_error_code(exchange: Exchange) -> str | None:
    code = error_of(exchange)
    known = code in SECTION_5_2 or code in REGISTERED_TOKEN_ERRORS
    return None if known else f"error {code!r:.60}"


@check("ERR-BODY-SHAPE", uses=ALL)
@check("RFC-ERROR-BODY", uses=ALL)
def ensure_error_body_shape(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Every error body has the shape its contract defines.

    On the platform {code, message} with a CMN code (^CMN_\\d{5}$); under RFC 6749 5.2 a
    JSON object with a string error.
    """
    shape = ERROR_SHAPES[ctx.family]
    ensure_each(
        [e for e in exchanges if shape.judged(e)],
        ctx,
        shape.problem,
        unjudged=shape.unjudged,
        title=shape.title,
        expected=shape.expected,
    )


@check("ERR-CODE", uses=ALL)
def ensure_documented_error_codes(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """An error carries the CMN code and status the edition documents for its cause."""
    judged = [e for e in exchanges if e.expects and (e.status or 0) >= 400]
    for exchange in require_any(judged, "no error response with a documented cause"):
        expectation = ctx.contract.requirement(exchange.expects or "").expectation(ctx.edition)
        if expectation is None:
            continue
        code = (exchange.body_object() or {}).get("code")
        status_ok = not expectation.statuses or exchange.status in expectation.statuses
        if not status_ok or (expectation.code and code != expectation.code):
            statuses = "/".join(map(str, expectation.statuses)) or "4xx"
            raise ctx.fail(
                f"The error for {exchange.expects} is not the one edition {ctx.edition} documents.",
                f"HTTP {statuses}, code {expectation.code or 'any'}",
                outcome(exchange),
                exchange=exchange,
            )


# The operations section 4's table speaks of, each with its documented method: an answer
# to another method (a 405, say) is HTTP's, not the table's.
TABLE_METHODS = {"token": "POST", "revoke": "DELETE"}


def _documented_statuses(exchange: Exchange, ctx: CheckContext) -> tuple[str, list[int]] | None:
    """The CMN code of an error answer to a documented operation and the statuses the
    edition documents for it; None when the answer names no code this edition lists."""
    if TABLE_METHODS.get(exchange.operation) != exchange.request.method:
        return None
    if (exchange.status or 0) < 400:
        return None
    code = (exchange.body_object() or {}).get("code")
    entry = next((c for c in ctx.contract.error_codes if c.code == code), None)
    statuses = entry.status_by_edition.get(ctx.edition, []) if entry else []
    return (entry.code, statuses) if entry and statuses else None


@check("ERR-CODE-STATUS", uses=ALL)
def ensure_code_status_pairs(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """An error whose CMN code the edition documents comes with that code's status.

    Which code a cause deserves is ERR-CODE's (a SHOULD); this is the seed page's own
    definition of its statuses: a body that says "Request is invalid" (400) in a 401, or
    "Invalid user credentials" (401) in a 402, contradicts itself.
    """
    documented = [e for e in exchanges if _documented_statuses(e, ctx)]
    for exchange in require_any(documented, "no error answer carried a code this edition lists"):
        code, statuses = _documented_statuses(exchange, ctx) or ("", [])
        if exchange.status not in statuses:
            raise ctx.fail(
                f"An error's status is not the one edition {ctx.edition} documents for {code}.",
                f"{code} with HTTP " + " or ".join(map(str, statuses)),
                outcome(exchange),
                exchange=exchange,
            )


@check("RFC-ERROR-CHARSET", uses=ALL)
def ensure_error_charset(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """error, error_description and error_uri use RFC 6749 5.2's character sets."""
    with_error = [e for e in exchanges if error_of(e) is not None]  # "" too: A.7 is 1*char
    for exchange in require_any(with_error, "no answer had an error member"):
        body = exchange.body_object() or {}
        for name, chars in (
            ("error", ERROR_CHARS),
            ("error_description", ERROR_CHARS),
            ("error_uri", URI_CHARS),
        ):
            value = body.get(name)
            if isinstance(value, str) and not chars.fullmatch(value):
                raise ctx.fail(
                    f"The {name} value holds characters RFC 6749 5.2 does not allow.",
                    f"{name} of printable ASCII without '\"' and '\\\\'",
                    f"{name} {value!r:.80}: {outcome(exchange)}",
                    exchange,
                )


def _section_5_2_error(exchange: Exchange) -> str | None:
    """The 5.2 error the answer is: the one its body names, else, for a request whose
    client authentication failed (known from the request), invalid_client. A server that
    sends no body, or not JSON, still owes 5.2's status; only a token escapes (that is
    RFC-INVALID-CLIENT's to judge)."""
    said = error_of(exchange)
    if said in SECTION_5_2:
        return said
    refused_client = exchange.scenario in CLIENT_AUTH_FAILURES and exchange.response is not None
    return "invalid_client" if refused_client and not exchange.issued_token() else None


@check("RFC-ERROR-STATUS", uses=ALL)
def ensure_error_status(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """RFC 6749 5.2 errors come with 400, or 401 for invalid_client.

    A failed client authentication is an invalid_client error whatever its body says.
    """
    posted = [e for e in exchanges if e.operation == "token" and e.request.method == "POST"]
    judged = [e for e in posted if _section_5_2_error(e)]
    unjudged = "no answer carried a section 5.2 error, and no client authentication failed"
    for exchange in require_any(judged, unjudged):
        allowed = (400, 401) if _section_5_2_error(exchange) == "invalid_client" else (400,)
        if exchange.status not in allowed:
            raise ctx.fail(
                "An RFC 6749 5.2 error came with the wrong status.",
                " or ".join(f"HTTP {s}" for s in allowed),
                outcome(exchange),
                exchange,
            )


@check("NO-5XX", uses=ALL)
@check("RFC-NO-5XX", uses=ALL)
def ensure_no_server_errors(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """No request the suite sends gets a 5xx."""
    for exchange in require_any([e for e in exchanges if e.response], "no response to inspect"):
        if (exchange.status or 0) >= 500:
            body = exchange.body_object() or {}
            documented = f" (the target reports {body['code']})" if "code" in body else ""
            raise ctx.fail(
                f"The target failed with a server error{documented}.",
                "no 5xx for any request",
                outcome(exchange),
                exchange=exchange,
            )
