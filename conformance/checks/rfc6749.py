"""The rfc6749 profile's checks: RFC 6749 alone, for any OAuth 2.0 token endpoint.

Each judges what `conformance.scenarios_rfc6749` recorded. Where the RFC leaves a server
a choice (3.3: ignore part of a requested scope, but then say which scope was granted;
5.2: 401 or 400 for invalid_client without an Authorization header), both choices pass.
An answer that says the grant itself is not offered (unsupported_grant_type,
unauthorized_client) is no verdict on a rule about that grant's fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from conformance.checks._registry import (
    ALL,
    CheckContext,
    _shorten,
    check,
    labelled,
    outcome,
    require_any,
)
from conformance.errors import Skipped
from conformance.exchange import Exchange
from conformance.scenarios_rfc6749 import EXTRA_SCOPE, UNKNOWN_SCOPE

# RFC 6749 Appendix A: the characters each value may hold.
VSCHAR = re.compile(r"[\x20-\x7E]+")
ERROR_CHARS = re.compile(r"[\x20-\x21\x23-\x5B\x5D-\x7E]+")  # error, error_description
URI_CHARS = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")  # error_uri
SCOPE = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*")
TYPE_NAME = re.compile(r"[A-Za-z0-9._-]+")  # A.13 type-name
ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7E]+")  # A.13 URI, no spaces
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
NOT_OFFERED = frozenset({"unsupported_grant_type", "unauthorized_client"})
SUCCESS_SCENARIOS = (
    "rfc_cc",
    "rfc_password",
    "rfc_code_flow",
    "rfc_refresh",
    "rfc_refresh_scope",
    "rfc_refresh_foreign",
    "rfc_auth_special",
    "rfc_unknown_param",
    "rfc_scope_unknown",
)


def error_of(exchange: Exchange) -> str | None:
    """The `error` member of a JSON object answer, when it is a string."""
    value = (exchange.body_object() or {}).get("error")
    return value if isinstance(value, str) else None


def _token_answers(exchanges: Sequence[Exchange]) -> list[Exchange]:
    """200 answers to POSTed token requests."""
    return [e for e in exchanges if e.is_success() and e.request.method == "POST"]


def _issued(exchanges: Sequence[Exchange]) -> list[Exchange]:
    return [e for e in exchanges if e.issued_token()]


def ensure_error(
    exchanges: Sequence[Exchange],
    ctx: CheckContext,
    code: str,
    statuses: tuple[int, ...] = (400,),
    *,
    skip_not_offered: bool = False,
) -> None:
    """Each exchange got no token, one of `statuses` and error `code` (RFC 6749 5.2).

    With `skip_not_offered`, an answer saying the grant is not offered is not judged.
    """
    judged = [
        e
        for e in require_any(exchanges, "the scenario sent no request for this requirement")
        if not (skip_not_offered and e.status == 400 and error_of(e) in NOT_OFFERED)
    ]
    if not judged:
        raise Skipped(f"the target does not offer the grant: it answered {error_of(exchanges[0])}")
    wanted = " or ".join(f"HTTP {s}" for s in statuses) + f" with error {code} and no token"
    for exchange in judged:
        if exchange.issued_token():
            raise ctx.fail(
                "The target issued a token for a request it must refuse.",
                wanted,
                outcome(exchange),
                exchange,
            )
        if exchange.status not in statuses or error_of(exchange) != code:
            raise ctx.fail(
                f"The target did not answer with the RFC 6749 5.2 error {code}.",
                wanted,
                outcome(exchange),
                exchange,
            )


def ensure_issued(exchanges: Sequence[Exchange], ctx: CheckContext, what: str) -> None:
    """Each exchange is a 200 with an access_token."""
    for exchange in require_any(exchanges, f"no {what} request was sent"):
        if not (exchange.is_success() and exchange.issued_token()):
            raise ctx.fail(
                f"A valid {what} request got no token.",
                "HTTP 200 with an access_token",
                outcome(exchange),
                exchange,
            )


# --- success --------------------------------------------------------------------


@check("RFC-CC-SUCCESS", uses=("rfc_cc",))
def ensure_client_credentials(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """client_credentials with HTTP Basic gets 200 and an access token (2.3.1, 4.4)."""
    ensure_issued(exchanges, ctx, "client_credentials")


@check("RFC-PASSWORD-SUCCESS", uses=("rfc_password",))
def ensure_password(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """The resource owner's credentials get 200 and an access token (4.3)."""
    ensure_issued(exchanges, ctx, "password")


@check("RFC-CODE-SUCCESS", uses=("rfc_code_flow",))
def ensure_code_exchange(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A fresh authorization code gets 200 and an access token (4.1.3)."""
    ensure_issued(labelled(exchanges, "exchange", "no code was exchanged"), ctx, "code exchange")


def _refreshes(exchanges: Sequence[Exchange], label: str) -> list[Exchange]:
    setup = labelled(exchanges, "password-setup", "the password login was not sent")
    if not setup[0].issued_token():
        raise Skipped("the password login that gets the refresh token failed")
    return labelled(exchanges, label, "the password grant issued no refresh token")


@check("RFC-REFRESH-SUCCESS", uses=("rfc_refresh",))
def ensure_refresh(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """An issued refresh token gets 200 and a new access token (6)."""
    ensure_issued(_refreshes(exchanges, "refresh"), ctx, "refresh_token")


@check("RFC-SUCCESS-FIELDS", uses=SUCCESS_SCENARIOS)
def ensure_success_fields(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A 200 is an application/json object with string access_token and token_type (5.1)."""
    for exchange in require_any(_token_answers(exchanges), "no request of this grant got a 200"):
        body = exchange.body_object()
        media = exchange.response.media_type if exchange.response else ""
        problem = (
            f"media type {media or 'missing'}"
            if media != "application/json"
            else "a body that is not a JSON object"
            if body is None
            else next(
                (
                    f"{name} missing or not a non-empty string"
                    for name in ("access_token", "token_type")
                    if not (isinstance(body.get(name), str) and body[name])
                ),
                None,
            )
        )
        if problem:
            raise ctx.fail(
                "A token response is not the one RFC 6749 5.1 defines.",
                "application/json object with string access_token and token_type",
                f"{problem}: {outcome(exchange)}",
                exchange,
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


@check("RFC-TOKEN-SYNTAX", uses=SUCCESS_SCENARIOS)
def ensure_token_syntax(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Token response members follow Appendix A's syntax."""
    for exchange in require_any(_issued(exchanges), "no token was issued"):
        problem = _syntax_problem(exchange.body_object() or {})
        if problem:
            raise ctx.fail(
                "A token response member breaks RFC 6749's syntax.",
                "the syntax of RFC 6749 Appendix A",
                f"{problem}: {outcome(exchange)}",
                exchange,
            )


@check("RFC-EXPIRES-IN", uses=SUCCESS_SCENARIOS)
def ensure_expires_in(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Token responses carry expires_in (RECOMMENDED, 5.1)."""
    for exchange in require_any(_issued(exchanges), "no token was issued"):
        if "expires_in" not in (exchange.body_object() or {}):
            raise ctx.fail(
                "A token response does not say when the token expires.",
                "expires_in (RECOMMENDED, RFC 6749 5.1)",
                outcome(exchange),
                exchange,
            )


def _directives(values: list[str]) -> set[str]:
    return {d.strip().lower() for value in values for d in value.split(",") if d.strip()}


def _ensure_header_directive(
    exchanges: Sequence[Exchange], ctx: CheckContext, header: str, directive: str
) -> None:
    for exchange in require_any(_issued(exchanges), "no token was issued"):
        values = exchange.response.header_values(header) if exchange.response else []
        if directive not in _directives(values):
            raise ctx.fail(
                f"A response holding a token lacks {header}: {directive}.",
                f"{header}: {directive} (RFC 6749 5.1)",
                f"{header}: {values[0]!r:.80}" if values else f"no {header} header",
                exchange,
            )


@check("RFC-NO-STORE", uses=SUCCESS_SCENARIOS)
def ensure_no_store(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Responses holding tokens carry Cache-Control: no-store (5.1)."""
    _ensure_header_directive(exchanges, ctx, "Cache-Control", "no-store")


@check("RFC-PRAGMA", uses=SUCCESS_SCENARIOS)
def ensure_pragma(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Responses holding tokens carry Pragma: no-cache (5.1)."""
    _ensure_header_directive(exchanges, ctx, "Pragma", "no-cache")


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


@check("RFC-PARAMS-ONCE", uses=ALL)
def ensure_members_once(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """No JSON answer repeats a member name (3.2)."""
    answered = [e for e in exchanges if e.response is not None and e.body_object() is not None]
    for exchange in require_any(answered, "no answer had a JSON object body"):
        assert exchange.response is not None
        name = _repeated_member(exchange.response.body)
        if name is not None:
            raise ctx.fail(
                "A JSON answer names a member twice.",
                "each response parameter once (RFC 6749 3.2)",
                f"{_shorten(name, 60)} repeated: {outcome(exchange)}",
                exchange,
            )


@check("RFC-CC-NO-REFRESH", uses=("rfc_cc",))
def ensure_no_client_credentials_refresh(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """client_credentials answers carry no refresh token (4.4.3, SHOULD NOT)."""
    for exchange in require_any(_issued(exchanges), "no client_credentials token was issued"):
        if (exchange.body_object() or {}).get("refresh_token"):
            raise ctx.fail(
                "A client_credentials answer includes a refresh token.",
                "no refresh_token (RFC 6749 4.4.3: SHOULD NOT)",
                outcome(exchange),
                exchange,
            )


@check("RFC-REFRESH-ROTATION", uses=("rfc_refresh",))
def observe_refresh_rotation(exchanges: Sequence[Exchange], ctx: CheckContext) -> str:
    """Information: whether refresh tokens rotate, and whether old ones still work (6, MAY)."""
    refreshed = _refreshes(exchanges, "refresh")[0]
    if not refreshed.issued_token():
        raise Skipped("the refresh request got no token (RFC-REFRESH-SUCCESS)")
    reuse = [e for e in exchanges if e.label == "reuse-old"]
    if not reuse:
        return "The server keeps the refresh token: a refresh issued no new one (RFC 6749 6: MAY)."
    still = "still works" if reuse[0].issued_token() else "is refused afterwards"
    return f"The server rotates refresh tokens: a refresh issues a new one; the old one {still}."


# --- errors ----------------------------------------------------------------------


def _posted_errors(exchanges: Sequence[Exchange]) -> list[Exchange]:
    """Answers 400 or 401 to POSTed token requests: the ones 5.2 shapes."""
    return [
        e
        for e in exchanges
        if e.operation == "token" and e.request.method == "POST" and e.status in (400, 401)
    ]


@check("RFC-ERROR-BODY", uses=ALL)
def ensure_error_body(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """400 and 401 answers are 5.2 JSON error objects with a string error."""
    for exchange in require_any(_posted_errors(exchanges), "no request got a 400 or 401"):
        body = exchange.body_object()
        media = exchange.response.media_type if exchange.response else ""
        if media != "application/json" or body is None:
            problem = f"media type {media or 'missing'}" if body is not None else "no JSON object"
        elif not isinstance(body.get("error"), str):
            problem = "no string error member"
        else:
            problem = next(
                (
                    f"{name} is not a string"
                    for name in ("error_description", "error_uri")
                    if name in body and not isinstance(body[name], str)
                ),
                "",
            )
        if problem:
            raise ctx.fail(
                "An error answer is not the one RFC 6749 5.2 defines.",
                "application/json object with a string error",
                f"{problem}: {outcome(exchange)}",
                exchange,
            )


@check("RFC-ERROR-CHARSET", uses=ALL)
def ensure_error_charset(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """error, error_description and error_uri use 5.2's character sets."""
    with_error = [e for e in exchanges if error_of(e) is not None]  # "" too: A.7 is 1*char
    judged = require_any(with_error, "no answer had an error member")
    for exchange in judged:
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


@check("RFC-ERROR-STATUS", uses=ALL)
def ensure_error_status(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """5.2 errors come with 400, or 401 for invalid_client."""
    posted = [e for e in exchanges if e.operation == "token" and e.request.method == "POST"]
    judged = [e for e in posted if error_of(e) in SECTION_5_2]
    for exchange in require_any(judged, "no answer carried a section 5.2 error"):
        allowed = (400, 401) if error_of(exchange) == "invalid_client" else (400,)
        if exchange.status not in allowed:
            raise ctx.fail(
                "An RFC 6749 5.2 error came with the wrong status.",
                " or ".join(f"HTTP {s}" for s in allowed),
                outcome(exchange),
                exchange,
            )


AUTH_FAILURES = ("rfc_auth_missing", "rfc_auth_wrong_secret", "rfc_auth_unknown_client")


@check("RFC-INVALID-CLIENT", uses=AUTH_FAILURES)
def ensure_invalid_client(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Missing, wrong or unknown client credentials get invalid_client and no token (5.2)."""
    ensure_error(exchanges, ctx, "invalid_client", (400, 401))


QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
BASIC_SCHEME = re.compile(r"(?:^|,)\s*basic(?:\s|,|$)", re.IGNORECASE)


def _basic_challenge(exchange: Exchange) -> bool:
    """A Basic challenge among the WWW-Authenticate values (quoted text is not a scheme)."""
    values = exchange.response.header_values("www-authenticate") if exchange.response else []
    return any(BASIC_SCHEME.search(QUOTED.sub('""', value)) for value in values)


@check("RFC-INVALID-CLIENT-401", uses=("rfc_auth_wrong_secret", "rfc_auth_unknown_client"))
def ensure_invalid_client_401(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A failed Basic authentication gets 401 with a Basic challenge (5.2)."""
    ensure_error(exchanges, ctx, "invalid_client", (401,))
    for exchange in exchanges:
        if not _basic_challenge(exchange):
            raise ctx.fail(
                "A failed Basic authentication got no Basic challenge.",
                "WWW-Authenticate: Basic ... (RFC 6749 5.2)",
                outcome(exchange),
                exchange,
            )


@check("RFC-401-CHALLENGE", uses=ALL)
def ensure_401_challenge(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Every 401 carries WWW-Authenticate (RFC 9110 15.5.2)."""
    unauthorized = [e for e in exchanges if e.status == 401]
    for exchange in require_any(unauthorized, "no request got a 401"):
        if not exchange.response or not exchange.response.header("www-authenticate"):
            raise ctx.fail(
                "A 401 carries no challenge.",
                "WWW-Authenticate on every 401 (RFC 9110 15.5.2)",
                outcome(exchange),
                exchange,
            )


@check("RFC-BASIC-ENCODING", uses=("rfc_auth_special",))
def ensure_special_client(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A client id and secret with special characters, encoded per 2.3.1, authenticate."""
    ensure_issued(exchanges, ctx, "special-character client's")


@check("RFC-ONE-AUTH-METHOD", uses=("rfc_two_auth",))
def ensure_one_auth_method(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Two client authentication methods in one request get invalid_request (2.3, 5.2)."""
    ensure_error(exchanges, ctx, "invalid_request")


@check("RFC-GRANT-TYPE-MISSING", uses=("rfc_grant_missing",))
def ensure_grant_type_missing(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """An omitted or empty grant_type gets invalid_request (3.2, 5.2)."""
    ensure_error(exchanges, ctx, "invalid_request")


@check("RFC-UNSUPPORTED-GRANT", uses=("rfc_grant_unsupported",))
def ensure_unsupported_grant(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """An unknown grant_type gets unsupported_grant_type (5.2)."""
    ensure_error(exchanges, ctx, "unsupported_grant_type")


@check("RFC-PARAM-REPEATED", uses=("rfc_param_repeated",))
def ensure_repeated_refused(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A repeated parameter gets invalid_request and no token (3.2, 5.2)."""
    ensure_error(exchanges, ctx, "invalid_request")


@check("RFC-FIELD-MISSING", uses=("rfc_field_missing",))
def ensure_field_missing(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A grant without its required field gets invalid_request (4.1.3, 4.3.2, 6)."""
    ensure_error(exchanges, ctx, "invalid_request", skip_not_offered=True)


@check("RFC-UNKNOWN-PARAM-IGNORED", uses=("rfc_unknown_param",))
def ensure_unknown_param_ignored(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """An unrecognized parameter is ignored: the request still gets a token (3.2)."""
    ensure_issued(exchanges, ctx, "client_credentials (with an unrecognized parameter)")


@check("RFC-POST-ONLY", uses=("rfc_method_get",))
def ensure_post_only(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A GET token request gets no token (3.2)."""
    for exchange in require_any(exchanges, "no GET was sent"):
        if exchange.issued_token():
            raise ctx.fail(
                "A GET request got a token.",
                "no token (RFC 6749 3.2: POST)",
                outcome(exchange),
                exchange,
            )


@check("RFC-BODY-FORM", uses=("rfc_body_json",))
def ensure_form_body(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A JSON body gets no token: 400 with an error, or 415 (3.2)."""
    for exchange in require_any(exchanges, "no JSON body was sent"):
        error_answer = exchange.status == 400 and error_of(exchange) is not None
        if exchange.issued_token() or not (error_answer or exchange.status == 415):
            raise ctx.fail(
                "A JSON body was not refused.",
                "no token; HTTP 400 with an error, or 415",
                outcome(exchange),
                exchange,
            )


def _scope_left_out(
    exchanges: Sequence[Exchange], ctx: CheckContext, scope: str, what: str
) -> None:
    """Refused with invalid_scope, or a token whose `scope` member leaves `scope` out (3.3)."""
    for exchange in require_any(exchanges, f"no {what} request was sent"):
        if not exchange.issued_token():
            ensure_error([exchange], ctx, "invalid_scope")
            continue
        granted = (exchange.body_object() or {}).get("scope")
        if not isinstance(granted, str) or scope in granted.split(" "):
            said = "no scope member" if not isinstance(granted, str) else f"scope {granted!r:.80}"
            raise ctx.fail(
                f"The target issued a token for {what} without saying it left it out.",
                f"HTTP 400 invalid_scope, or a scope member without {scope} (RFC 6749 3.3)",
                f"{said}: {outcome(exchange)}",
                exchange,
            )


@check("RFC-SCOPE-UNKNOWN", uses=("rfc_scope_unknown",))
def ensure_unknown_scope(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """An unknown scope gets invalid_scope, or a token whose scope leaves it out (3.3)."""
    _scope_left_out(exchanges, ctx, UNKNOWN_SCOPE, "an unknown scope")


@check("RFC-INVALID-GRANT", uses=("rfc_code_invalid", "rfc_refresh_unknown"))
def ensure_invalid_grant(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A never-issued code or refresh token gets invalid_grant (5.2)."""
    ensure_error(exchanges, ctx, "invalid_grant", skip_not_offered=True)


@check("RFC-PASSWORD-WRONG", uses=("rfc_password_wrong",))
def ensure_wrong_password(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A wrong password gets invalid_grant and no token (4.3.2, 5.2)."""
    ensure_error(exchanges, ctx, "invalid_grant")


@check("RFC-CODE-SINGLE-USE", uses=("rfc_code_flow",))
def ensure_code_single_use(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A code used twice is refused the second time with invalid_grant (4.1.2)."""
    reuse = labelled(exchanges, "reuse", "the first code exchange got no token")
    ensure_error(reuse, ctx, "invalid_grant")


@check("RFC-REFRESH-CLIENT-BOUND", uses=("rfc_refresh_foreign",))
def ensure_refresh_client_bound(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Another client's refresh token gets invalid_grant (6)."""
    # A second client not allowed the refresh grant says nothing about binding: not judged.
    other = _refreshes(exchanges, "other-client")
    ensure_error(other, ctx, "invalid_grant", skip_not_offered=True)


@check("RFC-REFRESH-SCOPE-NOT-WIDER", uses=("rfc_refresh_scope",))
def ensure_refresh_scope_not_wider(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A refresh asking for more scope than granted does not get it (6, 3.3)."""
    wider = _refreshes(exchanges, "wider-scope")
    _scope_left_out(wider, ctx, EXTRA_SCOPE, "a scope beyond the original grant")


@check("RFC-UNAUTHORIZED-CLIENT", uses=("rfc_restricted",))
def ensure_unauthorized_client(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A client not allowed the password grant gets unauthorized_client (5.2)."""
    ensure_error(exchanges, ctx, "unauthorized_client")
