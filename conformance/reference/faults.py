"""Named faults: small, deliberate breakages of the reference target.

Each fault breaks exactly one requirement and leaves everything else as the clean
target does it, so the suite's own tests can show that every check fails against its
fault and passes against the clean target. Handler faults act on the token endpoint
(and the revocation faults on the revocation endpoint) only; the transactionId and
error-body faults act on every response.

Two kinds: platform faults (`requirement` names the platform contract's requirement
they break in editions 1.3.1 and 1.11.0; they may be used in edition "rfc6749" too,
where `rfc6749` names the RFC 6749 requirement they break there, if exactly one) and
rfc6749-only faults (`requirement` None, names starting `rfc-`), which the app accepts
only in edition "rfc6749".
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """A named breakage of one requirement."""

    name: str
    # The platform requirement broken in editions 1.3.1 and 1.11.0; None: an
    # rfc6749-only fault.
    requirement: str | None
    description: str
    # True when only generated input (the property-based phase) meets the faulty path.
    generated_input: bool = False
    # Platform requirements the breakage entails (a secret never checked is also never
    # compared whole): they fail with `requirement`, and no others do.
    also: tuple[str, ...] = ()
    # The requirement of specs/rfc6749.toml broken when the reference serves edition
    # "rfc6749"; None when the fault does not break exactly one requirement there.
    rfc6749: str | None = None

    @property
    def rfc6749_only(self) -> bool:
        """Whether the fault exists only in edition "rfc6749"."""
        return self.requirement is None


_FAULT_LIST: tuple[Fault, ...] = (
    Fault(
        "txid-missing-on-errors", "TXID-PRESENT", "Error responses carry no transactionId header."
    ),
    Fault(
        "txid-missing-on-wrong-method",
        "TXID-PRESENT",
        "Answers to a method other than POST on the token path carry no transactionId.",
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
        # any value: another institution's too
        also=("INST-FOREIGN", "INST-FOREIGN-403"),
    ),
    Fault(
        "institution-membership-ignored",
        "INST-FOREIGN",
        "institutionId must name a known institution, but not the client's own: a client "
        "gets tokens for any institution.",
        also=("INST-FOREIGN-403",),  # a token is no 403 either
    ),
    Fault(
        "institution-foreign-401",
        "INST-FOREIGN-403",
        "An institutionId the client does not belong to gets 401 CMN_90004, as if the "
        "client had failed to authenticate, instead of 403.",
        also=("INST-FOREIGN",),  # the 401 D26 rules out
    ),
    Fault(
        "auth-missing-400",
        "AUTH-MISSING",
        "A request without Authorization gets 400 CMN_90004 instead of 401.",
        also=("ERR-CODE-STATUS",),  # CMN_90004 is documented as a 401
    ),
    Fault(
        "auth-malformed-400",
        "AUTH-MALFORMED",
        "A malformed Authorization header gets 400 CMN_90004 instead of 401.",
        also=("ERR-CODE-STATUS",),  # CMN_90004 is documented as a 401
        rfc6749="RFC-INVALID-CLIENT-401",  # a failed Basic authentication without its 401
    ),
    Fault(
        "secret-not-checked",
        "AUTH-WRONG-SECRET",
        "A known client with a wrong secret is authenticated.",
        also=("AUTH-CREDENTIALS-WHOLE",),
    ),
    Fault(
        "secret-prefix-compare",
        "AUTH-CREDENTIALS-WHOLE",
        "The client secret is compared over the length presented: an empty or truncated "
        "secret authenticates.",
    ),
    Fault(
        "unknown-client-403",
        "AUTH-UNKNOWN-CLIENT",
        "An unknown client id gets 403 CMN_90006 instead of 401.",
        also=("AUTH-CREDENTIALS-WHOLE",),  # a near-miss client id is an unknown one
    ),
    Fault(
        "basic-not-urldecoded",
        "AUTH-SPECIAL-CHARS",
        "Basic credentials are compared without form-urldecoding them.",
        rfc6749="RFC-BASIC-ENCODING",
    ),
    Fault(
        "grant-missing-defaults",
        "GRANT-MISSING",
        "A missing grant_type is treated as client_credentials.",
        rfc6749="RFC-GRANT-TYPE-MISSING",
    ),
    Fault(
        "grant-unsupported-403",
        "GRANT-UNSUPPORTED",
        "An unsupported grant_type gets 403 CMN_90007 instead of 400.",
        also=("ERR-CODE-STATUS",),  # CMN_90007 is documented as a 400
    ),
    Fault(
        "query-params-accepted",
        "PARAMS-BODY-ONLY",
        "A POST whose parameters travel in the URL query is read from the query.",
    ),
    Fault(
        "json-body-accepted",
        "BODY-NOT-FORM",
        "An application/json body is parsed as the parameters and honoured.",
        rfc6749="RFC-BODY-FORM",
    ),
    Fault(
        "get-issues-token",
        "METHOD-NOT-POST",
        "GET with query parameters is processed like POST and issues tokens.",
        rfc6749="RFC-POST-ONLY",
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
        rfc6749="RFC-FIELD-MISSING",
    ),
    Fault(
        "refresh-field-optional",
        "REFRESH-FIELD-REQUIRED",
        "A refresh_token grant without refresh_token issues a token.",
        rfc6749="RFC-FIELD-MISSING",
    ),
    Fault(
        "client-credentials-broken",
        "CC-SUCCESS",
        "Valid client_credentials requests get 403 CMN_90006.",
    ),
    Fault(
        "password-grant-broken",
        "PASSWORD-SUCCESS",
        "Valid password requests get 403 CMN_90006.",
        rfc6749="RFC-PASSWORD-SUCCESS",
    ),
    Fault(
        "code-exchange-broken",
        "CODE-SUCCESS",
        "Valid code exchanges get the invalid-token error.",
        rfc6749="RFC-CODE-SUCCESS",
    ),
    Fault(
        "refresh-grant-broken",
        "REFRESH-SUCCESS",
        "Valid refresh requests get the invalid-token error.",
        also=("INST-OPTIONAL-REFRESH",),  # a refresh without institutionId fails as well
        rfc6749="RFC-REFRESH-SUCCESS",
    ),
    Fault("token-type-mac", "RESP-TOKEN-TYPE", "token_type is 'mac'."),
    Fault(
        "expires-in-suffixed",
        "RESP-EXPIRES-IN",
        "expires_in carries a unit suffix, e.g. '3600s'.",
        rfc6749="RFC-TOKEN-SYNTAX",
    ),
    Fault(
        "client-credentials-refresh-token",
        "CC-NO-REFRESH",
        "client_credentials also returns a refresh_token.",
        rfc6749="RFC-CC-NO-REFRESH",
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
        rfc6749="RFC-NO-STORE",
    ),
    Fault(
        "token-content-type-text",
        "RESP-CONTENT-TYPE",
        "200 token responses are labelled text/plain (the body is still JSON text).",
        rfc6749="RFC-SUCCESS-FIELDS",
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
        "password-not-checked",
        "PASSWORD-WRONG",
        "A known user with a wrong password gets tokens.",
        also=("PASSWORD-WHOLE",),  # a password never checked is never compared whole
        rfc6749="RFC-PASSWORD-WRONG",
    ),
    Fault(
        "unknown-user-accepted",
        "PASSWORD-UNKNOWN-USER",
        "An unknown username gets tokens (wrong passwords of known users are rejected).",
        also=("PASSWORD-USERNAME-WHOLE",),  # a case-changed name is an unknown one
    ),
    Fault(
        "username-case-insensitive",
        "PASSWORD-USERNAME-WHOLE",
        "User names are looked up without their letter case.",
    ),
    Fault(
        "password-prefix-compare",
        "PASSWORD-WHOLE",
        "The user's password is compared over the length presented: a truncated password logs in.",
    ),
    Fault(
        "txid-name-case-sensitive",
        "TXID-HEADER-CASE",
        "The transactionId header is looked up by its exact spelling: transactionid or "
        "TRANSACTIONID is not seen at all.",
    ),
    Fault(
        "header-name-case-sensitive",
        "HEADER-NAME-CASE",
        "institutionId, Authorization and Content-Type are looked up by their exact "
        "spelling: spelled in another case, they are not seen at all.",
    ),
    Fault(
        "institution-required-everywhere",
        "INST-OPTIONAL-REFRESH",
        "institutionId is required for every grant, refresh_token too: a refresh without "
        "it gets 400 CMN_90005.",
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
        rfc6749="RFC-INVALID-GRANT",
    ),
    Fault(
        "refresh-not-bound-to-client",
        "REFRESH-FOREIGN",
        "A refresh token issued to another client is accepted.",
        rfc6749="RFC-REFRESH-CLIENT-BOUND",
    ),
    Fault("revoke-noop", "REFRESH-REVOKED", "Revocation answers 204 but revokes nothing."),
    Fault("revoke-rejects", "REVOKE-SUCCESS", "Valid revocation requests get 400 CMN_90011."),
    Fault(
        "revoke-access-token-500",
        "NO-5XX",
        "Revoking an access token gets 500 CMN_90000: only refresh tokens are looked up "
        "(RFC 7009 2.1 lets the client send either); revoking a refresh token still works.",
    ),
    Fault(
        "code-not-client-bound",
        "CODE-CLIENT-BOUND",
        "An authorization code is exchanged for whichever client presents it.",
    ),
    Fault(
        "code-race",
        "CODE-CONCURRENT-SINGLE-USE",
        "A code is checked, then spent 50 ms later: exchanged twice in a row it is refused "
        "the second time, but exchanges arriving together all get tokens.",
    ),
    Fault(
        "refresh-race",
        "REFRESH-CONCURRENT-SINGLE-USE",
        "A refresh token is checked, then rotated out 50 ms later: used twice in a row it "
        "is refused the second time, but uses arriving together all get tokens.",
    ),
    Fault(
        "code-reusable",
        "CODE-REUSE",
        "Authorization codes can be exchanged more than once.",
        also=("CODE-CONCURRENT-SINGLE-USE",),  # reusable one after another, and together
        rfc6749="RFC-CODE-SINGLE-USE",
    ),
    Fault(
        "invalid-code-accepted",
        "CODE-INVALID",
        "A code that was never issued gets tokens (issued codes stay single use).",
        rfc6749="RFC-INVALID-GRANT",
    ),
    Fault(
        "grant-restrictions-ignored",
        "CLIENT-GRANT-FORBIDDEN",
        "Clients may use grants they are not allowed.",
        rfc6749="RFC-UNAUTHORIZED-CLIENT",
        also=("CLIENT-GRANT-FORBIDDEN-403",),  # a token is no 403 either
    ),
    Fault(
        "grant-forbidden-401",
        "CLIENT-GRANT-FORBIDDEN-403",
        "A client not allowed the grant gets 401 CMN_90004, as if it had failed to "
        "authenticate, instead of 403.",
        rfc6749="RFC-UNAUTHORIZED-CLIENT",
    ),
    Fault(
        "scopes-error-403",
        "ERR-CODE-STATUS",
        "A scope the client may not have gets CMN_90012 (documented as a 400) with 403.",
    ),
    Fault(
        "refresh-token-null",
        "RESP-FIELD-TYPES",
        'Answers without a refresh token carry "refresh_token": null instead of leaving it out.',
        rfc6749="RFC-TOKEN-SYNTAX",  # a null is no 1*VSCHAR
    ),
    Fault(
        "id-token-expired",
        "ID-TOKEN-CLAIMS",
        "The authorization_code grant's id_token has its exp before its iat.",
    ),
    # Security findings (specs/security.toml): judged beside the contract, failing only
    # under --security fail-on=..., so their faults are proven by tests/test_security_findings.py.
    Fault(
        "tokens-low-entropy",
        "SEC-TOKEN-ENTROPY",
        "Tokens and codes are a counter behind a fixed prefix: unique, but guessable.",
        also=("SEC-TOKEN-ENTROPY-160",),
    ),
    Fault(
        "code-reuse-keeps-tokens",
        "SEC-CODE-REUSE-REVOKES",
        "A reused authorization code is refused, but the tokens its first exchange issued "
        "keep working.",
    ),
    Fault(
        "refresh-without-client-auth",
        "AUTH-MISSING",  # D10, for the refresh grant; SEC-REFRESH-CLIENT-AUTH's finding too
        "A refresh request without an Authorization header is served for the client its "
        "refresh token was issued to.",
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
    # D20 and D31: inputs an independent implementation answered with a 500. The
    # property phase tries each class in every run (explicit examples), whatever the seed.
    Fault(
        "txid-uppercase-500",
        "NO-5XX",
        "A valid transactionId written in upper case gets 500 CMN_90000: it goes into a "
        "store that only takes the lower-case form (it is still echoed).",
        generated_input=True,
    ),
    Fault(
        "txid-long-500",
        "NO-5XX",
        "A transactionId longer than 256 characters gets 500 CMN_90000 instead of 400: it "
        "is logged to a 256-character column before it is validated.",
        generated_input=True,
    ),
    Fault(
        "username-non-ascii-500",
        "NO-5XX",
        "A password grant whose username is not ASCII gets 500 CMN_90000: the user is "
        "looked up through an ASCII-only directory query.",
        generated_input=True,
    ),
    Fault(
        "percent-escape-500",
        "NO-5XX",
        "A form body with a malformed %-escape ('%', '%G1') or one that decodes to invalid "
        "UTF-8 ('%e9') gets 500 CMN_90000 instead of 400: a hand-written decoder fails.",
        generated_input=True,
        rfc6749="RFC-NO-5XX",
    ),
    Fault(
        "large-body-500",
        "NO-5XX",
        "A body larger than 64 KiB gets 500 CMN_90000 instead of 400: it overflows the "
        "buffer it is read into.",
        generated_input=True,
        rfc6749="RFC-NO-5XX",
    ),
)

# Edition "rfc6749" only: each breaks one requirement of specs/rfc6749.toml as the
# rfc6749 profile judges it, and nothing else the profile sends meets the faulty path.
_RFC6749_FAULT_LIST: tuple[Fault, ...] = (
    Fault(
        "rfc-cc-broken",
        None,
        "client_credentials requests that carry no parameter besides grant_type and scope, "
        "from a client whose id form-urlencoding leaves unchanged, get 400 "
        "unauthorized_client (after the scope is checked); a request with a further "
        "parameter, or from a client whose id has special characters, still gets its token.",
        rfc6749="RFC-CC-SUCCESS",
    ),
    Fault(
        "rfc-no-pragma",
        None,
        "200 token responses carry no Pragma header (Cache-Control: no-store stays).",
        rfc6749="RFC-PRAGMA",
    ),
    Fault(
        "rfc-duplicate-json-member",
        None,
        "200 token responses name token_type twice in the JSON text (same value both times).",
        rfc6749="RFC-PARAMS-ONCE",
    ),
    Fault(
        "rfc-no-expires-in",
        None,
        "Token responses carry no expires_in.",
        rfc6749="RFC-EXPIRES-IN",
    ),
    Fault(
        "rfc-invalid-client-text-plain",
        None,
        "401 invalid_client answers are labelled text/plain; the body is still the JSON error "
        "text.",
        rfc6749="RFC-ERROR-BODY",
    ),
    Fault(
        "rfc-own-error-code",
        None,
        "A body that is not a form gets 400 with an error code of the server's own, "
        "unsupported_content_type, instead of invalid_request.",
        rfc6749="RFC-ERROR-CODE-KNOWN",
    ),
    Fault(
        "rfc-error-description-non-ascii",
        None,
        "error_description ends with non-ASCII text (an em dash and a typographic apostrophe).",
        rfc6749="RFC-ERROR-CHARSET",
    ),
    Fault(
        "rfc-spent-refresh-401",
        None,
        "A refresh token already rotated out gets 401 invalid_grant (with a Basic challenge) "
        "instead of 400; never-issued and other clients' refresh tokens still get 400.",
        rfc6749="RFC-ERROR-STATUS",
    ),
    Fault(
        "rfc-no-auth-invalid-request",
        None,
        "A request without an Authorization header gets 400 invalid_request instead of "
        "invalid_client.",
        rfc6749="RFC-INVALID-CLIENT",
    ),
    Fault(
        "rfc-invalid-client-400",
        None,
        "A failed Basic authentication (wrong secret, unknown client, malformed header) gets "
        "400 invalid_client without WWW-Authenticate; a missing header still gets 401.",
        rfc6749="RFC-INVALID-CLIENT-401",
    ),
    Fault(
        "rfc-malformed-basic-400",
        None,
        "A Basic header with unusable credentials (not base64, no ':', none at all) gets 400 "
        "invalid_client without WWW-Authenticate; a header of another scheme, a wrong secret "
        "and an unknown client keep 401 with the Basic challenge.",
        rfc6749="RFC-INVALID-CLIENT-401",
    ),
    Fault(
        "rfc-no-auth-401-without-challenge",
        None,
        "A request without an Authorization header gets 401 invalid_client with no "
        "WWW-Authenticate header; failed Basic authentications keep their challenge.",
        rfc6749="RFC-401-CHALLENGE",
    ),
    Fault(
        "rfc-two-auth-accepted",
        None,
        "A request with Basic credentials and client_secret in the body is served; the body's "
        "credentials are ignored.",
        rfc6749="RFC-ONE-AUTH-METHOD",
    ),
    Fault(
        "rfc-unsupported-grant-invalid-request",
        None,
        "An unknown grant_type gets 400 invalid_request instead of unsupported_grant_type.",
        rfc6749="RFC-UNSUPPORTED-GRANT",
    ),
    Fault(
        "rfc-repeated-param-first-wins",
        None,
        "A repeated body parameter is not refused: its first value is used.",
        rfc6749="RFC-PARAM-REPEATED",
    ),
    Fault(
        "rfc-unknown-param-rejected",
        None,
        "A token request with a parameter RFC 6749 does not define gets 400 invalid_request.",
        rfc6749="RFC-UNKNOWN-PARAM-IGNORED",
    ),
    Fault(
        "rfc-unknown-scope-dropped",
        None,
        "client_credentials and password requests: unknown scope values are dropped "
        "silently, and a response that grants less than was asked leaves scope out.",
        rfc6749="RFC-SCOPE-UNKNOWN",
    ),
    Fault(
        "rfc-refresh-scope-widened",
        None,
        "A refresh grants the scope it asks for, unchecked against the original grant or "
        "the client's scopes, and reports it in scope.",
        rfc6749="RFC-REFRESH-SCOPE-NOT-WIDER",
    ),
)

FAULTS: dict[str, Fault] = {fault.name: fault for fault in (*_FAULT_LIST, *_RFC6749_FAULT_LIST)}
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


def check_faults_for_edition(faults: frozenset[str], edition: str) -> None:
    """Refuse rfc6749-only faults in the platform's editions (ValueError)."""
    if edition == "rfc6749":
        return
    misplaced = sorted(name for name in faults if FAULTS[name].rfc6749_only)
    if misplaced:
        raise ValueError(
            f"fault {misplaced[0]!r} applies to edition 'rfc6749' only, not {edition!r}"
        )


def _unknown_fault_message(name: str) -> str:
    close = difflib.get_close_matches(name, list(FAULTS), n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known faults: {', '.join(sorted(FAULTS))}"
    return f"unknown fault {name!r}; {hint}"
