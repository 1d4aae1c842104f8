"""Named faults: small, deliberate breakages of the reference target.

Each fault breaks exactly one requirement and leaves everything else as the clean
target does it, so the suite's own tests can show that every check fails against its
fault and passes against the clean target. Handler faults act on the token endpoint
(and the revocation faults on the revocation endpoint) only; the transactionId and
error-body faults act on every response.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """A named breakage of one requirement."""

    name: str
    requirement: str
    description: str
    # True when only generated input (the property-based phase) meets the faulty path.
    generated_input: bool = False


_FAULT_LIST: tuple[Fault, ...] = (
    Fault(
        "txid-missing-on-errors", "TXID-PRESENT", "Error responses carry no transactionId header."
    ),
    Fault(
        "txid-not-echoed",
        "TXID-ECHO",
        "Responses carry a fresh UUID instead of the request's transactionId.",
    ),
    Fault(
        "txid-optional",
        "TXID-REQUIRED",
        "A token request without transactionId is processed normally.",
    ),
    Fault(
        "txid-shared-variable",
        "TXID-CONCURRENT",
        "The transactionId goes through a shared variable, so concurrent responses mix ids.",
    ),
    Fault("institution-optional", "INST-REQUIRED", "A missing institutionId is accepted."),
    Fault(
        "institution-unchecked",
        "INST-INVALID",
        "Any institutionId value is accepted (a missing one is still rejected).",
    ),
    Fault(
        "auth-missing-400",
        "AUTH-MISSING",
        "A request without Authorization gets 400 CMN_90004 instead of 401.",
    ),
    Fault(
        "auth-malformed-400",
        "AUTH-MALFORMED",
        "A malformed Authorization header gets 400 CMN_90004 instead of 401.",
    ),
    Fault(
        "secret-not-checked",
        "AUTH-WRONG-SECRET",
        "A known client with a wrong secret is authenticated.",
    ),
    Fault(
        "unknown-client-403",
        "AUTH-UNKNOWN-CLIENT",
        "An unknown client id gets 403 CMN_90006 instead of 401.",
    ),
    Fault(
        "basic-not-urldecoded",
        "AUTH-SPECIAL-CHARS",
        "Basic credentials are compared without form-urldecoding them.",
    ),
    Fault(
        "grant-missing-defaults",
        "GRANT-MISSING",
        "A missing grant_type is treated as client_credentials.",
    ),
    Fault(
        "grant-unsupported-403",
        "GRANT-UNSUPPORTED",
        "An unsupported grant_type gets 403 CMN_90007 instead of 400.",
    ),
    Fault(
        "json-body-accepted",
        "BODY-NOT-FORM",
        "An application/json body is parsed as the parameters and honoured.",
    ),
    Fault(
        "get-issues-token",
        "METHOD-NOT-POST",
        "GET with query parameters is processed like POST and issues tokens.",
    ),
    Fault(
        "password-field-optional",
        "PASSWORD-FIELDS-REQUIRED",
        "A password grant without the password field issues a token for the named user.",
    ),
    Fault(
        "code-field-optional",
        "CODE-FIELD-REQUIRED",
        "An authorization_code grant without code issues a token.",
    ),
    Fault(
        "refresh-field-optional",
        "REFRESH-FIELD-REQUIRED",
        "A refresh_token grant without refresh_token issues a token.",
    ),
    Fault(
        "client-credentials-broken",
        "CC-SUCCESS",
        "Valid client_credentials requests get 403 CMN_90006.",
    ),
    Fault(
        "password-grant-broken", "PASSWORD-SUCCESS", "Valid password requests get 401 CMN_90015."
    ),
    Fault(
        "code-exchange-broken", "CODE-SUCCESS", "Valid code exchanges get the invalid-token error."
    ),
    Fault(
        "refresh-grant-broken",
        "REFRESH-SUCCESS",
        "Valid refresh requests get the invalid-token error.",
    ),
    Fault("token-type-mac", "RESP-TOKEN-TYPE", "token_type is 'mac'."),
    Fault(
        "expires-in-suffixed", "RESP-EXPIRES-IN", "expires_in carries a unit suffix, e.g. '3600s'."
    ),
    Fault(
        "client-credentials-refresh-token",
        "CC-NO-REFRESH",
        "client_credentials also returns a refresh_token.",
    ),
    Fault(
        "password-no-refresh-token",
        "PASSWORD-REFRESH",
        "The password grant returns no refresh_token.",
    ),
    Fault(
        "no-cache-control",
        "RESP-CACHE-CONTROL",
        "200 token responses carry no Cache-Control header.",
    ),
    Fault(
        "token-content-type-text",
        "RESP-CONTENT-TYPE",
        "200 token responses are labelled text/plain (the body is still JSON text).",
    ),
    Fault(
        "access-token-reused",
        "TOKEN-UNIQUE",
        "client_credentials returns the same cached access token for a client.",
    ),
    Fault(
        "success-echoes-client-secret",
        "SECRET-NOT-ECHOED",
        "200 token responses include the client's secret.",
    ),
    Fault(
        "error-body-plain-text",
        "ERR-BODY-SHAPE",
        "400 responses have the text/plain body 'Bad Request'.",
    ),
    Fault(
        "invalid-txid-500",
        "NO-5XX",
        "A transactionId that is not a UUID gets 500 CMN_90000 instead of 400.",
    ),
    Fault(
        "password-not-checked", "PASSWORD-WRONG", "A known user with a wrong password gets tokens."
    ),
    Fault(
        "unknown-user-accepted",
        "PASSWORD-UNKNOWN-USER",
        "An unknown username gets tokens (wrong passwords of known users are rejected).",
    ),
    Fault(
        "refresh-not-rotated",
        "REFRESH-ROTATES",
        "The refresh grant returns the same refresh token, which stays valid.",
    ),
    Fault(
        "rotated-refresh-still-valid",
        "REFRESH-REUSE",
        "The refresh grant issues a new refresh token but the old one stays valid.",
    ),
    Fault(
        "unknown-refresh-accepted",
        "REFRESH-UNKNOWN",
        "A refresh token the server never issued gets tokens.",
    ),
    Fault(
        "refresh-not-bound-to-client",
        "REFRESH-FOREIGN",
        "A refresh token issued to another client is accepted.",
    ),
    Fault("revoke-noop", "REFRESH-REVOKED", "Revocation answers 204 but revokes nothing."),
    Fault("revoke-rejects", "REVOKE-SUCCESS", "Valid revocation requests get 400 CMN_90011."),
    Fault("code-reusable", "CODE-REUSE", "Authorization codes can be exchanged more than once."),
    Fault(
        "invalid-code-accepted",
        "CODE-INVALID",
        "A code that was never issued gets tokens (issued codes stay single use).",
    ),
    Fault(
        "grant-restrictions-ignored",
        "CLIENT-GRANT-FORBIDDEN",
        "Clients may use grants they are not allowed.",
    ),
    Fault(
        "txid-reflected",
        "TXID-NOT-REFLECTED",
        "An invalid transactionId is copied verbatim into the response header.",
        generated_input=True,
    ),
    Fault(
        "audit-log-ascii",
        "NO-5XX",
        "A token request that succeeds with a parameter name or value outside ASCII gets "
        "500 CMN_90000: the parameters go to an ASCII-only audit log after the tokens are "
        "issued.",
        generated_input=True,
    ),
    Fault(
        "code-blank-accepted",
        "SCHEMA-NEGATIVE-REJECTED",
        "An authorization_code request with an empty code (code=) gets a client-level "
        "token: the field's presence is checked, not its value.",
        generated_input=True,
    ),
)

FAULTS: dict[str, Fault] = {fault.name: fault for fault in _FAULT_LIST}
"""Every fault the reference target knows, by name."""


def parse_faults(names: Iterable[str] | str) -> frozenset[str]:
    """Validate fault names; a single string may list several, comma-separated.

    Raises ValueError naming the unknown fault and the closest known one.
    """
    if isinstance(names, str):
        names = names.split(",")
    chosen: set[str] = set()
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        if name not in FAULTS:
            raise ValueError(_unknown_fault_message(name))
        chosen.add(name)
    return frozenset(chosen)


def _unknown_fault_message(name: str) -> str:
    close = difflib.get_close_matches(name, list(FAULTS), n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known faults: {', '.join(sorted(FAULTS))}"
    return f"unknown fault {name!r}; {hint}"
