"""Scenarios: the requests the suite sends, each a short named sequence.

A scenario sends through the run's `Sender` and returns what it recorded; checks then
judge the recordings. Scenarios never judge. Each exchange carries the grant it
exercised and, where the contract documents the exact answer, the requirement whose
expectation applies (`expects`), for the ERR-CODE check.

One registry serves both contracts (`base`); the scenarios are grouped by topic:
`grants` (valid requests and the lifecycles they start), `refused_grants` (a grant's
bad fields and tokens), `client_auth`, `correlation` (the platform's transactionId and
institutionId headers), `request_hygiene` (grant_type, body, method, parameters),
`security` (what only the security findings read).
Importing this package registers them all.
"""

from __future__ import annotations

from conformance.scenarios import (  # noqa: F401 - importing registers the scenarios
    client_auth,
    correlation,
    grants,
    refused_grants,
    request_hygiene,
    security,
)
from conformance.scenarios.base import (
    SCENARIOS,
    Scenario,
    cc_form,
    password_form,
    random_value,
    refresh_token_of,
    scenario,
)
from conformance.vocabulary import CC, CODE, PW, RT, UNKNOWN_SCOPE

__all__ = [
    "CC",
    "CODE",
    "PW",
    "RT",
    "SCENARIOS",
    "UNKNOWN_SCOPE",
    "Scenario",
    "cc_form",
    "password_form",
    "random_value",
    "refresh_token_of",
    "scenario",
]
