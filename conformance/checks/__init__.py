"""Checks: pure functions over recorded exchanges, one per requirement id.

One set of checks serves both contracts, the platform's (specs/contract.toml) and RFC
6749's (specs/rfc6749.toml): a rule they share is one function registered under each
contract's requirement id, and what differs between them is data read from the
`CheckContext` (its contract, edition, `family`). Grouped by topic: `success` (what a
valid request gets), `lifecycle` (refresh, rotation, revocation), `refusals` (what the
target must refuse), `client_auth`, `responses` (token response shape, rules over every
answer), `caching`, `error_bodies`, `correlation` (transactionId), `generated` and
`schema` (what only the property-based phase gives to judge), and `security` (the
security findings of specs/security.toml). Importing this package
registers them all.
"""

from __future__ import annotations

from conformance.checks import (  # noqa: F401 - importing registers the checks
    caching,
    client_auth,
    correlation,
    error_bodies,
    generated,
    lifecycle,
    refusals,
    responses,
    schema,
    security,
    success,
)
from conformance.checks._registry import ALL, CHECKS, Check, CheckContext, check, register

__all__ = ["ALL", "CHECKS", "Check", "CheckContext", "check", "register"]
