"""The shape of token responses (types, lifetimes, members, RFC 6749's syntax), and the
rules over every answer of the run: tokens unique, secrets never echoed."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from urllib.parse import quote, quote_plus

from conformance.checks._registry import (
    ALL,
    CheckContext,
    _shorten,
    check,
    ensure_each,
    outcome,
    require_any,
    token_answers,
)
from conformance.errors import Skipped
from conformance.exchange import Exchange

# ASCII digits only and no trailing newline: Python's \d and $ would accept both.
DIGITS = re.compile(r"[0-9]+")
SECRET_MIN_LENGTH = 6  # shorter configured secrets could match ordinary words in messages

# RFC 6749 Appendix A: the characters each value may hold.
VSCHAR = re.compile(r"[\x20-\x7E]+")
SCOPE = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*")
TYPE_NAME = re.compile(r"[A-Za-z0-9._-]+")  # A.13 type-name
ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7E]+")  # A.13 URI, no spaces

# The rfc6749 profile's scenarios that may issue a token: its response rules read these.
TOKEN_SCENARIOS = (
    "cc_success",
    "password_success",
    "code_flow",
    "refresh_rotation",
    "refresh_scope",
    "refresh_foreign",
    "auth_special",
    "unknown_param",
    "scopes_unknown",
)


def _successes(exchanges: Sequence[Exchange], ctx: CheckContext) -> list[Exchange]:
    answers = token_answers(exchanges, ctx)
    return list(require_any(answers, "no 200 response for this grant to inspect"))


@check("RESP-CONTENT-TYPE", uses=ALL)
def ensure_json_success(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A 200 response is application/json with a JSON object body."""
    for exchange in _successes(exchanges, ctx):
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
    for exchange in _successes(exchanges, ctx):
        token_type = (exchange.body_object() or {}).get("token_type")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise ctx.fail(
                "token_type is not Bearer.", "token_type: Bearer", f"token_type: {token_type!r}"
            )


# Section 3's string fields. expires_in and refresh_token_expires_in are RESP-EXPIRES-IN's.
STRING_FIELDS = ("access_token", "token_type", "refresh_token", "id_token")


def _field_type_problem(exchange: Exchange) -> str | None:
    body = exchange.body_object() or {}
    for name in STRING_FIELDS:
        value = body.get(name)
        if name in body and not (isinstance(value, str) and value):
            # The type and the length only: the value may be a token.
            shown = "an empty string" if value == "" else f"JSON {type(value).__name__}"
            return f"{name} is {shown}".replace("JSON NoneType", "null")
    return None


@check("RESP-FIELD-TYPES", uses=ALL)
def ensure_field_types(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A 200's access_token, token_type, refresh_token and id_token, where present, are
    non-empty strings: section 3 types them so, and no edition makes one nullable."""
    ensure_each(
        _successes(exchanges, ctx),
        ctx,
        _field_type_problem,
        unjudged="no 200 response for this grant to inspect",
        title="A token answer's field is not the string section 3 documents.",
        expected="access_token, token_type, refresh_token, id_token: non-empty strings if present",
    )


def _seconds_problem(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return f"{value!r}"
    if isinstance(value, int):
        return None if value > 0 else f"{value!r} (not positive)"
    if isinstance(value, str) and DIGITS.fullmatch(value) and int(value) > 0:
        return None
    return f"{value!r}"


def _lifetimes(body: dict[str, object]) -> list[str]:
    """The lifetimes a token response states: expires_in always, refresh_token_expires_in
    when present (D6 speaks of both)."""
    return [n for n in ("expires_in", "refresh_token_expires_in") if n == "expires_in" or n in body]


@check("RESP-EXPIRES-IN", uses=ALL)
def ensure_lifetimes_are_seconds(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """expires_in (and refresh_token_expires_in when present) is a positive whole number."""
    for exchange in _successes(exchanges, ctx):
        body = exchange.body_object() or {}
        for name in _lifetimes(body):
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
    for exchange in _successes(exchanges, ctx):
        body = exchange.body_object() or {}
        for name in _lifetimes(body):
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
        e for e in _successes(exchanges, ctx) if (e.body_object() or {}).get("refresh_token")
    ]
    for exchange in require_any(with_refresh, "no 200 response carried a refresh_token"):
        if "refresh_token_expires_in" not in (exchange.body_object() or {}):
            raise ctx.fail(
                "A refresh_token comes without refresh_token_expires_in.",
                "refresh_token_expires_in beside refresh_token",
                outcome(exchange),
                exchange=exchange,
            )


def _fields_problem(exchange: Exchange) -> str | None:
    body = exchange.body_object()
    media = exchange.response.media_type if exchange.response else ""
    if media != "application/json":
        return f"media type {media or 'missing'}"
    if body is None:
        return "a body that is not a JSON object"
    return next(
        (
            f"{name} missing or not a non-empty string"
            for name in ("access_token", "token_type")
            if not (isinstance(body.get(name), str) and body[name])
        ),
        None,
    )


@check("RFC-SUCCESS-FIELDS", uses=TOKEN_SCENARIOS)
def ensure_success_fields(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A 200 is an application/json object with string access_token and token_type (5.1)."""
    ensure_each(
        [e for e in exchanges if e.is_success() and e.request.method == "POST"],
        ctx,
        _fields_problem,
        unjudged="no request of this grant got a 200",
        title="A token response is not the one RFC 6749 5.1 defines.",
        expected="application/json object with string access_token and token_type",
    )


def _syntax_problem(body: dict[str, object]) -> str | None:
    for name in ("access_token", "refresh_token"):
        value = body.get(name)
        if name in body and not (isinstance(value, str) and VSCHAR.fullmatch(value)):
            return f"{name} is not 1*VSCHAR (A.12, A.17)"
    token_type = body.get("token_type")
    if isinstance(token_type, str) and not (
        TYPE_NAME.fullmatch(token_type) or ABSOLUTE_URI.fullmatch(token_type)
    ):
        return "token_type is neither a type-name nor a URI (A.13)"
    expires = body.get("expires_in")
    if "expires_in" in body and (
        isinstance(expires, bool) or not isinstance(expires, int) or expires < 0
    ):
        kind = type(expires).__name__
        return f"expires_in is {kind} {expires!r:.20}, not a JSON integer of digits (5.1, A.14)"
    scope = body.get("scope")
    if "scope" in body and not (isinstance(scope, str) and SCOPE.fullmatch(scope)):
        return "scope is not space-delimited scope tokens (3.3, A.4)"
    return None


@check("RFC-TOKEN-SYNTAX", uses=TOKEN_SCENARIOS)
def ensure_token_syntax(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Token response members follow RFC 6749 Appendix A's syntax."""
    ensure_each(
        token_answers(exchanges, ctx),
        ctx,
        lambda e: _syntax_problem(e.body_object() or {}),
        unjudged="no token was issued",
        title="A token response member breaks RFC 6749's syntax.",
        expected="the syntax of RFC 6749 Appendix A",
    )


@check("RFC-EXPIRES-IN", uses=TOKEN_SCENARIOS)
def ensure_expires_in(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Token responses carry expires_in (RECOMMENDED, RFC 6749 5.1)."""
    ensure_each(
        token_answers(exchanges, ctx),
        ctx,
        lambda e: None if "expires_in" in (e.body_object() or {}) else "no expires_in",
        unjudged="no token was issued",
        title="A token response does not say when the token expires.",
        expected="expires_in (RECOMMENDED, RFC 6749 5.1)",
    )


def _repeated_member(body: bytes) -> str | None:
    """A member name the top-level JSON object repeats, or None (nested objects are not
    response parameters)."""
    repeated: list[list[str]] = []  # per object, innermost first: the top level comes last

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        names = [name for name, _ in items]
        repeated.append([n for n in names if names.count(n) > 1])
        return dict(items)

    try:
        json.loads(body.decode("utf-8"), object_pairs_hook=pairs)
    except ValueError:  # includes UnicodeDecodeError: not JSON, judged elsewhere
        return None
    return repeated[-1][0] if repeated and repeated[-1] else None


def _repeated_problem(exchange: Exchange) -> str | None:
    name = _repeated_member(exchange.response.body) if exchange.response else None
    return None if name is None else f"{_shorten(name, 60)} repeated"


@check("RFC-PARAMS-ONCE", uses=ALL)
def ensure_members_once(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """No JSON answer repeats a member name (RFC 6749 3.2)."""
    ensure_each(
        [e for e in exchanges if e.response is not None and e.body_object() is not None],
        ctx,
        _repeated_problem,
        unjudged="no answer had a JSON object body",
        title="A JSON answer names a member twice.",
        expected="each response parameter once (RFC 6749 3.2)",
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
