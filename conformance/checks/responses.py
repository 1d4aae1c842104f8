"""Response shape and headers, error bodies, and rules over every exchange of the run."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from urllib.parse import quote, quote_plus

from conformance.checks._registry import ALL, CheckContext, check, outcome, require_any
from conformance.checks.correlation import DOCUMENTED_OPERATIONS
from conformance.errors import Skipped
from conformance.exchange import Exchange

# ASCII digits only and no trailing newline: Python's \d and $ would accept both.
DIGITS = re.compile(r"[0-9]+")
CMN_CODE = re.compile(r"CMN_[0-9]{5}")
SECRET_MIN_LENGTH = 6  # shorter configured secrets could match ordinary words in messages


def _successes(exchanges: Sequence[Exchange]) -> list[Exchange]:
    found = [e for e in exchanges if e.is_success()]
    if not found:
        raise Skipped("no 200 response for this grant to inspect")
    return found


def _cache_directives(value: str) -> set[str]:
    return {d.strip().split("=")[0].lower() for d in value.split(",") if d.strip()}


@check("RESP-CONTENT-TYPE", uses=ALL)
def ensure_json_success(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A 200 response is application/json with a JSON object body."""
    for exchange in _successes(exchanges):
        assert exchange.response is not None
        media = exchange.response.media_type
        if media != "application/json" and not media.endswith("+json"):
            raise ctx.fail(
                "A 200 response is not JSON.",
                "Content-Type: application/json",
                f"Content-Type: {media or '(none)'}",
            )
        if exchange.body_object() is None:
            raise ctx.fail(
                "A 200 response body is not a JSON object.", "a JSON object", outcome(exchange)
            )


@check("RESP-TOKEN-TYPE", uses=ALL)
def ensure_bearer_token_type(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """token_type equals Bearer, compared case-insensitively."""
    for exchange in _successes(exchanges):
        token_type = (exchange.body_object() or {}).get("token_type")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise ctx.fail(
                "token_type is not Bearer.", "token_type: Bearer", f"token_type: {token_type!r}"
            )


def _seconds_problem(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return f"{value!r}"
    if isinstance(value, int):
        return None if value > 0 else f"{value!r} (not positive)"
    if isinstance(value, str) and DIGITS.fullmatch(value) and int(value) > 0:
        return None
    return f"{value!r}"


@check("RESP-EXPIRES-IN", uses=ALL)
def ensure_lifetimes_are_seconds(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """expires_in (and refresh_token_expires_in when present) is a positive whole number."""
    for exchange in _successes(exchanges):
        body = exchange.body_object() or {}
        for name in ("expires_in", "refresh_token_expires_in"):
            if name == "refresh_token_expires_in" and name not in body:
                continue
            problem = _seconds_problem(body.get(name))
            if problem:
                raise ctx.fail(
                    f"{name} is not a positive whole number of seconds.",
                    f"{name}: a positive JSON integer or a string of digits",
                    f"{name}: {problem}",
                )


@check("RESP-EXPIRES-IN-TYPE", uses=ALL)
def ensure_lifetime_type_documented(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """With strict typing, the lifetimes use a JSON type the edition documents."""
    if not ctx.strict_typing:
        raise Skipped("strict typing is off (turn it on with --strict-typing)")
    allowed = (int, str) if ctx.edition == "1.3.1" else (str,)
    for exchange in _successes(exchanges):
        body = exchange.body_object() or {}
        for name in ("expires_in", "refresh_token_expires_in"):  # D6 speaks of both
            if name not in body and name == "refresh_token_expires_in":
                continue
            value = body.get(name)
            if isinstance(value, bool) or not isinstance(value, allowed):
                raise ctx.fail(
                    f"{name} has a type edition {ctx.edition} does not document.",
                    " or ".join(t.__name__ for t in allowed),
                    type(value).__name__,
                    exchange=exchange,
                )


@check("RESP-REFRESH-EXPIRES-PRESENT", uses=ALL)
def ensure_refresh_lifetime_present(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A response carrying a refresh_token also carries refresh_token_expires_in."""
    with_refresh = [
        e for e in _successes(exchanges) if (e.body_object() or {}).get("refresh_token")
    ]
    for exchange in require_any(with_refresh, "no 200 response carried a refresh_token"):
        if "refresh_token_expires_in" not in (exchange.body_object() or {}):
            raise ctx.fail(
                "A refresh_token comes without refresh_token_expires_in.",
                "refresh_token_expires_in beside refresh_token",
                outcome(exchange),
                exchange=exchange,
            )


@check("RESP-CACHE-CONTROL", uses=ALL)
def ensure_no_store(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A 200 response carries Cache-Control: no-store."""
    for exchange in _successes(exchanges):
        assert exchange.response is not None
        values = exchange.response.header_values("cache-control")
        if not any("no-store" in _cache_directives(v) for v in values):
            raise ctx.fail(
                "A token response may be cached.",
                "Cache-Control: no-store",
                f"Cache-Control: {', '.join(values) or '(none)'}",
            )


@check("RESP-PRAGMA", uses=ALL)
def ensure_pragma_no_cache(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A 200 response carries Pragma: no-cache."""
    for exchange in _successes(exchanges):
        assert exchange.response is not None
        values = exchange.response.header_values("pragma")  # repeated lines combine (RFC 9110)
        if not any("no-cache" in _cache_directives(v) for v in values):
            raise ctx.fail(
                "A token response lacks Pragma: no-cache.",
                "Pragma: no-cache",
                f"Pragma: {', '.join(values) or '(none)'}",
                exchange=exchange,
            )


@check("TOKEN-UNIQUE", uses=ALL)
def ensure_access_tokens_unique(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """No two successful responses carry the same access token."""
    tokens = [(e.body_object() or {})["access_token"] for e in exchanges if e.issued_token()]
    if len(tokens) < 2:
        raise Skipped("fewer than two tokens were issued")
    repeated = [count for count in Counter(tokens).values() if count > 1]
    if repeated:
        raise ctx.fail(
            "The target handed out the same access token more than once.",
            f"{len(tokens)} distinct access tokens",
            f"{len(set(tokens))} distinct among {len(tokens)}",
        )


def _spellings(secret: str) -> set[str]:
    """A secret as a response could carry it: raw, form- or URL-encoded, JSON-escaped."""
    return {secret, quote_plus(secret), quote(secret, safe=""), json.dumps(secret)[1:-1]}


@check("SECRET-NOT-ECHOED", uses=ALL)
def ensure_secrets_not_echoed(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """No response contains the client secret or the user's password."""
    secrets = [s for s in ctx.secrets if len(s) >= SECRET_MIN_LENGTH]
    if not secrets:
        raise Skipped(f"no configured secret is {SECRET_MIN_LENGTH} characters or longer")
    spellings = set().union(*(_spellings(s) for s in secrets))
    for exchange in require_any([e for e in exchanges if e.response], "no response to inspect"):
        assert exchange.response is not None
        texts = [exchange.response.body.decode("utf-8", errors="replace")]
        texts += [value for _, value in exchange.response.headers]
        if any(spelling in text for text in texts for spelling in spellings):
            raise ctx.fail(
                "A response contains a configured secret.",
                "no client secret or user password in any response",
                f"a secret in the response to {exchange.scenario}/{exchange.label}",
                exchange=exchange,
            )


@check("ERR-BODY-SHAPE", uses=ALL)
def ensure_error_body_shape(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Every error body is a JSON object {code, message}, code matching ^CMN_\\d{5}$."""
    errors = [
        e for e in exchanges if e.operation in DOCUMENTED_OPERATIONS and (e.status or 0) >= 400
    ]
    for exchange in require_any(errors, "no error response to inspect"):
        body = exchange.body_object()
        code, message = (body or {}).get("code"), (body or {}).get("message")
        media = exchange.response.media_type if exchange.response else ""
        is_json = media == "application/json" or media.endswith("+json")
        if not (
            is_json
            and isinstance(code, str)
            and CMN_CODE.fullmatch(code)
            and isinstance(message, str)
        ):
            raise ctx.fail(
                "An error body is not {code, message} with a CMN code.",
                '{"code": "CMN_9xxxx", "message": "..."}',
                outcome(exchange),
                exchange=exchange,
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


@check("NO-5XX", uses=ALL)
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
