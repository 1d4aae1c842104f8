"""The CMN error table of each edition and the error responses built from it.

Handlers raise `ApiError(Problem.X)`; the edition's table turns the problem into a
status, a CMN code and a message (spec section 4, D17). Keeping the table in one
place means a handler never spells a code or a status itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, auto
from typing import Literal

from starlette.responses import JSONResponse, PlainTextResponse, Response

Edition = Literal["1.3.1", "1.11.0"]
EDITIONS: tuple[Edition, ...] = ("1.3.1", "1.11.0")

# RFC 7235 3.1: a 401 carries a challenge; D11 asks for it on client-auth failures.
BASIC_CHALLENGE = 'Basic realm="token"'


class Problem(Enum):
    """Why a request failed, independent of how an edition reports it."""

    INTERNAL = auto()
    INVALID_CLIENT = auto()
    INVALID_INSTITUTION = auto()
    FORBIDDEN = auto()
    INVALID_GRANT_TYPE = auto()
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
}

# What differs between the editions (spec section 4).
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
    """The row of this edition's table for a problem."""
    return _BY_EDITION[edition].get(problem) or _SHARED[problem]


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
    ) -> None:
        super().__init__(problem.name if detail is None else f"{problem.name}: {detail}")
        self.problem = problem
        self.detail = detail
        self.status = status
        self.headers = dict(headers or {})


def render_error(error: ApiError, edition: Edition, *, plain_400: bool = False) -> Response:
    """The HTTP response for an error: JSON `{code, message}` (D17).

    `plain_400` is the `error-body-plain-text` fault: 400s answer `Bad Request` as
    text/plain instead, all else unchanged.
    """
    entry = cmn_entry(edition, error.problem)
    status = error.status or entry.status
    headers = dict(error.headers)
    if status == 401:
        headers.setdefault("WWW-Authenticate", BASIC_CHALLENGE)
    if status == 400 and plain_400:
        return PlainTextResponse("Bad Request", status_code=status, headers=headers)
    message = entry.message if error.detail is None else f"{entry.message}: {error.detail}"
    return JSONResponse({"code": entry.code, "message": message}, status, headers)
