"""The check registry: one pure function per requirement id.

A check reads recorded exchanges and raises `Failure` (the target broke the rule) or
`Skipped` (nothing to judge, with the reason). It sends nothing. The caller decides
what a failure means (MUST fails the run, SHOULD warns), so checks do not know levels.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from conformance.contract import RFC6749, Contract
from conformance.errors import Failure, Skipped
from conformance.exchange import Exchange, RecordedResponse
from conformance.tls_posture import Transport
from conformance.vocabulary import PLATFORM

ALL = ("*",)


@dataclass(frozen=True)
class CheckContext:
    """What a check may know besides the exchanges."""

    requirement_id: str
    edition: str
    contract: Contract
    secrets: tuple[str, ...] = field(default=(), repr=False)
    strict_typing: bool = False
    transport: Transport | None = None  # the security findings' view of the target

    @property
    def family(self) -> str:
        """The contract judged: "rfc6749" (RFC 6749 alone) or "platform" (its editions)."""
        return RFC6749 if self.edition == RFC6749 else PLATFORM

    def named(self, platform_id: str, rfc6749_id: str) -> str:
        """Of a rule's two requirement ids, the one of the contract judged (for a reason
        that points at another requirement)."""
        return rfc6749_id if self.family == RFC6749 else platform_id

    def fail(
        self, title: str, expected: str, received: str, exchange: Exchange | None = None
    ) -> Failure:
        """The Failure of this requirement; `exchange` is the evidence shown first."""
        failure = Failure(self.requirement_id, title, expected, received)
        failure.exchange = exchange
        return failure


# A check returns None, or for a MAY requirement (information only) what it observed.
CheckFunction = Callable[[Sequence[Exchange], CheckContext], str | None]


@dataclass(frozen=True)
class Check:
    requirement_id: str
    function: CheckFunction
    uses: tuple[str, ...]  # scenario names, or ALL


CHECKS: dict[str, Check] = {}


def register(requirement_id: str, function: CheckFunction, uses: Sequence[str]) -> None:
    """Register `function` as the check of `requirement_id`; one check per requirement."""
    if requirement_id in CHECKS:
        raise ValueError(f"requirement {requirement_id} already has a check")
    CHECKS[requirement_id] = Check(requirement_id, function, tuple(uses))


def check(requirement_id: str, *, uses: Sequence[str]) -> Callable[[CheckFunction], CheckFunction]:
    """Decorator form of `register`. A rule both contracts share is one function with a
    decorator per contract's requirement id."""

    def decorate(function: CheckFunction) -> CheckFunction:
        register(requirement_id, function, uses)
        return function

    return decorate


def labelled(exchanges: Sequence[Exchange], label: str, reason: str) -> list[Exchange]:
    """The exchanges with `label`; Skipped(reason) when the scenario never got that far."""
    found = [e for e in exchanges if e.label == label]
    if not found:
        raise Skipped(reason)
    return found


def require_any(exchanges: Sequence[Exchange], reason: str) -> Sequence[Exchange]:
    """`exchanges` itself, or Skipped(reason) when there is nothing to judge."""
    if not exchanges:
        raise Skipped(reason)
    return exchanges


def ensure_each(
    exchanges: Sequence[Exchange],
    ctx: CheckContext,
    problem: Callable[[Exchange], str | None],
    *,
    unjudged: str,
    title: str,
    expected: str,
) -> None:
    """No exchange has a `problem`: the first that has one fails, `problem: outcome` as
    what was received; Skipped(`unjudged`) when there are none."""
    for exchange in require_any(exchanges, unjudged):
        found = problem(exchange)
        if found:
            raise ctx.fail(title, expected, f"{found}: {outcome(exchange)}", exchange=exchange)


def token_answers(exchanges: Sequence[Exchange], ctx: CheckContext) -> list[Exchange]:
    """The answers a contract's rules on token responses speak of: under RFC 6749 every
    answer holding a token (5.1); on the platform every 200 to a token request."""
    if ctx.family == RFC6749:
        return [e for e in exchanges if e.issued_token()]
    return [e for e in exchanges if e.is_success()]


def error_of(exchange: Exchange) -> str | None:
    """The `error` member (RFC 6749 5.2) of a JSON object answer, when it is a string."""
    value = (exchange.body_object() or {}).get("error")
    return value if isinstance(value, str) else None


def outcome(exchange: Exchange) -> str:
    """How an exchange ended, for a `Received:` line (no bodies: they may hold secrets)."""
    if exchange.response is None:
        return f"no HTTP answer ({exchange.transport_error})"
    response = exchange.response
    body = exchange.body_object()
    if body is None:
        said = _body_shape(response)
    else:
        said = f", code {body.get('code')}" if "code" in body else ""
        if "error" in body and not said:  # an RFC 6749 5.2 error body
            said = f", error {_shorten(str(body['error']), 60)}"
    location = response.header("location")
    if 300 <= response.status < 400 and location:  # the sender never follows one
        said += f", a redirect to {_shorten(location)} (not followed)"
    token = ", with an access_token" if exchange.issued_token() else ""
    return f"HTTP {response.status}{said}{token} ({exchange.scenario}/{exchange.label})"


def _body_shape(response: RecordedResponse) -> str:
    """What a body that is not a JSON object is instead ('' when there is none)."""
    if response.truncated:
        return f", a body cut off after {len(response.body)} bytes (max_response_bytes)"
    if not response.body:
        return ""
    try:
        value = json.loads(response.body.decode("utf-8"))
    except UnicodeDecodeError:
        return ", a body that is not UTF-8"
    except ValueError:
        return ", a body that is not JSON"
    kind = next(name for types, name in _JSON_KINDS if isinstance(value, types))
    return f", a JSON {kind} instead of an object"


_JSON_KINDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (list, "array"),
    (str, "string"),
    (bool, "boolean"),  # before number: a bool is an int too
    ((int, float), "number"),
    (type(None), "null"),
)


def _shorten(text: str, limit: int = 200) -> str:
    """`text` quoted, cut to `limit` characters: the target chose it, and may make it huge."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
