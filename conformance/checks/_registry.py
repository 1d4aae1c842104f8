"""The check registry: one pure function per requirement id.

A check reads recorded exchanges and raises `Failure` (the target broke the rule) or
`Skipped` (nothing to judge, with the reason). It sends nothing. The caller decides
what a failure means (MUST fails the run, SHOULD warns), so checks do not know levels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from conformance.contract import Contract
from conformance.errors import Failure, Skipped
from conformance.exchange import Exchange

ALL = ("*",)


@dataclass(frozen=True)
class CheckContext:
    """What a check may know besides the exchanges."""

    requirement_id: str
    edition: str
    contract: Contract
    secrets: tuple[str, ...] = field(default=(), repr=False)
    strict_typing: bool = False

    def fail(
        self, title: str, expected: str, received: str, exchange: Exchange | None = None
    ) -> Failure:
        """The Failure of this requirement; `exchange` is the evidence shown first."""
        failure = Failure(self.requirement_id, title, expected, received)
        failure.exchange = exchange
        return failure


CheckFunction = Callable[[Sequence[Exchange], CheckContext], None]


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
    """Decorator form of `register`."""

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


def outcome(exchange: Exchange) -> str:
    """How an exchange ended, for a `Received:` line (no bodies: they may hold secrets)."""
    if exchange.response is None:
        return f"no HTTP answer ({exchange.transport_error})"
    body = exchange.body_object()
    code = f", code {body.get('code')}" if body and "code" in body else ""
    token = ", with an access_token" if exchange.issued_token() else ""
    return f"HTTP {exchange.response.status}{code}{token} ({exchange.scenario}/{exchange.label})"
