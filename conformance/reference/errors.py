"""The error table of each edition and the error responses built from it.

Handlers raise `ApiError(Problem.X)`; the edition's table turns the problem into a
status and a body: a CMN code and a message in the platform's editions (spec section
4, D17), an RFC 6749 5.2 `error` and `error_description` in edition "rfc6749".
Keeping the tables in one place means a handler never spells a code or a status itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, auto
from typing import Final, Literal

from starlette.responses import JSONResponse, PlainTextResponse, Response

Edition = Literal["1.3.1", "1.11.0", "rfc6749"]
RFC6749: Final = "rfc6749"
PLATFORM_EDITIONS: tuple[Edition, ...] = ("1.3.1", "1.11.0")
# "rfc6749": the token endpoint as RFC 6749 alone describes it, without the platform's
# transactionId and institutionId headers and with RFC 6749 5.2 error bodies.
EDITIONS: tuple[Edition, ...] = (*PLATFORM_EDITIONS, RFC6749)

# RFC 7235 3.1: a 401 carries a challenge; D11 asks for it on client-auth failures.
BASIC_CHALLENGE = 'Basic realm="token"'


class Problem(Enum):
    """Why a request failed, independent of how an edition reports it."""

    INTERNAL = auto()
    INVALID_CLIENT = auto()
    INVALID_INSTITUTION = auto()
    FORBIDDEN = auto()
    INVALID_GRANT_TYPE = auto()
    MISSING_GRANT_TYPE = auto()
    GRANT_NOT_ALLOWED = auto()
    INVALID_TRANSACTION_ID = auto()
    INVALID_REQUEST = auto()
    NOT_FOUND = auto()
    METHOD_NOT_ALLOWED = auto()
    INVALID_SCOPES = auto()
    INVALID_USERNAME = auto()
    INVALID_PASSWORD = auto()
    INVALID_USER_CREDENTIALS = auto()
    NON_PRINTABLE = auto()
    INVALID_TOKEN = auto()
    QUOTA = auto()  # the gateway's: only with the quota limit (limits.py)
    SPIKE_ARREST = auto()  # the gateway's: only with the spike-arrest limit


@dataclass(frozen=True)
class CmnEntry:
    """One row of an edition's CMN table."""

    status: int
    code: str
    message: str


# Rows both editions share. CMN_90006 is 403 in both: 1.11.0's table says 403, and
# although 1.3.1's table row says 400, 1.3.1 documents CMN_90006 as the example of its
# 403 response and section 4 of the spec gives "may not" to 403; the brief follows that.
_SHARED: dict[Problem, CmnEntry] = {
    Problem.INTERNAL: CmnEntry(500, "CMN_90000", "Internal server error"),
    Problem.INVALID_INSTITUTION: CmnEntry(400, "CMN_90005", "Header institutionId is invalid"),
    Problem.FORBIDDEN: CmnEntry(403, "CMN_90006", "Not authorized to access this resource"),
    Problem.INVALID_GRANT_TYPE: CmnEntry(400, "CMN_90007", "Invalid grant type"),
    # The platform answers a missing grant_type like an unknown one (D12).
    Problem.MISSING_GRANT_TYPE: CmnEntry(400, "CMN_90007", "Invalid grant type"),
    # A grant the client may not use is the platform's "may not": 403 (spec section 4).
    Problem.GRANT_NOT_ALLOWED: CmnEntry(403, "CMN_90006", "Not authorized to access this resource"),
    Problem.INVALID_TRANSACTION_ID: CmnEntry(400, "CMN_90008", "Header transactionId is invalid"),
    Problem.INVALID_REQUEST: CmnEntry(400, "CMN_90011", "Request is invalid"),
    # Neither edition has a code for an unknown path or a wrong method; "request is
    # invalid" is the closest, and keeps every error body in the CMN shape (D17).
    Problem.NOT_FOUND: CmnEntry(404, "CMN_90011", "Request is invalid: no such resource"),
    Problem.METHOD_NOT_ALLOWED: CmnEntry(
        405, "CMN_90011", "Request is invalid: method not allowed"
    ),
    Problem.INVALID_USERNAME: CmnEntry(400, "CMN_90013", "Username is invalid"),
    Problem.INVALID_PASSWORD: CmnEntry(400, "CMN_90014", "Password is invalid"),
    Problem.INVALID_USER_CREDENTIALS: CmnEntry(401, "CMN_90015", "Invalid user credentials"),
    Problem.NON_PRINTABLE: CmnEntry(
        400, "CMN_90017", "Request contains non printable ASCII characters"
    ),
    Problem.QUOTA: CmnEntry(500, "CMN_90002", "Quota limit violation"),
    Problem.SPIKE_ARREST: CmnEntry(500, "CMN_90003", "Spike limit violation"),
}

# What differs between the platform's editions (spec section 4).
_BY_EDITION: dict[Edition, dict[Problem, CmnEntry]] = {
    "1.3.1": {
        Problem.INVALID_CLIENT: CmnEntry(401, "CMN_90004", "Invalid client credentials"),
        Problem.INVALID_SCOPES: CmnEntry(400, "CMN_90012", "Request is invalid - Scopes"),
        Problem.INVALID_TOKEN: CmnEntry(401, "CMN_90018", "Invalid token"),
    },
    "1.11.0": {
        Problem.INVALID_CLIENT: CmnEntry(401, "CMN_90004", "Invalid credentials"),
        Problem.INVALID_SCOPES: CmnEntry(400, "CMN_90012", "Request is invalid"),
        # 1.11.0 dropped CMN_90018 and reports invalid tokens as CMN_90016 / 400.
        Problem.INVALID_TOKEN: CmnEntry(400, "CMN_90016", "Invalid token"),
    },
}


def check_edition(edition: str) -> Edition:
    """The edition if it is known; ValueError otherwise."""
    for known in EDITIONS:
        if edition == known:
            return known
    raise ValueError(f"unknown edition {edition!r}; expected one of {', '.join(EDITIONS)}")


def cmn_entry(edition: Edition, problem: Problem) -> CmnEntry:
    """The row of a platform edition's table for a problem."""
    return _BY_EDITION[edition].get(problem) or _SHARED[problem]


@dataclass(frozen=True)
class RfcEntry:
    """How edition "rfc6749" reports a problem: status, `error`, `error_description`."""

    status: int
    error: str
    description: str


# RFC 6749 5.2: every error is 400 except invalid_client, which is 401 when the client
# tried the Authorization header; this server only takes Basic, so it is always 401.
# 404, 405 and 500 are outside 5.2: their codes are deliberately none of its six, so
# an answer to a wrong path or method is never mistaken for a token-endpoint error.
_RFC: dict[Problem, RfcEntry] = {
    Problem.INTERNAL: RfcEntry(500, "server_error", "Internal server error"),
    Problem.INVALID_CLIENT: RfcEntry(401, "invalid_client", "Client authentication failed"),
    Problem.INVALID_INSTITUTION: RfcEntry(400, "invalid_request", "The request is invalid"),
    Problem.FORBIDDEN: RfcEntry(403, "access_denied", "Not authorized to access this resource"),
    Problem.INVALID_GRANT_TYPE: RfcEntry(
        400, "unsupported_grant_type", "The grant type is not supported"
    ),
    Problem.MISSING_GRANT_TYPE: RfcEntry(
        400, "invalid_request", "The grant_type parameter is required"
    ),
    Problem.GRANT_NOT_ALLOWED: RfcEntry(
        400, "unauthorized_client", "The client is not authorized to use this grant type"
    ),
    Problem.INVALID_TRANSACTION_ID: RfcEntry(400, "invalid_request", "The request is invalid"),
    Problem.INVALID_REQUEST: RfcEntry(400, "invalid_request", "The request is invalid"),
    Problem.NOT_FOUND: RfcEntry(404, "not_found", "No such resource"),
    Problem.METHOD_NOT_ALLOWED: RfcEntry(405, "method_not_allowed", "Method not allowed"),
    Problem.INVALID_SCOPES: RfcEntry(
        400, "invalid_scope", "The requested scope is invalid, unknown or exceeds the scope granted"
    ),
    Problem.INVALID_USERNAME: RfcEntry(400, "invalid_request", "The request is invalid"),
    Problem.INVALID_PASSWORD: RfcEntry(400, "invalid_request", "The request is invalid"),
    Problem.INVALID_USER_CREDENTIALS: RfcEntry(
        400, "invalid_grant", "The resource owner credentials are invalid"
    ),
    Problem.NON_PRINTABLE: RfcEntry(
        400, "invalid_request", "The request contains non printable ASCII characters"
    ),
    Problem.INVALID_TOKEN: RfcEntry(
        400,
        "invalid_grant",
        "The authorization grant or refresh token is invalid, expired, revoked, "
        "or was issued to another client",
    ),
    # RFC 6585 4's status; 6749 has no code for it, 4.1.2.1's is the closest.
    Problem.QUOTA: RfcEntry(429, "temporarily_unavailable", "Too many requests: quota spent"),
    Problem.SPIKE_ARREST: RfcEntry(429, "temporarily_unavailable", "Too many requests"),
}

# RFC 6749 5.2 (Appendix A.7, A.8): the characters error and error_description may use.
RFC_ERROR_TEXT = re.compile(r"[\x20-\x21\x23-\x5B\x5D-\x7E]+")


def rfc_entry(problem: Problem) -> RfcEntry:
    """How edition "rfc6749" reports a problem."""
    return _RFC[problem]


class ApiError(Exception):
    """A request failed a rule; rendered through the edition's CMN table.

    `detail` is fixed text chosen by the server, never a value from the request, so an
    error body cannot reflect attacker-controlled input. `status` overrides the
    table's status; only faults use it.
    """

    def __init__(
        self,
        problem: Problem,
        detail: str | None = None,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        challenge: bool = True,
    ) -> None:
        super().__init__(problem.name if detail is None else f"{problem.name}: {detail}")
        self.problem = problem
        self.detail = detail
        self.status = status
        self.headers = dict(headers or {})
        # Whether a 401 gets the Basic challenge; only the rfc-no-auth-401-without-challenge
        # fault turns it off.
        self.challenge = challenge


def render_error(
    error: ApiError, edition: Edition, faults: frozenset[str] = frozenset()
) -> Response:
    """The HTTP response for an error: JSON `{code, message}` (D17), or in edition
    "rfc6749" JSON `{error, error_description}` (RFC 6749 5.2).

    `faults` is the app's set; those about error bodies apply here:
    `error-body-plain-text` (400s answer `Bad Request` as text/plain instead),
    `rfc-invalid-client-text-plain`, `rfc-error-description-non-ascii`,
    `rfc-own-error-code` and `scopes-error-403`.
    """
    if edition == RFC6749:
        return _render_rfc_error(error, faults)
    entry = cmn_entry(edition, error.problem)
    status = error.status or entry.status
    if error.problem is Problem.INVALID_SCOPES and "scopes-error-403" in faults:
        status = 403  # the bug under test: CMN_90012 is a 400 in both editions
    headers = _headers(error, status)
    if status == 400 and "error-body-plain-text" in faults:
        return PlainTextResponse("Bad Request", status_code=status, headers=headers)
    message = entry.message if error.detail is None else f"{entry.message}: {error.detail}"
    return JSONResponse({"code": entry.code, "message": message}, status, headers)


def _headers(error: ApiError, status: int) -> dict[str, str]:
    headers = dict(error.headers)
    if status == 401 and error.challenge:
        headers.setdefault("WWW-Authenticate", BASIC_CHALLENGE)
    return headers


def _render_rfc_error(error: ApiError, faults: frozenset[str]) -> Response:
    entry = rfc_entry(error.problem)
    status = error.status or entry.status
    headers = _headers(error, status)
    if status == 400 and "error-body-plain-text" in faults:
        return PlainTextResponse("Bad Request", status_code=status, headers=headers)
    description = entry.description
    if error.detail is not None and RFC_ERROR_TEXT.fullmatch(error.detail):
        description = f"{description}: {error.detail}"
    if "rfc-error-description-non-ascii" in faults:
        description = f"{description} \u2014 see the server\u2019s documentation"
    code = entry.error
    if "rfc-own-error-code" in faults and (error.detail or "").startswith("Content-Type"):
        code = "unsupported_content_type"  # the bug under test: a code 5.2 does not define
    body = {"error": code, "error_description": description}
    if status == 401 and "rfc-invalid-client-text-plain" in faults:
        text = json.dumps(body)
        return Response(text, status_code=status, headers=headers, media_type="text/plain")
    return JSONResponse(body, status, headers)
