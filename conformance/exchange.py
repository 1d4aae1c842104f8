"""What the suite records: one request and what came back (or why nothing did).

Exchanges hold raw values in memory only. Checks read them raw (they must compare
tokens); anything that leaves memory goes through `conformance.redact` first.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, TypeGuard

ANONYMOUS = ""  # in `Exchange.beside`: a request that carried no valid transactionId


def valid_transaction_id(value: object) -> TypeGuard[str]:
    """Whether `value` is a transactionId a target echoes (a UUID, 36 characters)."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _find_header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


@dataclass(frozen=True)
class RecordedRequest:
    """The request exactly as sent."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), or None."""
        return _find_header(self.headers, name)


@dataclass(frozen=True)
class RecordedResponse:
    """The response as received; `body` holds at most the configured number of bytes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    elapsed_ms: float
    truncated: bool = False

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), or None."""
        return _find_header(self.headers, name)

    def header_values(self, name: str) -> list[str]:
        """Every value of header `name` (case-insensitive)."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, lower-cased ('' when absent)."""
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not valid JSON."""
        if self.truncated:
            return None
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None


@dataclass(frozen=True)
class Finding:
    """One schemathesis check a generated exchange's response failed, and how."""

    check: str
    problem: str


@dataclass(frozen=True)
class Exchange:
    """One request of a scenario and its outcome.

    `grant` is the grant the request exercised (None when it has none), `label` says
    which step of the scenario it was, and `expects` names the requirement whose
    documented status and code apply to its answer (for ERR-CODE).
    """

    scenario: str
    label: str
    request: RecordedRequest
    response: RecordedResponse | None
    grant: str | None = None
    expects: str | None = None
    transport_error: str | None = None
    operation: str = "token"  # "token", "revoke" or "other" (a method the contract does not define)
    # A generated request labelled "negative": the required fields it broke as sent.
    violation: str | None = None
    # The schemathesis checks its response failed (the platform's rules inside them).
    findings: tuple[Finding, ...] = ()
    # transactionIds (lower case) of the requests in flight beside this one, "" for one
    # that carried no valid id (concurrency.InFlight): empty when it flew alone
    beside: frozenset[str] = frozenset()
    # Not an answer but back-pressure the retries could not outlast, as messages name
    # it ("HTTP 500 CMN_90003 (spike arrest)"); no check is handed such an exchange.
    back_pressure: str | None = None
    burst: bool = False  # sent in a burst released together (not paced, not retried)

    @property
    def status(self) -> int | None:
        return self.response.status if self.response else None

    @property
    def sent_transaction_id(self) -> str | None:
        return self.request.header("transactionId")

    def received_transaction_id(self) -> str:
        """The response's transactionId, stripped and lower-cased ('' when none)."""
        response = self.response
        return (response.header("transactionId") or "").strip().lower() if response else ""

    def crossed(self) -> bool:
        """Whether the response's transactionId may be another request's, in flight beside
        this one (cross-talk, D23, which only concurrent requests can show): the id of a
        request beside it, or any id while one beside it carried none the target could
        echo (the target made one up for it, which this response may carry)."""
        received = self.received_transaction_id()
        return bool(received) and (received in self.beside or ANONYMOUS in self.beside)

    def crossed_surely(self) -> bool:
        """Whether the response carries the transactionId of a request beside it: cross-talk
        for certain (D23), unless that request carried the very same id."""
        received = self.received_transaction_id()
        sent = (self.sent_transaction_id or "").strip().lower()
        return bool(received) and received != sent and received in self.beside

    def body_object(self) -> dict[str, Any] | None:
        """The response body when it is a JSON object, else None."""
        body = self.response.json() if self.response else None
        return body if isinstance(body, dict) else None

    def issued_token(self) -> bool:
        """True when the answer hands out a token: a 2xx with a non-empty access_token."""
        if self.response is None or not 200 <= self.response.status < 300:
            return False
        body = self.body_object()
        return bool(body and isinstance(body.get("access_token"), str) and body["access_token"])

    def is_success(self) -> bool:
        """A 200 answer to a token request."""
        return self.operation == "token" and self.status == 200

    def describe(self) -> str:
        """One line naming the request and its outcome, safe to show (no bodies)."""
        outcome = self.transport_error or f"HTTP {self.status}"
        return (
            f"{self.scenario}/{self.label}: {self.request.method} {self.request.url} -> {outcome}"
        )
