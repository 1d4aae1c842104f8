"""Schemathesis' verdicts on the phase's exchanges: its built-in checks and ours.

The suite sends every generated case itself, so schemathesis never sees a response of
its own: `verdicts` rebuilds one from the recorded exchange and runs the checks on it
through `Case.validate_response`. Each failing check becomes a note on the exchange,
`schemathesis:<check>: <title>`, which SCHEMA-RESPONSE-CONFORMS reads.

Our checks are `@schemathesis.check` functions that delegate to the project's own pure
checks: a schemathesis check sees only (ctx, response, case), so the exchange being
judged travels in a context variable set around the validation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import requests
import schemathesis
from schemathesis import Case, CheckContext, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure as SchemathesisFailure
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conformance.checks import CHECKS
from conformance.checks import CheckContext as SuiteContext
from conformance.contract import Contract
from conformance.errors import Failure, Skipped
from conformance.exchange import Exchange, Finding

PROBLEM_LIMIT = 300  # a finding names the problem; the evidence shows the rest


@dataclass(frozen=True)
class Judging:
    """What our schemathesis checks need besides the response: the exchange and the run."""

    exchange: Exchange
    edition: str
    contract: Contract
    secrets: tuple[str, ...]

    def context(self, requirement_id: str) -> SuiteContext:
        return SuiteContext(requirement_id, self.edition, self.contract, self.secrets)


_JUDGING: ContextVar[Judging | None] = ContextVar("conformance_judging", default=None)


@contextmanager
def judging(current: Judging) -> Iterator[None]:
    token = _JUDGING.set(current)
    try:
        yield
    finally:
        _JUDGING.reset(token)


def _delegate(requirement_id: str) -> None:
    """Run the project's check of `requirement_id` on the exchange being judged."""
    current = _JUDGING.get()
    if current is None:  # called outside `verdicts` (e.g. a plain schemathesis run)
        return
    try:
        CHECKS[requirement_id].function([current.exchange], current.context(requirement_id))
    except Skipped:
        return
    except Failure as failure:
        raise AssertionError(f"{requirement_id}: {failure.title}") from None


@schemathesis.check
def transaction_id_echoed(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """The response's transactionId equals the valid one its request carried (D2); one
    carrying the id of a request in flight beside it is D23's (see TXID-ECHO)."""
    _delegate("TXID-ECHO")
    return None


@schemathesis.check
def cache_control_no_store(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """A 200 carries Cache-Control: no-store (D9)."""
    _delegate("RESP-CACHE-CONTROL")
    return None


@schemathesis.check
def error_body_cmn(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """An error body is {code, message} with a CMN code the edition gives its status (D17)."""
    _delegate("ERR-BODY-SHAPE")
    current = _JUDGING.get()
    if current is None or current.exchange.operation != "token":
        return None
    status = response.status_code
    body = current.exchange.body_object() or {}
    code = body.get("code")
    documented = {
        c.code
        for c in current.contract.error_codes
        if status in c.status_by_edition.get(current.edition, [])
    }
    # Statuses no CMN code has are status_code_conformance's to judge, not this check's.
    if documented and isinstance(code, str) and code not in documented:
        raise AssertionError(
            f"{code} with HTTP {status}: edition {current.edition} gives HTTP {status} "
            f"only to {', '.join(sorted(documented))}"
        )
    return None


@schemathesis.check
def secret_not_echoed(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """No response carries the client secret or the user's password (D18)."""
    _delegate("SECRET-NOT-ECHOED")
    return None


# Built-ins that judge one response against the document. Not positive_data_acceptance or
# negative_data_rejection (the phase judges acceptance by its own rule, see schema_cases),
# nor checks that send requests of their own (the sender is the only one that sends).
CHECK_FUNCTIONS: tuple[Callable[[CheckContext, Response, Case[Any]], bool | None], ...] = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    transaction_id_echoed,
    cache_control_no_store,
    error_body_cmn,
    secret_not_echoed,
)


def as_response(exchange: Exchange) -> Response:
    """The recorded response as schemathesis' `Response`. Its request is the method and
    URL only: the checks here read nothing else, a message cannot carry the credentials
    or the body, and a header the suite sent malformed on purpose cannot trip `requests`."""
    recorded = exchange.response
    assert recorded is not None
    headers: dict[str, list[str]] = {}
    for name, value in recorded.headers:
        headers.setdefault(name.lower(), []).append(value)
    request = requests.Request(exchange.request.method, exchange.request.url)
    return Response(
        status_code=recorded.status,
        headers=headers,
        content=recorded.body,
        request=request.prepare(),
        elapsed=recorded.elapsed_ms / 1000,
        verify=True,
    )


def _run(case: Case[Any], response: Response, checks: list[Any]) -> list[Any]:
    try:
        case.validate_response(response, checks=checks)
    except FailureGroup as group:
        return list(group.exceptions)
    except (SchemathesisFailure, AssertionError) as failure:
        return [failure]
    return []


def verdicts(case: Case[Any], exchange: Exchange, current: Judging) -> tuple[Finding, ...]:
    """One finding per failing check."""
    if exchange.response is None:
        return ()
    response = as_response(exchange)
    with judging(current):
        # All at once first: failures are rare, and one by one costs nine validations.
        if not _run(case, response, list(CHECK_FUNCTIONS)):
            return ()
        return tuple(
            _finding(check.__name__, failure)
            for check in CHECK_FUNCTIONS
            for failure in _run(case, response, [check])
        )


def _finding(name: str, failure: BaseException) -> Finding:
    """The check and `<title>: <message on one line>`. Not yet redacted or cut: the
    caller redacts first, so a cut never leaves half a token unmasked."""
    title = getattr(failure, "title", "") or ""
    if title.startswith("Custom check failed"):
        title = ""  # ours: the check's name already says it
    message = getattr(failure, "message", None)
    detail = " ".join((message if isinstance(message, str) else str(failure)).split())
    text = ": ".join(part for part in (title, detail) if part)
    return Finding(name, text)
