"""The checks of specs/rfc6749.toml's requirements, judged on recordings.

Every request is sent as `conformance.scenarios` sends it under the rfc6749 profile (a
form body, HTTP Basic, no transactionId or institutionId header) and the stand-in target
answers the way RFC 6749 shapes answers, given outright: a 5.1 token body or a 5.2 error
body. First a conforming
target's whole run passes every check, once with the stricter choice wherever the RFC
leaves the server one and once with the other; then, per check, the answers just either
side of its line, and what leaves it nothing to judge.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conformance.checks import ALL, CHECKS, CheckContext
from conformance.contract import RFC6749, contract_for
from conformance.errors import Failure, Skipped
from conformance.exchange import Exchange
from conformance.settings import Client
from conformance.vocabulary import EXTRA_SCOPE, UNKNOWN_SCOPE

Record = Callable[..., Exchange]
Judge = Callable[..., str | None]
Fails = Callable[..., Failure]
Skips = Callable[..., Skipped]
Answer = dict[str, Any]  # keyword arguments of `record`: status, json or content, headers, raises
Step = tuple[str, Answer]  # a request of REQUESTS and the target's answer to it

CC = "client_credentials"
PW = "password"
CODE = "authorization_code"
RT = "refresh_token"

RFC_CHECKS = sorted(rid for rid in CHECKS if rid.startswith("RFC-"))


@pytest.fixture
def run_check() -> Judge:
    """The check, judged as the rfc6749 profile judges it (its own contract and edition);
    returns what a MAY check observed. It overrides conftest's: `fails` and `skips` use it."""
    contract = contract_for(RFC6749)

    def run(requirement_id: str, exchanges: Sequence[Exchange]) -> str | None:
        ctx = CheckContext(requirement_id, RFC6749, contract)
        return CHECKS[requirement_id].function(list(exchanges), ctx)

    return run


# --- the requests, as the profile's scenarios send them ------------------------------------

WRONG_SECRET = Client("conformance-client", "wrong-secret-5f1d")
UNKNOWN_CLIENT = Client("unknown-client-9a0b", "secret-77c2")
SECOND_CLIENT = Client("second-client", "reference-secret-2")
RESTRICTED_CLIENT = Client("restricted-client", "reference-secret-3")
SPECIAL_CLIENT = Client("spécial:client %+", "sécret: with%+plus")

# a scope token the scope property generates: the marker, then NQCHARs (RFC 6749 A.4)
GENERATED_SCOPE = f"{UNKNOWN_SCOPE}%&{{!}}"
ISSUED_REFRESH = "tGzv3JOkF0XG5Qx2TlKWIA"  # what a password login issues
ROTATED_REFRESH = "8xLOxBtZp8wDqz0Ws9iWZb"  # what a rotating refresh issues instead

CC_FORM = {"grant_type": CC}
PASSWORD_FORM = {"grant_type": PW, "username": "reference-user", "password": "Reference-Passw0rd!"}
CODE_FORM = {"grant_type": CODE, "code": "SplxlOBeZQQYbYS6WxSbIA"}
REFRESH_FORM = {"grant_type": RT, "refresh_token": ISSUED_REFRESH}


@dataclass(frozen=True)
class Request:
    """One request of a scenario, sent the way the scenario sends it."""

    scenario: str
    label: str
    grant: str | None
    form: Any = None  # a dict, or a list of pairs; None: `send` gives the body
    send: Mapping[str, Any] | None = None  # the rest of `record`'s sending arguments

    def answered(self, record: Record, answer: Answer) -> Exchange:
        """Send it; the stand-in target gives `answer`."""
        sending = {"form": self.form} if self.form is not None else {}
        return record(
            scenario=self.scenario,
            label=self.label,
            grant=self.grant,
            transaction_id=None,  # the profile sends no platform header
            institution=None,
            **sending,
            **(self.send or {}),
            **answer,
        )


REQUESTS: dict[str, Request] = {
    # the grants, as a client uses them
    "cc-0": Request("cc_success", "token-0", CC, CC_FORM),
    "cc-1": Request("cc_success", "token-1", CC, CC_FORM),
    "password": Request("password_success", "token", PW, PASSWORD_FORM),
    "code": Request("code_flow", "exchange", CODE, CODE_FORM),
    "code-reuse": Request("code_flow", "reuse", CODE, CODE_FORM),
    "refresh-login": Request("refresh_rotation", "password-setup", PW, PASSWORD_FORM),
    "refresh": Request("refresh_rotation", "refresh", RT, REFRESH_FORM),
    "reuse-old": Request("refresh_rotation", "reuse", RT, REFRESH_FORM),
    "scope-login": Request("refresh_scope", "password-setup", PW, PASSWORD_FORM),
    "wider-scope": Request(
        "refresh_scope", "wider-scope", RT, {**REFRESH_FORM, "scope": f"read {EXTRA_SCOPE}"}
    ),
    "foreign-login": Request("refresh_foreign", "password-setup", PW, PASSWORD_FORM),
    "other-client": Request(
        "refresh_foreign", "other-client", RT, REFRESH_FORM, {"auth": SECOND_CLIENT}
    ),
    "special": Request("auth_special", "token", CC, CC_FORM, {"auth": SPECIAL_CLIENT}),
    "restricted": Request(
        "restricted_password", "password", PW, PASSWORD_FORM, {"auth": RESTRICTED_CLIENT}
    ),
    "unknown-param": Request(
        "unknown_param", "unrecognized", CC, {**CC_FORM, "conformance_unrecognized": "ignored"}
    ),
    # what the server must refuse
    "refresh-unknown": Request(
        "refresh_unknown", "never-issued", RT, {"grant_type": RT, "refresh_token": "never-1"}
    ),
    "code-invalid": Request(
        "code_invalid", "never-issued", CODE, {"grant_type": CODE, "code": "never-issued-1"}
    ),
    "no-code": Request("code_missing", "no-code", CODE, {"grant_type": CODE}),
    "no-refresh-token": Request("refresh_missing", "no-refresh-token", RT, {"grant_type": RT}),
    "no-username": Request(
        "password_missing_fields",
        "no-username",
        PW,
        {"grant_type": PW, "password": "Passw0rd-7f3a"},
    ),
    "no-password": Request(
        "password_missing_fields",
        "no-password",
        PW,
        {"grant_type": PW, "username": "unknown-user-2b9e"},
    ),
    "wrong-password": Request(
        "password_wrong", "wrong-password", PW, {**PASSWORD_FORM, "password": "Wrong-Pass-1"}
    ),
    "no-header": Request("auth_missing", "no-header", CC, CC_FORM, {"auth": None}),
    # RFC 6749 6: a confidential client authenticates on refresh too
    "refresh-no-client-auth": Request(
        "refresh_no_client_auth",
        "no-client-auth",
        RT,
        {"grant_type": RT, "refresh_token": ISSUED_REFRESH},
        {"auth": None},
    ),
    "wrong-secret": Request(
        "auth_wrong_secret", "wrong-secret", CC, CC_FORM, {"auth": WRONG_SECRET}
    ),
    "unknown-client": Request(
        "auth_unknown_client", "unknown", CC, CC_FORM, {"auth": UNKNOWN_CLIENT}
    ),
    # Authorization headers without usable client credentials (all but the Bearer one Basic)
    **{
        label: Request("auth_malformed", label, CC, CC_FORM, {"auth": header})
        for label, header in {
            "not-basic": "Bearer not-a-client-credential",
            "not-base64": "Basic !!not*base64!!",
            "no-colon": "Basic Y2xpZW50LXdpdGhvdXQtY29sb24=",
            "bare-basic": "Basic",
            # the client's own credentials, spoilt: bytes that are not UTF-8, an escape to some
            "not-utf8": "Basic //5jb25mb3JtYW5jZS1jbGllbnQ6cmVmZXJlbmNlLXNlY3JldC0x",
            "escape-not-utf8": "Basic JUZGY29uZm9ybWFuY2UtY2xpZW50OnJlZmVyZW5jZS1zZWNyZXQtMQ==",
        }.items()
    },
    "two-auth": Request(
        "two_auth",
        "basic-and-body",
        CC,
        {**CC_FORM, "client_id": "conformance-client", "client_secret": "reference-secret-1"},
    ),
    "grant-omitted": Request("grant_missing", "omitted", None, send={"body": b""}),
    "grant-empty": Request("grant_missing", "empty", None, {"grant_type": ""}),
    "unsupported-grant": Request(
        "grant_unsupported",
        "unknown-grant",
        None,
        {"grant_type": "urn:example:conformance:unsupported-grant"},
    ),
    "repeated": Request("param_repeated", "grant_type-twice", CC, [("grant_type", CC)] * 2),
    "get": Request(
        "method_not_post",
        "GET",
        None,
        send={"method": "GET", "params": CC_FORM, "content_type": None, "operation": "other"},
    ),
    "json-body": Request(
        "body_not_form",
        "json",
        None,
        send={"body": json.dumps(CC_FORM).encode(), "content_type": "application/json"},
    ),
    "no-content-type": Request(
        "body_framing", "no-content-type", CC, CC_FORM, {"content_type": None, "operation": "other"}
    ),
    "chunked": Request(
        "body_framing", "chunked", CC, CC_FORM, {"chunked": True, "operation": "other"}
    ),
    "obs-text-header": Request(
        "header_obs_text",
        "obs-text",
        CC,
        CC_FORM,
        {"extra_headers": [("X-Conformance-Probe", b"conformance-caf\xe9")]},
    ),
    "unknown-scope": Request(
        "scopes_unknown", "unknown-scope", CC, {**CC_FORM, "scope": f"read {UNKNOWN_SCOPE}"}
    ),
    "unknown-scope-alone": Request(
        "scopes_unknown", "unknown-scope-alone", CC, {**CC_FORM, "scope": UNKNOWN_SCOPE}
    ),
    # generated: the schemathesis phase's valid requests, the token lifecycle machine
    "generated-cc": Request("prop_positive", "positive", CC, {**CC_FORM, "x-Gen\u00e9": "v"}),
    "generated-password": Request("prop_positive", "positive", PW, {**PASSWORD_FORM, "0/0": "+"}),
    "generated-login": Request("prop_positive", "setup-login", PW, PASSWORD_FORM),
    "generated-grant": Request(
        "prop_grant_types", "unsupported-grant", None, {"grant_type": "kUc.-_0"}
    ),
    "generated-scope": Request(
        "prop_scope_tokens",
        "unknown-scope",
        CC,
        {**CC_FORM, "scope": f"{GENERATED_SCOPE} read {UNKNOWN_SCOPE}"},
    ),
    "lifecycle-login": Request("prop_lifecycle", "login", PW, PASSWORD_FORM),
    "lifecycle-refresh": Request("prop_lifecycle", "refresh", RT, REFRESH_FORM),
    "lifecycle-reuse": Request("prop_lifecycle", "reuse", RT, REFRESH_FORM),
    "lifecycle-other-client": Request(
        "prop_lifecycle", "other-client", RT, REFRESH_FORM, {"auth": SECOND_CLIENT}
    ),
    "lifecycle-never-issued": Request(
        "prop_lifecycle",
        "never-issued",
        RT,
        {"grant_type": RT, "refresh_token": "conformance-never-issued-Zq"},
    ),
    "lifecycle-access-as-refresh": Request(
        "prop_lifecycle",
        "access-as-refresh",
        RT,
        {"grant_type": RT, "refresh_token": "2YotnFZFEjr1zCsicMWpAA"},
    ),
}


def play(record: Record, steps: Iterable[Step]) -> list[Exchange]:
    """Send each request in turn; the target answers each as its step says."""
    return [REQUESTS[key].answered(record, answer) for key, answer in steps]


# --- the answers ---------------------------------------------------------------------------

NO_CACHE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
BASIC_CHALLENGE = 'Basic realm="token"'
NO_ANSWER: Answer = {"raises": httpx.ConnectError}


def _members(defaults: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`defaults` with `overrides`; an override of None drops the member."""
    merged = {**defaults, **overrides}
    return {name: value for name, value in merged.items() if value is not None}


Headers = Mapping[str, str | None]  # a value of None drops the header


def token(status: int = 200, headers: Headers | None = None, **members: Any) -> Answer:
    """An RFC 6749 5.1 token answer, with Cache-Control: no-store and Pragma: no-cache;
    `members` override the body's (None drops one), `headers` the headers."""
    body = {"access_token": "2YotnFZFEjr1zCsicMWpAA", "token_type": "Bearer", "expires_in": 3600}
    answer_headers = {**NO_CACHE, **(headers or {})}
    return {"status": status, "json": _members(body, members), "headers": answer_headers}


def refused(status: int, code: str, headers: Headers | None = None, **members: Any) -> Answer:
    """An RFC 6749 5.2 error answer; a 401 carries a Basic challenge."""
    body = {"error": code, "error_description": f"The request was refused ({code})."}
    challenge = {"WWW-Authenticate": BASIC_CHALLENGE} if status == 401 else {}
    answer_headers = {**challenge, **(headers or {})}
    return {"status": status, "json": _members(body, members), "headers": answer_headers}


def raw(status: int, content: bytes, media: str | None = "application/json") -> Answer:
    """An answer with `content` as its body, byte for byte."""
    return {"status": status, "content": content, "headers": {"Content-Type": media}}


LOGIN = token(refresh_token=ISSUED_REFRESH, scope="read")  # the password logins' answer

# A conforming target's whole run, taking the stricter choice wherever the RFC leaves one.
STRICT_RUN: dict[str, Answer] = {
    "cc-0": token(),
    "cc-1": token(),
    "password": token(refresh_token=ISSUED_REFRESH),
    "code": token(refresh_token=ISSUED_REFRESH),
    "code-reuse": refused(400, "invalid_grant"),
    "refresh-login": LOGIN,
    "refresh": token(refresh_token=ROTATED_REFRESH, scope="read"),
    "reuse-old": refused(400, "invalid_grant"),
    "scope-login": LOGIN,
    "wider-scope": refused(400, "invalid_scope"),
    "foreign-login": LOGIN,
    "other-client": refused(400, "invalid_grant"),
    "special": token(),
    "restricted": refused(400, "unauthorized_client"),
    "unknown-param": token(),
    "refresh-unknown": refused(400, "invalid_grant"),
    "code-invalid": refused(400, "invalid_grant"),
    "no-code": refused(400, "invalid_request"),
    "no-refresh-token": refused(400, "invalid_request"),
    "no-username": refused(400, "invalid_request"),
    "no-password": refused(400, "invalid_request"),
    "wrong-password": refused(400, "invalid_grant"),
    "no-header": refused(401, "invalid_client"),
    "refresh-no-client-auth": refused(401, "invalid_client"),
    "wrong-secret": refused(401, "invalid_client"),
    "unknown-client": refused(401, "invalid_client"),
    "not-basic": refused(401, "invalid_client"),
    "not-base64": refused(401, "invalid_client"),
    "no-colon": refused(401, "invalid_client"),
    "bare-basic": refused(401, "invalid_client"),
    "not-utf8": refused(401, "invalid_client"),
    "escape-not-utf8": refused(401, "invalid_client"),
    "two-auth": refused(400, "invalid_request"),
    "grant-omitted": refused(400, "invalid_request"),
    "grant-empty": refused(400, "invalid_request"),
    "unsupported-grant": refused(400, "unsupported_grant_type"),
    "repeated": refused(400, "invalid_request"),
    "get": {"status": 405, "content": b"", "headers": {"Allow": "POST"}},
    "json-body": {"status": 415, "content": b""},
    "no-content-type": refused(400, "invalid_request"),
    "chunked": token(),
    "obs-text-header": refused(400, "invalid_request"),
    "unknown-scope": refused(400, "invalid_scope"),
    "unknown-scope-alone": refused(400, "invalid_scope"),
    "generated-cc": token(),
    "generated-password": token(refresh_token=ISSUED_REFRESH),
    "generated-login": LOGIN,
    "generated-grant": refused(400, "unsupported_grant_type"),
    "generated-scope": refused(400, "invalid_scope"),
    "lifecycle-login": LOGIN,
    "lifecycle-refresh": token(refresh_token=ROTATED_REFRESH, scope="read"),
    "lifecycle-reuse": refused(400, "invalid_grant"),
    "lifecycle-other-client": refused(400, "invalid_grant"),
    "lifecycle-never-issued": refused(400, "invalid_grant"),
    "lifecycle-access-as-refresh": refused(400, "invalid_grant"),
}
# The same target taking the other choice: no rotation (so no reuse-old is sent; the
# lifecycle's rotated-out token stays valid), 400 for a request with no client
# authentication or with a Bearer header (taken for none), scopes it does not grant left
# out of a token's `scope` (the default scope when only an unknown one was asked), a JSON
# body refused with a 400 error, the GET with a 400 error, a form without Content-Type
# sniffed, a chunked body refused for its missing length (RFC 9110 15.5.12), a header
# value outside ASCII ignored.
OTHER_CHOICES_RUN: dict[str, Answer] = {
    **{key: answer for key, answer in STRICT_RUN.items() if key != "reuse-old"},
    "refresh": token(),
    "no-header": refused(400, "invalid_client"),
    "not-basic": refused(400, "invalid_client"),
    "wider-scope": token(scope="read"),
    "unknown-scope": token(scope="read"),
    "unknown-scope-alone": token(scope="read"),
    "json-body": refused(400, "invalid_request"),
    "get": refused(400, "invalid_request"),
    "lifecycle-reuse": token(),  # RFC 6749 6: the server MAY keep the old refresh token
    "generated-scope": token(scope="read"),
    "no-content-type": token(),
    "chunked": {"status": 411, "content": b""},
    "obs-text-header": token(),
}


def _used_by(requirement_id: str, run: Mapping[str, Answer]) -> list[Step]:
    """The steps of `run` the runner hands the check: those of the scenarios it uses."""
    uses = CHECKS[requirement_id].uses
    return [
        (key, answer)
        for key, answer in run.items()
        if uses == ALL or REQUESTS[key].scenario in uses
    ]


def test_rfc6749__the_tables_cover_every_rfc_check_and_scenario() -> None:
    assert len(RFC_CHECKS) == 36
    scenarios = {r.scenario for r in REQUESTS.values()}
    used = {name for rid in RFC_CHECKS for name in CHECKS[rid].uses if CHECKS[rid].uses != ALL}
    assert used <= scenarios
    assert set(STRICT_RUN) == set(REQUESTS)


@pytest.mark.verdict("passes")
@pytest.mark.parametrize("requirement_id", RFC_CHECKS)
@pytest.mark.parametrize("run", [STRICT_RUN, OTHER_CHOICES_RUN], ids=["strict", "other-choices"])
def test_rfc6749__a_conforming_run_passes(
    record: Record, run_check: Judge, requirement_id: str, run: dict[str, Answer]
) -> None:
    run_check(requirement_id, play(record, _used_by(requirement_id, run)))


@pytest.mark.verdict("skips")
@pytest.mark.parametrize("requirement_id", RFC_CHECKS)
def test_rfc6749__nothing_recorded_skips(skips: Skips, requirement_id: str) -> None:
    skips(requirement_id, [])


# --- "this request gets a token" -----------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """Requests a check wants answered 200 with an access_token."""

    requests: tuple[str, ...]
    what: str  # as the failure's title names the request
    before: tuple[Step, ...] = ()  # what the scenario sent first to get there

    def play(self, record: Record, last: Answer | None = None) -> list[Exchange]:
        """The requests answered with a token; the last one with `last` when given."""
        *first, final = self.requests
        steps = [*self.before, *((key, token()) for key in first), (final, last or token())]
        return play(record, steps)


ISSUES: dict[str, Issue] = {
    "RFC-CC-SUCCESS": Issue(("cc-0", "cc-1"), "client_credentials"),
    "RFC-PASSWORD-SUCCESS": Issue(("password",), "password"),
    "RFC-CODE-SUCCESS": Issue(("code",), "authorization_code"),
    "RFC-REFRESH-SUCCESS": Issue(
        ("refresh", "lifecycle-refresh"),
        "refresh_token",
        (("refresh-login", LOGIN), ("lifecycle-login", LOGIN)),
    ),
    "RFC-BASIC-ENCODING": Issue(("special",), "client_credentials (special-character client)"),
    "RFC-UNKNOWN-PARAM-IGNORED": Issue(
        ("unknown-param", "generated-cc"),
        "client_credentials (with an unrecognized parameter)",
        (("cc-0", token()),),  # the grant works without one: generated cases are judged
    ),
}
NO_TOKEN: dict[str, Answer] = {
    "401-invalid_client": refused(401, "invalid_client"),
    "400-invalid_request": refused(400, "invalid_request"),
    "400-invalid_grant": refused(400, "invalid_grant"),
    "200-without-access_token": token(access_token=None),
    "200-empty-access_token": token(access_token=""),
    "201-with-token": token(201),
    "no-answer": NO_ANSWER,
}


@pytest.mark.verdict("passes")
@pytest.mark.parametrize("requirement_id", list(ISSUES))
def test_issue__a_token_passes(record: Record, run_check: Judge, requirement_id: str) -> None:
    run_check(requirement_id, ISSUES[requirement_id].play(record))


@pytest.mark.verdict("fails")
@pytest.mark.parametrize("requirement_id", list(ISSUES))
@pytest.mark.parametrize("answer", list(NO_TOKEN.values()), ids=list(NO_TOKEN))
def test_issue__no_token_fails(
    record: Record, fails: Fails, requirement_id: str, answer: Answer
) -> None:
    issue = ISSUES[requirement_id]
    failure = fails(requirement_id, issue.play(record, answer))
    assert failure.title == f"A valid {issue.what} request did not get a token."
    assert failure.expected == "HTTP 200 with a non-empty access_token"


@pytest.mark.requirement("RFC-UNKNOWN-PARAM-IGNORED")
@pytest.mark.verdict("passes")
def test_unknown_param__generated_cases_of_a_grant_that_gets_no_token_anyway_pass(
    record: Record, run_check: Judge
) -> None:
    steps = [
        ("cc-0", token()),
        ("unknown-param", token()),
        ("password", refused(400, "invalid_grant")),  # RFC-PASSWORD-SUCCESS reports it
        ("generated-login", refused(400, "invalid_grant")),
        ("generated-password", refused(400, "invalid_request")),
    ]
    run_check("RFC-UNKNOWN-PARAM-IGNORED", play(record, steps))


@pytest.mark.requirement("RFC-UNKNOWN-PARAM-IGNORED")
@pytest.mark.verdict("fails")
def test_unknown_param__a_refused_generated_case_of_a_working_grant_fails(
    record: Record, fails: Fails
) -> None:
    steps = [
        ("cc-0", token()),
        ("unknown-param", token()),
        ("password", token()),
        ("generated-password", refused(400, "invalid_request")),
    ]
    failure = fails("RFC-UNKNOWN-PARAM-IGNORED", play(record, steps))
    assert (
        failure.title
        == "A valid password (with an unrecognized parameter) request did not get a token."
    )
    assert "prop_positive/positive" in failure.received


@pytest.mark.requirement("RFC-INVALID-GRANT")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "reuse", [token(), refused(401, "invalid_grant")], ids=["still-valid", "refused-401"]
)
def test_invalid_grant__a_rotated_out_token_is_not_judged_passes(
    record: Record, run_check: Judge, reuse: Answer
) -> None:
    # RFC 6749 6: revoking the old token is a MAY (RFC-REFRESH-ROTATION reports it); a
    # refusal's status is RFC-ERROR-STATUS's
    steps = [
        ("code-invalid", refused(400, "invalid_grant")),
        ("refresh-unknown", refused(400, "invalid_grant")),
        ("lifecycle-reuse", reuse),
    ]
    run_check("RFC-INVALID-GRANT", play(record, steps))


@pytest.mark.requirement("RFC-CODE-SUCCESS")
@pytest.mark.verdict("passes")
def test_code_success__the_refused_reuse_is_not_judged_passes(
    record: Record, run_check: Judge
) -> None:
    steps = [("code", token()), ("code-reuse", refused(400, "invalid_grant"))]
    run_check("RFC-CODE-SUCCESS", play(record, steps))


# --- the refresh scenarios, when the login issues no refresh token -------------------------

REFRESH_CHECKS = {
    "RFC-REFRESH-SUCCESS": "refresh-login",
    "RFC-REFRESH-ROTATION": "refresh-login",
    "RFC-REFRESH-SCOPE-NOT-WIDER": "scope-login",
    "RFC-REFRESH-CLIENT-BOUND": "foreign-login",
}


@pytest.mark.verdict("skips")
@pytest.mark.parametrize(
    ("requirement_id", "login"),
    [
        pytest.param(rid, answer, id=f"{rid}-{case}")
        for rid in REFRESH_CHECKS
        for case, answer in {
            "login-refused": refused(400, "invalid_grant"),
            "no-refresh-token": token(scope="read"),
        }.items()
    ],
)
def test_refresh_checks__no_refresh_token_to_use_skips(
    record: Record, skips: Skips, requirement_id: str, login: Answer
) -> None:
    skips(requirement_id, play(record, [(REFRESH_CHECKS[requirement_id], login)]))


# --- "this request gets 400 <error> and no token" ------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Requests a check wants refused with error `code` in one of `statuses`, no token."""

    requests: tuple[str, ...]
    code: str
    wrong: tuple[Answer, ...]  # answers just past the line: a wrong error or status
    statuses: tuple[int, ...] = (400,)
    before: tuple[Step, ...] = ()  # what the scenario sent first to get there

    def play(self, record: Record, status: int, last: Answer | None = None) -> list[Exchange]:
        """The requests refused as the RFC wants, in `status`; the last with `last` if given."""
        right = refused(status, self.code)
        *first, final = self.requests
        steps = [*self.before, *((key, right) for key in first), (final, last or right)]
        return play(record, steps)


MALFORMED_BASIC = ("not-base64", "no-colon", "bare-basic", "not-utf8", "escape-not-utf8")

REFUSALS: dict[str, Refusal] = {
    "RFC-INVALID-CLIENT": Refusal(
        ("no-header", "wrong-secret", "unknown-client", *MALFORMED_BASIC, "not-basic"),
        "invalid_client",
        (refused(400, "invalid_request"), refused(403, "invalid_client")),
        statuses=(400, 401),
    ),
    "RFC-INVALID-CLIENT-401": Refusal(
        ("wrong-secret", "unknown-client", *MALFORMED_BASIC),
        "invalid_client",
        (refused(400, "invalid_client"), refused(401, "invalid_request")),
        statuses=(401,),
    ),
    "RFC-ONE-AUTH-METHOD": Refusal(
        ("two-auth",),
        "invalid_request",
        (refused(401, "invalid_client"), refused(400, "invalid_client")),
    ),
    "RFC-GRANT-TYPE-MISSING": Refusal(
        ("grant-omitted", "grant-empty"),
        "invalid_request",
        (refused(400, "unsupported_grant_type"), refused(422, "invalid_request")),
    ),
    "RFC-UNSUPPORTED-GRANT": Refusal(
        ("unsupported-grant", "generated-grant"),
        "unsupported_grant_type",
        (refused(400, "invalid_request"), refused(501, "unsupported_grant_type")),
    ),
    "RFC-PARAM-REPEATED": Refusal(
        ("repeated",),
        "invalid_request",
        (refused(400, "unsupported_grant_type"), refused(500, "server_error")),
    ),
    "RFC-FIELD-MISSING": Refusal(
        ("no-code", "no-refresh-token", "no-username", "no-password"),
        "invalid_request",
        (
            refused(400, "invalid_grant"),
            refused(401, "unauthorized_client"),  # not offered is a 400: this one is judged
            refused(401, "invalid_request"),
        ),
    ),
    "RFC-INVALID-GRANT": Refusal(
        (
            "code-invalid",
            "refresh-unknown",
            "lifecycle-access-as-refresh",
            "lifecycle-never-issued",
        ),
        "invalid_grant",
        (refused(401, "invalid_grant"), refused(400, "invalid_request")),
    ),
    "RFC-PASSWORD-WRONG": Refusal(
        ("wrong-password",),
        "invalid_grant",
        (refused(401, "invalid_grant"), refused(401, "invalid_client")),
    ),
    "RFC-CODE-SINGLE-USE": Refusal(
        ("code-reuse",),
        "invalid_grant",
        (refused(400, "invalid_request"), refused(401, "invalid_grant")),
        before=(("code", token()),),
    ),
    "RFC-REFRESH-CLIENT-BOUND": Refusal(
        ("other-client", "lifecycle-other-client"),
        "invalid_grant",
        (refused(401, "invalid_client"), refused(400, "invalid_request")),
        before=(("foreign-login", LOGIN),),
    ),
    "RFC-UNAUTHORIZED-CLIENT": Refusal(
        ("restricted",),
        "unauthorized_client",
        (refused(403, "unauthorized_client"), refused(400, "invalid_grant")),
    ),
}


def _wrong_id(answer: Answer) -> str:
    return f"{answer['status']}-{answer['json']['error']}"


@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    ("requirement_id", "status"),
    [
        pytest.param(rid, status, id=f"{rid}-{status}")
        for rid, refusal in REFUSALS.items()
        for status in refusal.statuses
    ],
)
def test_refusal__the_rfc_error_passes(
    record: Record, run_check: Judge, requirement_id: str, status: int
) -> None:
    run_check(requirement_id, REFUSALS[requirement_id].play(record, status))


@pytest.mark.verdict("fails")
@pytest.mark.parametrize("requirement_id", list(REFUSALS))
def test_refusal__a_token_fails(record: Record, fails: Fails, requirement_id: str) -> None:
    refusal = REFUSALS[requirement_id]
    failure = fails(requirement_id, refusal.play(record, refusal.statuses[0], token()))
    assert failure.title == "The target issued a token for a request it must refuse."
    assert "with an access_token" in failure.received


@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("requirement_id", "wrong"),
    [
        pytest.param(rid, wrong, id=f"{rid}-{_wrong_id(wrong)}")
        for rid, refusal in REFUSALS.items()
        for wrong in refusal.wrong
    ],
)
def test_refusal__a_wrong_error_or_status_fails(
    record: Record, fails: Fails, requirement_id: str, wrong: Answer
) -> None:
    refusal = REFUSALS[requirement_id]
    failure = fails(requirement_id, refusal.play(record, refusal.statuses[0], wrong))
    assert failure.title == f"The target did not answer with the RFC 6749 5.2 error {refusal.code}."
    assert f"HTTP {wrong['status']}, error '{wrong['json']['error']}'" in failure.received


@pytest.mark.verdict("fails")
@pytest.mark.parametrize("requirement_id", list(REFUSALS))
def test_refusal__no_answer_fails(record: Record, fails: Fails, requirement_id: str) -> None:
    refusal = REFUSALS[requirement_id]
    failure = fails(requirement_id, refusal.play(record, refusal.statuses[0], NO_ANSWER))
    assert "no HTTP answer" in failure.received


@pytest.mark.requirement("RFC-CODE-SINGLE-USE")
@pytest.mark.verdict("skips")
def test_code_single_use__first_exchange_refused_skips(record: Record, skips: Skips) -> None:
    skips("RFC-CODE-SINGLE-USE", play(record, [("code", refused(400, "invalid_grant"))]))


# --- RFC-INVALID-CLIENT / RFC-INVALID-CLIENT-401: the status and the challenge -------------


@pytest.mark.requirement("RFC-INVALID-CLIENT")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("status", [400, 401])
def test_invalid_client__no_authorization_header_in_400_or_401_passes(
    record: Record, run_check: Judge, status: int
) -> None:
    steps = [
        ("no-header", refused(status, "invalid_client")),
        ("wrong-secret", refused(401, "invalid_client")),
        ("unknown-client", refused(401, "invalid_client")),
    ]
    run_check("RFC-INVALID-CLIENT", play(record, steps))


BASIC_CHALLENGES: dict[str, Answer] = {
    "basic-realm": refused(401, "invalid_client"),
    "basic-alone": refused(401, "invalid_client", {"WWW-Authenticate": "Basic"}),
    "lower-case": refused(401, "invalid_client", {"WWW-Authenticate": 'basic realm="token"'}),
    "bearer-then-basic": refused(
        401, "invalid_client", {"WWW-Authenticate": 'Bearer realm="api", Basic realm="token"'}
    ),
    "two-header-lines": {
        **refused(401, "invalid_client", {"WWW-Authenticate": None}),
        "raw_headers": [("WWW-Authenticate", 'Bearer realm="api"'), ("WWW-Authenticate", "Basic")],
    },
}
NOT_BASIC_CHALLENGES: dict[str, Answer] = {
    "no-header": refused(401, "invalid_client", {"WWW-Authenticate": None}),
    "bearer-only": refused(401, "invalid_client", {"WWW-Authenticate": 'Bearer realm="api"'}),
    "basic-prefix": refused(401, "invalid_client", {"WWW-Authenticate": 'Basically realm="x"'}),
}


@pytest.mark.requirement("RFC-INVALID-CLIENT-401")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("answer", list(BASIC_CHALLENGES.values()), ids=list(BASIC_CHALLENGES))
def test_invalid_client_401__a_basic_challenge_passes(
    record: Record, run_check: Judge, answer: Answer
) -> None:
    steps = [("wrong-secret", refused(401, "invalid_client")), ("unknown-client", answer)]
    run_check("RFC-INVALID-CLIENT-401", play(record, steps))


@pytest.mark.requirement("RFC-INVALID-CLIENT-401")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "answer", list(NOT_BASIC_CHALLENGES.values()), ids=list(NOT_BASIC_CHALLENGES)
)
def test_invalid_client_401__no_basic_challenge_fails(
    record: Record, fails: Fails, answer: Answer
) -> None:
    steps = [("wrong-secret", refused(401, "invalid_client")), ("unknown-client", answer)]
    failure = fails("RFC-INVALID-CLIENT-401", play(record, steps))
    assert failure.title == "A failed Basic authentication got no Basic challenge."
    assert "auth_unknown_client/unknown" in failure.received


@pytest.mark.requirement("RFC-INVALID-CLIENT-401")
@pytest.mark.verdict("fails")
def test_invalid_client_401__basic_inside_a_quoted_bearer_parameter_fails(
    record: Record, fails: Fails
) -> None:
    challenge = 'Bearer realm="api", error_description="try again, basic auth failed"'
    answer = refused(401, "invalid_client", {"WWW-Authenticate": challenge})
    fails("RFC-INVALID-CLIENT-401", play(record, [("wrong-secret", answer)]))


@pytest.mark.requirement("RFC-INVALID-CLIENT-401")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("malformed", MALFORMED_BASIC)
def test_invalid_client_401__a_malformed_basic_header_in_400_without_challenge_fails(
    record: Record, fails: Fails, malformed: str
) -> None:
    # what node-oauth2-server 5.3 does: the client used Basic, so 5.2 wants 401 + challenge
    steps = [
        ("wrong-secret", refused(401, "invalid_client")),
        (malformed, refused(400, "invalid_client")),
    ]
    failure = fails("RFC-INVALID-CLIENT-401", play(record, steps))
    assert failure.expected == "HTTP 401 with error invalid_client"
    assert f"auth_malformed/{malformed}" in failure.received


@pytest.mark.requirement("RFC-INVALID-CLIENT-401")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "answer",
    [
        refused(400, "invalid_client"),
        refused(401, "invalid_client", {"WWW-Authenticate": "Bearer"}),
    ],
    ids=["400-no-challenge", "401-bearer-challenge"],
)
def test_invalid_client_401__a_bearer_header_is_not_a_failed_basic_authentication_passes(
    record: Record, run_check: Judge, answer: Answer
) -> None:
    # RFC 6749 2.3: a scheme the server does not support may count as no authentication
    steps = [("wrong-secret", refused(401, "invalid_client")), ("not-basic", answer)]
    run_check("RFC-INVALID-CLIENT-401", play(record, steps))


@pytest.mark.requirement("RFC-INVALID-CLIENT")
@pytest.mark.verdict("fails")
def test_invalid_client__a_bearer_header_answered_invalid_request_fails(
    record: Record, fails: Fails
) -> None:
    # 5.2: no client authentication, or an unsupported method, is invalid_client either way
    steps = [
        ("no-header", refused(401, "invalid_client")),
        ("not-basic", refused(400, "invalid_request")),
    ]
    failure = fails("RFC-INVALID-CLIENT", play(record, steps))
    assert "auth_malformed/not-basic" in failure.received


# --- RFC-FIELD-MISSING / RFC-INVALID-GRANT: a grant the server does not offer ---------------

NOT_OFFERED = {
    "unsupported_grant_type": refused(400, "unsupported_grant_type"),
    "unauthorized_client": refused(400, "unauthorized_client"),
}


@pytest.mark.requirement("RFC-FIELD-MISSING")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("answer", list(NOT_OFFERED.values()), ids=list(NOT_OFFERED))
def test_field_missing__grants_not_offered_are_not_judged_passes(
    record: Record, run_check: Judge, answer: Answer
) -> None:
    steps = [
        ("no-code", answer),
        ("no-refresh-token", answer),
        ("no-username", refused(400, "invalid_request")),
    ]
    run_check("RFC-FIELD-MISSING", play(record, steps))


@pytest.mark.requirement("RFC-FIELD-MISSING")
@pytest.mark.verdict("skips")
@pytest.mark.parametrize("answer", list(NOT_OFFERED.values()), ids=list(NOT_OFFERED))
def test_field_missing__no_grant_offered_skips(
    record: Record, skips: Skips, answer: Answer
) -> None:
    steps = [(key, answer) for key in ("no-code", "no-refresh-token", "no-username")]
    skips("RFC-FIELD-MISSING", play(record, steps))


@pytest.mark.requirement("RFC-INVALID-GRANT")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("answer", list(NOT_OFFERED.values()), ids=list(NOT_OFFERED))
def test_invalid_grant__a_grant_not_offered_is_not_judged_passes(
    record: Record, run_check: Judge, answer: Answer
) -> None:
    steps = [("code-invalid", answer), ("refresh-unknown", refused(400, "invalid_grant"))]
    run_check("RFC-INVALID-GRANT", play(record, steps))


@pytest.mark.requirement("RFC-INVALID-GRANT")
@pytest.mark.verdict("skips")
@pytest.mark.parametrize("answer", list(NOT_OFFERED.values()), ids=list(NOT_OFFERED))
@pytest.mark.parametrize("request_key", ["code-invalid", "refresh-unknown"])
def test_invalid_grant__the_grant_not_offered_skips(
    record: Record, skips: Skips, request_key: str, answer: Answer
) -> None:
    """The runner judges each grant on its own: a grant the server does not offer skips."""
    skips("RFC-INVALID-GRANT", play(record, [(request_key, answer)]))


# --- RFC-SCOPE-UNKNOWN / RFC-REFRESH-SCOPE-NOT-WIDER: refuse, or say what was granted --------


@dataclass(frozen=True)
class ScopeAsked:
    """A request asking for `scope`, which the server does not grant."""

    request: str
    scope: str
    what: str  # as the failure's title names it
    before: tuple[Step, ...] = ()

    def play(self, record: Record, answer: Answer) -> list[Exchange]:
        return play(record, [*self.before, (self.request, answer)])


SCOPES: dict[str, ScopeAsked] = {
    "RFC-SCOPE-UNKNOWN": ScopeAsked("unknown-scope", UNKNOWN_SCOPE, "an unknown scope"),
    "RFC-REFRESH-SCOPE-NOT-WIDER": ScopeAsked(
        "wider-scope",
        EXTRA_SCOPE,
        "a scope beyond the original grant",
        (("scope-login", LOGIN),),
    ),
}
SCOPE_RIGHT: dict[str, Answer] = {
    "400-invalid_scope": refused(400, "invalid_scope"),
    "200-scope-without-it": token(scope="read"),
    "200-scope-of-several": token(scope="read write"),
}


@pytest.mark.verdict("passes")
@pytest.mark.parametrize("requirement_id", list(SCOPES))
@pytest.mark.parametrize("answer", list(SCOPE_RIGHT.values()), ids=list(SCOPE_RIGHT))
def test_scope__refused_or_left_out_of_the_granted_scope_passes(
    record: Record, run_check: Judge, requirement_id: str, answer: Answer
) -> None:
    run_check(requirement_id, SCOPES[requirement_id].play(record, answer))


@pytest.mark.verdict("fails")
@pytest.mark.parametrize("requirement_id", list(SCOPES))
@pytest.mark.parametrize(
    ("granted", "said"),
    [(None, "no scope member"), ("read {}", "scope 'read {}'"), ("{}", "scope '{}'")],
    ids=["no-scope-member", "granted-among-others", "granted-alone"],
)
def test_scope__a_token_that_does_not_leave_it_out_fails(
    record: Record, fails: Fails, requirement_id: str, granted: str | None, said: str
) -> None:
    asked = SCOPES[requirement_id]
    answer = token(scope=granted and granted.format(asked.scope))
    failure = fails(requirement_id, asked.play(record, answer))
    assert (
        failure.title
        == f"The target issued a token for {asked.what} without saying it left it out."
    )
    assert failure.received.startswith(said.format(asked.scope))


@pytest.mark.verdict("fails")
@pytest.mark.parametrize("requirement_id", list(SCOPES))
@pytest.mark.parametrize(
    "answer",
    [refused(400, "invalid_request"), refused(403, "invalid_scope"), NO_ANSWER],
    ids=["400-invalid_request", "403-invalid_scope", "no-answer"],
)
def test_scope__another_refusal_fails(
    record: Record, fails: Fails, requirement_id: str, answer: Answer
) -> None:
    failure = fails(requirement_id, SCOPES[requirement_id].play(record, answer))
    assert failure.title == "The target did not answer with the RFC 6749 5.2 error invalid_scope."


@pytest.mark.requirement("RFC-SCOPE-UNKNOWN")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "granted", [f"read {GENERATED_SCOPE}", f"read {UNKNOWN_SCOPE}"], ids=["generated", "fixed"]
)
def test_scope_unknown__a_generated_request_granted_any_token_it_invented_fails(
    record: Record, fails: Fails, granted: str
) -> None:
    steps = [
        ("unknown-scope", refused(400, "invalid_scope")),
        ("generated-scope", token(scope=granted)),
    ]
    failure = fails("RFC-SCOPE-UNKNOWN", play(record, steps))
    assert failure.expected.startswith(
        f"HTTP 400 invalid_scope, or a scope member without {GENERATED_SCOPE} {UNKNOWN_SCOPE}"
    )
    assert "prop_scope_tokens/unknown-scope" in failure.received


@pytest.mark.requirement("RFC-SCOPE-UNKNOWN")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("granted", "said"),
    [(None, "no scope member"), (UNKNOWN_SCOPE, f"scope {UNKNOWN_SCOPE!r}")],
    ids=["no-scope-member", "granted"],
)
def test_scope_unknown__a_token_for_the_unknown_scope_alone_that_does_not_leave_it_out_fails(
    record: Record, fails: Fails, granted: str | None, said: str
) -> None:
    # asked beside a known scope it was refused; asked alone, a token without scope says
    # nothing of what was granted (3.3: scope is required when it differs from the request)
    steps = [
        ("unknown-scope", refused(400, "invalid_scope")),
        ("unknown-scope-alone", token(scope=granted)),
    ]
    failure = fails("RFC-SCOPE-UNKNOWN", play(record, steps))
    assert failure.received.startswith(said)
    assert "scopes_unknown/unknown-scope-alone" in failure.received


@pytest.mark.requirement("RFC-SCOPE-UNKNOWN")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "answer", [refused(400, "invalid_scope"), token(scope="read")], ids=["refused", "default-scope"]
)
def test_scope_unknown__the_unknown_scope_alone_refused_or_left_out_passes(
    record: Record, run_check: Judge, answer: Answer
) -> None:
    steps = [("unknown-scope", token(scope="read")), ("unknown-scope-alone", answer)]
    run_check("RFC-SCOPE-UNKNOWN", play(record, steps))


@pytest.mark.requirement("RFC-SCOPE-UNKNOWN")
@pytest.mark.verdict("passes")
def test_scope_unknown__a_generated_request_granted_only_the_configured_scope_passes(
    record: Record, run_check: Judge
) -> None:
    steps = [("unknown-scope", token(scope="read")), ("generated-scope", token(scope="read"))]
    run_check("RFC-SCOPE-UNKNOWN", play(record, steps))


# --- the token answers: RFC-SUCCESS-FIELDS, -TOKEN-SYNTAX, -EXPIRES-IN, -NO-STORE, -PRAGMA,
# --- RFC-CC-NO-REFRESH ---------------------------------------------------------------------

TOKEN_CHECKS = (
    "RFC-SUCCESS-FIELDS",
    "RFC-TOKEN-SYNTAX",
    "RFC-EXPIRES-IN",
    "RFC-NO-STORE",
    "RFC-PRAGMA",
    "RFC-CC-NO-REFRESH",
)


@pytest.mark.verdict("skips")
@pytest.mark.parametrize("requirement_id", TOKEN_CHECKS)
def test_token_checks__only_refusals_skips(
    record: Record, skips: Skips, requirement_id: str
) -> None:
    steps = [("cc-0", refused(401, "invalid_client")), ("cc-1", refused(400, "invalid_scope"))]
    skips(requirement_id, play(record, steps))


def _two_tokens(record: Record, second: Answer) -> list[Exchange]:
    """A conforming client_credentials answer, then `second` to a password request."""
    return play(record, [("cc-0", token()), ("password", second)])


SUCCESS_FIELDS_RIGHT: dict[str, Answer] = {
    "charset-parameter": token(headers={"Content-Type": "application/json;charset=UTF-8"}),
    "lower-case-type": token(token_type="bearer"),
    "extra-members": token(refresh_token=ISSUED_REFRESH, scope="read", id_token="e30.e30.c2ln"),
}
SUCCESS_FIELDS_WRONG: dict[str, Answer] = {
    "text-plain": raw(200, json.dumps(token()["json"]).encode(), "text/plain"),
    "no-media-type": raw(200, json.dumps(token()["json"]).encode(), None),
    "json-array": raw(200, b'[{"access_token": "a", "token_type": "Bearer"}]'),
    "form-body": raw(200, b"access_token=a&token_type=Bearer", "application/x-www-form-urlencoded"),
    "no-access_token": token(access_token=None),
    "empty-access_token": token(access_token=""),
    "number-access_token": token(access_token=42),
    "no-token_type": token(token_type=None),
    "empty-token_type": token(token_type=""),
    "number-token_type": token(token_type=1),
    "error-body-in-200": {"status": 200, "json": {"error": "invalid_request"}},
}


@pytest.mark.requirement("RFC-SUCCESS-FIELDS")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "answer", list(SUCCESS_FIELDS_RIGHT.values()), ids=list(SUCCESS_FIELDS_RIGHT)
)
def test_success_fields__a_5_1_body_passes(
    record: Record, run_check: Judge, answer: Answer
) -> None:
    run_check("RFC-SUCCESS-FIELDS", _two_tokens(record, answer))


@pytest.mark.requirement("RFC-SUCCESS-FIELDS")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "answer", list(SUCCESS_FIELDS_WRONG.values()), ids=list(SUCCESS_FIELDS_WRONG)
)
def test_success_fields__another_200_fails(record: Record, fails: Fails, answer: Answer) -> None:
    failure = fails("RFC-SUCCESS-FIELDS", _two_tokens(record, answer))
    assert failure.title == "A token response is not the one RFC 6749 5.1 defines."
    assert "(password_success/token)" in failure.received


EVERY_VSCHAR = "".join(chr(c) for c in range(0x20, 0x7F))
EVERY_NQCHAR = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"\\')

TOKEN_SYNTAX_RIGHT: dict[str, dict[str, Any]] = {
    "every-vschar-token": {"access_token": EVERY_VSCHAR, "refresh_token": EVERY_VSCHAR},
    "type-name": {"token_type": "N_A-1.x"},
    "type-urn": {"token_type": "urn:ietf:params:oauth:token-type:jwt"},
    "type-url": {"token_type": "https://example.com/token-types/pop"},
    "expires-zero": {"expires_in": 0},  # A.14: 1*DIGIT
    "expires-one": {"expires_in": 1},
    "expires-large": {"expires_in": 2**40},
    "one-scope": {"scope": "read"},
    "scopes": {"scope": "openid profile email"},
    "every-nqchar-scope": {"scope": f"{EVERY_NQCHAR} read"},
    "only-required": {"expires_in": None},
}
TOKEN_SYNTAX_WRONG: dict[str, dict[str, Any]] = {
    "access_token-non-ascii": {"access_token": "tökén"},
    "access_token-newline": {"access_token": "abc\ndef"},
    "refresh_token-empty": {"refresh_token": ""},
    "refresh_token-tab": {"refresh_token": "abc\tdef"},
    "refresh_token-number": {"refresh_token": 42},
    "token_type-space": {"token_type": "Bearer token"},
    "token_type-empty": {"token_type": ""},
    "token_type-slash": {"token_type": "bear/er"},
    "expires_in-string": {"expires_in": "3600"},
    "expires_in-bool": {"expires_in": True},
    "expires_in-negative": {"expires_in": -1},
    "expires_in-float": {"expires_in": 3600.0},
    "scope-empty": {"scope": ""},
    "scope-leading-space": {"scope": " read"},
    "scope-double-space": {"scope": "read  write"},
    "scope-quote": {"scope": 'read"write'},
    "scope-backslash": {"scope": "read\\write"},
    "scope-non-ascii": {"scope": "lecture écriture"},
    "scope-list": {"scope": ["read", "write"]},
}


@pytest.mark.requirement("RFC-TOKEN-SYNTAX")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("members", list(TOKEN_SYNTAX_RIGHT.values()), ids=list(TOKEN_SYNTAX_RIGHT))
def test_token_syntax__appendix_a_values_pass(
    record: Record, run_check: Judge, members: dict[str, Any]
) -> None:
    run_check("RFC-TOKEN-SYNTAX", _two_tokens(record, token(**members)))


@pytest.mark.requirement("RFC-TOKEN-SYNTAX")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("members", list(TOKEN_SYNTAX_WRONG.values()), ids=list(TOKEN_SYNTAX_WRONG))
def test_token_syntax__a_value_outside_appendix_a_fails(
    record: Record, fails: Fails, members: dict[str, Any]
) -> None:
    failure = fails("RFC-TOKEN-SYNTAX", _two_tokens(record, token(**members)))
    assert failure.title == "A token response member breaks RFC 6749's syntax."
    assert failure.received.startswith(next(iter(members)))


@pytest.mark.requirement("RFC-TOKEN-SYNTAX")
@pytest.mark.verdict("fails")
def test_token_syntax__a_token_type_that_is_not_a_uri_fails(record: Record, fails: Fails) -> None:
    fails("RFC-TOKEN-SYNTAX", _two_tokens(record, token(token_type="urn:example:pop token")))


@pytest.mark.requirement("RFC-EXPIRES-IN")
@pytest.mark.verdict("passes")
def test_expires_in__present_passes(record: Record, run_check: Judge) -> None:
    run_check("RFC-EXPIRES-IN", _two_tokens(record, token(expires_in=1)))


@pytest.mark.requirement("RFC-EXPIRES-IN")
@pytest.mark.verdict("fails")
def test_expires_in__missing_fails(record: Record, fails: Fails) -> None:
    failure = fails("RFC-EXPIRES-IN", _two_tokens(record, token(expires_in=None)))
    assert "password_success/token" in failure.received


CACHE_HEADERS_RIGHT = [
    ("RFC-NO-STORE", "no-store-only", {"Cache-Control": "no-store"}, []),
    ("RFC-NO-STORE", "no-store-no-cache", {"Cache-Control": "no-store, no-cache"}, []),
    ("RFC-NO-STORE", "upper-case", {"Cache-Control": "No-Store"}, []),
    ("RFC-NO-STORE", "among-others", {"Cache-Control": "private,max-age=0,no-store"}, []),
    (
        "RFC-NO-STORE",
        "second-header-line",
        {"Cache-Control": None},
        [("Cache-Control", "private"), ("Cache-Control", "no-store")],
    ),
    ("RFC-PRAGMA", "no-cache", {"Pragma": "no-cache"}, []),
    ("RFC-PRAGMA", "upper-case", {"Pragma": "No-Cache"}, []),
]
CACHE_HEADERS_WRONG = [
    ("RFC-NO-STORE", "no-cache-only", {"Cache-Control": "no-cache"}, "Cache-Control: 'no-cache'"),
    ("RFC-NO-STORE", "max-age-0", {"Cache-Control": "max-age=0"}, "Cache-Control: 'max-age=0'"),
    ("RFC-NO-STORE", "missing", {"Cache-Control": None}, "no Cache-Control header"),
    ("RFC-PRAGMA", "no-store", {"Pragma": "no-store"}, "Pragma: 'no-store'"),
    ("RFC-PRAGMA", "missing", {"Pragma": None}, "no Pragma header"),
]


@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    ("requirement_id", "headers", "raw_headers"),
    [pytest.param(rid, h, r, id=f"{rid}-{case}") for rid, case, h, r in CACHE_HEADERS_RIGHT],
)
def test_cache_headers__the_directive_passes(
    record: Record,
    run_check: Judge,
    requirement_id: str,
    headers: dict[str, str | None],
    raw_headers: list[tuple[str, str]],
) -> None:
    answer = {**token(headers=headers), "raw_headers": raw_headers}
    run_check(requirement_id, _two_tokens(record, answer))


@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("requirement_id", "headers", "received"),
    [pytest.param(rid, h, r, id=f"{rid}-{case}") for rid, case, h, r in CACHE_HEADERS_WRONG],
)
def test_cache_headers__without_the_directive_fails(
    record: Record, fails: Fails, requirement_id: str, headers: dict[str, str | None], received: str
) -> None:
    failure = fails(requirement_id, _two_tokens(record, token(headers=headers)))
    assert failure.received == received


@pytest.mark.requirement("RFC-CC-NO-REFRESH")
@pytest.mark.verdict("passes")
def test_cc_no_refresh__no_or_empty_refresh_token_passes(record: Record, run_check: Judge) -> None:
    steps = [("cc-0", token()), ("cc-1", token(refresh_token=""))]
    run_check("RFC-CC-NO-REFRESH", play(record, steps))


@pytest.mark.requirement("RFC-CC-NO-REFRESH")
@pytest.mark.verdict("fails")
def test_cc_no_refresh__a_refresh_token_fails(record: Record, fails: Fails) -> None:
    steps = [("cc-0", token()), ("cc-1", token(refresh_token=ISSUED_REFRESH))]
    failure = fails("RFC-CC-NO-REFRESH", play(record, steps))
    assert "cc_success/token-1" in failure.received


# --- RFC-REFRESH-ROTATION (MAY: it reports, it never fails) --------------------------------

ROTATIONS = {
    "no-new-refresh-token": (
        [("refresh", token())],
        "The server keeps the refresh token: a refresh issued no new one (RFC 6749 6: MAY).",
    ),
    "the-same-refresh-token": (
        [("refresh", token(refresh_token=ISSUED_REFRESH))],
        "The server keeps the refresh token: a refresh issued no new one (RFC 6749 6: MAY).",
    ),
    "rotated-old-refused": (
        [
            ("refresh", token(refresh_token=ROTATED_REFRESH)),
            ("reuse-old", refused(400, "invalid_grant")),
        ],
        "The server rotates refresh tokens: a refresh issues a new one; "
        "the old one is refused afterwards.",
    ),
    "rotated-old-still-works": (
        [("refresh", token(refresh_token=ROTATED_REFRESH)), ("reuse-old", token())],
        "The server rotates refresh tokens: a refresh issues a new one; the old one still works.",
    ),
}


@pytest.mark.requirement("RFC-REFRESH-ROTATION")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(("steps", "observed"), list(ROTATIONS.values()), ids=list(ROTATIONS))
def test_refresh_rotation__reports_what_the_server_does(
    record: Record, run_check: Judge, steps: list[Step], observed: str
) -> None:
    exchanges = play(record, [("refresh-login", LOGIN), *steps])
    assert run_check("RFC-REFRESH-ROTATION", exchanges) == observed


@pytest.mark.requirement("RFC-REFRESH-ROTATION")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "reuse",
    [token(), refused(500, "server_error"), NO_ANSWER],
    ids=["old-still-works", "old-gets-500", "old-gets-no-answer"],
)
def test_refresh_rotation__never_fails_whatever_the_old_token_gets(
    record: Record, run_check: Judge, reuse: Answer
) -> None:
    """A MAY has no failing side: whatever the server does is reported, never a Failure."""
    steps = [
        ("refresh-login", LOGIN),
        ("refresh", token(refresh_token=ROTATED_REFRESH)),
        ("reuse-old", reuse),
    ]
    try:
        observed = run_check("RFC-REFRESH-ROTATION", play(record, steps))
    except Failure as failure:  # pragma: no cover - the claim is that this never happens
        pytest.fail(f"a MAY requirement failed: {failure}")
    assert observed and observed.startswith("The server rotates refresh tokens")


@pytest.mark.requirement("RFC-REFRESH-ROTATION")
@pytest.mark.verdict("skips")
def test_refresh_rotation__refresh_refused_skips(record: Record, skips: Skips) -> None:
    steps = [("refresh-login", LOGIN), ("refresh", refused(400, "invalid_grant"))]
    skipped = skips("RFC-REFRESH-ROTATION", play(record, steps))
    assert "RFC-REFRESH-SUCCESS" in str(skipped)


# --- the whole run's answers: RFC-PARAMS-ONCE ----------------------------------------------


@pytest.mark.requirement("RFC-PARAMS-ONCE")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "content",
    [
        b'{"access_token": "a", "token_type": "Bearer", "refresh_token": "a"}',
        b'{"access_token": "a", "Access_Token": "b", "token_type": "Bearer"}',
    ],
    ids=["same-value-twice", "names-differing-in-case"],
)
def test_params_once__each_name_once_passes(
    record: Record, run_check: Judge, content: bytes
) -> None:
    run_check("RFC-PARAMS-ONCE", _two_tokens(record, raw(200, content)))


@pytest.mark.requirement("RFC-PARAMS-ONCE")
@pytest.mark.verdict("passes")
def test_params_once__a_name_repeated_inside_a_nested_object_passes(
    record: Record, run_check: Judge
) -> None:
    content = b'{"access_token": "a", "token_type": "Bearer", "details": {"n": 1, "n": 2}}'
    run_check("RFC-PARAMS-ONCE", _two_tokens(record, raw(200, content)))


PARAMS_REPEATED = [  # (id, request, answer, the name repeated)
    (
        "access_token",
        "password",
        raw(200, b'{"access_token": "a", "token_type": "Bearer", "access_token": "b"}'),
        "access_token",
    ),
    (
        "token_type-same-value",
        "password",
        raw(200, b'{"access_token": "a", "token_type": "Bearer", "token_type": "Bearer"}'),
        "token_type",
    ),
    (
        "error",
        "two-auth",
        raw(400, b'{"error": "invalid_request", "error": "invalid_client"}'),
        "error",
    ),
    (
        "error-answering-the-get",
        "get",
        raw(405, b'{"error": "invalid_request", "error_uri": "x", "error_uri": "y"}'),
        "error_uri",
    ),
]


@pytest.mark.requirement("RFC-PARAMS-ONCE")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("request_key", "answer", "name"),
    [pytest.param(key, answer, name, id=case) for case, key, answer, name in PARAMS_REPEATED],
)
def test_params_once__a_repeated_member_fails(
    record: Record, fails: Fails, request_key: str, answer: Answer, name: str
) -> None:
    failure = fails("RFC-PARAMS-ONCE", play(record, [("cc-0", token()), (request_key, answer)]))
    assert failure.received.startswith(f"{name!r} repeated")


@pytest.mark.requirement("RFC-PARAMS-ONCE")
@pytest.mark.verdict("skips")
def test_params_once__no_json_object_answer_skips(record: Record, skips: Skips) -> None:
    steps = [
        ("json-body", {"status": 415, "content": b""}),
        ("get", raw(405, b"<html>Method Not Allowed</html>", "text/html")),
        ("cc-0", raw(200, b'["a"]')),
        ("cc-1", NO_ANSWER),
    ]
    skips("RFC-PARAMS-ONCE", play(record, steps))


# --- the whole run's error answers: RFC-ERROR-BODY, -ERROR-CHARSET, -ERROR-STATUS -----------


def _after_a_token(record: Record, request_key: str, answer: Answer) -> list[Exchange]:
    """A conforming client_credentials answer, then `answer` to `request_key`."""
    return play(record, [("cc-0", token()), (request_key, answer)])


HTML = b"<html><body>Bad Request</body></html>"

ERROR_BODY_RIGHT: dict[str, Answer] = {
    "description-and-uri": refused(
        400, "invalid_request", error_uri="https://example.com/errors/invalid_request"
    ),
    "error-alone": refused(400, "invalid_request", error_description=None),
    "charset-parameter": refused(
        400, "invalid_request", {"Content-Type": "application/json; charset=utf-8"}
    ),
    "401": refused(401, "invalid_client"),
    "extra-members": refused(400, "invalid_request", trace_id="4bf92f35"),
}
ERROR_BODY_WRONG = [  # (id, answer, what the failure says first)
    ("html", raw(400, HTML, "text/html"), "no JSON object"),
    (
        "json-as-text-plain",
        raw(400, b'{"error": "invalid_request"}', "text/plain"),
        "media type text/plain",
    ),
    (
        "json-without-media-type",
        raw(400, b'{"error": "invalid_request"}', None),
        "media type missing",
    ),
    (
        "empty-401",
        {**raw(401, b"", None), "headers": {"WWW-Authenticate": BASIC_CHALLENGE}},
        "no JSON object",
    ),
    ("json-array", raw(400, b'[{"error": "invalid_request"}]'), "no JSON object"),
    (
        "platform-body",
        {"status": 400, "json": {"code": "CMN_90011", "message": "x"}},
        "no string error member",
    ),
    ("error-number", raw(400, b'{"error": 400}'), "no string error member"),
    ("error-null", raw(400, b'{"error": null}'), "no string error member"),
    (
        "description-list",
        refused(400, "invalid_request", error_description=["x"]),
        "error_description is not a string",
    ),
    ("uri-number", refused(400, "invalid_request", error_uri=42), "error_uri is not a string"),
]


@pytest.mark.requirement("RFC-ERROR-BODY")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("answer", list(ERROR_BODY_RIGHT.values()), ids=list(ERROR_BODY_RIGHT))
def test_error_body__a_5_2_body_passes(record: Record, run_check: Judge, answer: Answer) -> None:
    run_check("RFC-ERROR-BODY", _after_a_token(record, "two-auth", answer))


@pytest.mark.requirement("RFC-ERROR-BODY")
@pytest.mark.verdict("passes")
def test_error_body__other_statuses_and_the_get_are_not_judged_passes(
    record: Record, run_check: Judge
) -> None:
    steps = [
        ("two-auth", refused(400, "invalid_request")),
        ("restricted", raw(403, HTML, "text/html")),
        ("json-body", raw(500, b"Internal Server Error", "text/plain")),
        ("get", raw(400, HTML, "text/html")),
    ]
    run_check("RFC-ERROR-BODY", play(record, steps))


@pytest.mark.requirement("RFC-ERROR-BODY")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("answer", "problem"),
    [pytest.param(answer, problem, id=case) for case, answer, problem in ERROR_BODY_WRONG],
)
def test_error_body__another_400_or_401_fails(
    record: Record, fails: Fails, answer: Answer, problem: str
) -> None:
    failure = fails("RFC-ERROR-BODY", _after_a_token(record, "two-auth", answer))
    assert failure.title == "An error answer is not the one RFC 6749 5.2 defines."
    assert failure.received.startswith(f"{problem}: HTTP {answer['status']}")


@pytest.mark.requirement("RFC-ERROR-BODY")
@pytest.mark.verdict("skips")
def test_error_body__no_400_or_401_to_a_post_skips(record: Record, skips: Skips) -> None:
    steps = [
        ("cc-0", token()),
        ("restricted", refused(403, "unauthorized_client")),
        ("get", refused(400, "invalid_request")),
        ("no-header", NO_ANSWER),
    ]
    skips("RFC-ERROR-BODY", play(record, steps))


EVERY_NQSCHAR = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in '"\\')

ERROR_CHARSET_RIGHT: dict[str, dict[str, Any]] = {
    "plain-description": {"error_description": "Client authentication failed."},
    "every-nqschar-description": {"error_description": EVERY_NQSCHAR},
    "uri": {"error_uri": "https://example.com/errors/invalid_request?lang=en#section-5.2"},
    "every-uri-char": {"error_uri": EVERY_NQCHAR},
    "no-description": {"error_description": None},
}
ERROR_CHARSET_WRONG: dict[str, dict[str, Any]] = {
    "description-non-ascii": {"error_description": "Ungültiger Client"},
    "description-quote": {"error_description": 'Client "x" is unknown'},
    "description-backslash": {"error_description": "see C:\\errors"},
    "description-newline": {"error_description": "line\nbreak"},
    "description-empty": {"error_description": ""},  # A.8: 1*NQSCHAR
    "error-non-ascii": {"error": "invalid_requést"},
    "error-quote": {"error": 'invalid_"request'},
    "uri-space": {"error_uri": "https://example.com/errors/invalid request"},
    "uri-non-ascii": {"error_uri": "https://example.com/erreur/é"},
    "uri-quote": {"error_uri": 'https://example.com/"x"'},
    "uri-empty": {"error_uri": ""},
}


@pytest.mark.requirement("RFC-ERROR-CHARSET")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "members", list(ERROR_CHARSET_RIGHT.values()), ids=list(ERROR_CHARSET_RIGHT)
)
def test_error_charset__5_2_characters_pass(
    record: Record, run_check: Judge, members: dict[str, Any]
) -> None:
    answer = refused(400, "invalid_request", **members)
    run_check("RFC-ERROR-CHARSET", _after_a_token(record, "two-auth", answer))


@pytest.mark.requirement("RFC-ERROR-CHARSET")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "members", list(ERROR_CHARSET_WRONG.values()), ids=list(ERROR_CHARSET_WRONG)
)
@pytest.mark.parametrize(
    ("request_key", "status"), [("two-auth", 400), ("restricted", 403)], ids=["400", "403"]
)
def test_error_charset__other_characters_fail(
    record: Record, fails: Fails, members: dict[str, Any], request_key: str, status: int
) -> None:
    """Judged in every error body, whatever its status."""
    answer = refused(status, "invalid_request", **members)
    failure = fails("RFC-ERROR-CHARSET", _after_a_token(record, request_key, answer))
    name = next(iter(members))
    assert failure.title == f"The {name} value holds characters RFC 6749 5.2 does not allow."
    assert failure.received.startswith(f"{name} {members[name]!r}")


@pytest.mark.requirement("RFC-ERROR-CHARSET")
@pytest.mark.verdict("fails")
def test_error_charset__an_empty_error_fails(record: Record, fails: Fails) -> None:
    fails("RFC-ERROR-CHARSET", _after_a_token(record, "two-auth", refused(400, "")))


@pytest.mark.requirement("RFC-ERROR-CHARSET")
@pytest.mark.verdict("skips")
def test_error_charset__no_error_member_skips(record: Record, skips: Skips) -> None:
    steps = [
        ("cc-0", token()),
        ("json-body", {"status": 415, "content": b""}),
        ("two-auth", raw(400, b'{"error": 5}')),
    ]
    skips("RFC-ERROR-CHARSET", play(record, steps))


SECTION_5_2 = (
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
)
ERROR_STATUS_WRONG = [
    (403, "unauthorized_client"),
    (401, "invalid_grant"),
    (403, "invalid_client"),
    (500, "invalid_request"),
    (404, "unsupported_grant_type"),
    (200, "invalid_scope"),
]


@pytest.mark.requirement("RFC-ERROR-STATUS")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    ("status", "code"),
    [*((400, code) for code in SECTION_5_2), (401, "invalid_client")],
    ids=[*(f"400-{code}" for code in SECTION_5_2), "401-invalid_client"],
)
def test_error_status__400_or_401_for_invalid_client_passes(
    record: Record, run_check: Judge, status: int, code: str
) -> None:
    run_check("RFC-ERROR-STATUS", _after_a_token(record, "two-auth", refused(status, code)))


@pytest.mark.requirement("RFC-ERROR-STATUS")
@pytest.mark.verdict("passes")
def test_error_status__other_errors_and_the_get_are_not_judged_passes(
    record: Record, run_check: Judge
) -> None:
    steps = [
        ("two-auth", refused(400, "invalid_request")),
        ("restricted", refused(403, "access_denied")),
        ("json-body", refused(500, "server_error")),
        ("get", refused(405, "invalid_request")),
    ]
    run_check("RFC-ERROR-STATUS", play(record, steps))


@pytest.mark.requirement("RFC-ERROR-STATUS")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("status", "code"), ERROR_STATUS_WRONG, ids=[f"{s}-{c}" for s, c in ERROR_STATUS_WRONG]
)
def test_error_status__another_status_fails(
    record: Record, fails: Fails, status: int, code: str
) -> None:
    failure = fails("RFC-ERROR-STATUS", _after_a_token(record, "restricted", refused(status, code)))
    assert failure.title == "An RFC 6749 5.2 error came with the wrong status."
    assert failure.received.startswith(f"HTTP {status}, error {code!r}")
    allowed = "HTTP 400 or HTTP 401" if code == "invalid_client" else "HTTP 400"
    assert failure.expected == allowed


EMPTY_BODIES: dict[str, Answer] = {
    "empty": raw(401, b"", None),
    "empty-with-challenge": {**raw(401, b"", None), "headers": {"WWW-Authenticate": "Basic"}},
    "text": raw(400, b"Bad Request", "text/plain"),
    "json-array": raw(400, b"[]"),
}
CLIENT_FAILURES = ("no-header", "wrong-secret", "unknown-client", "not-basic", *MALFORMED_BASIC)


@pytest.mark.requirement("RFC-ERROR-STATUS")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("request_key", CLIENT_FAILURES)
@pytest.mark.parametrize("answer", list(EMPTY_BODIES.values()), ids=list(EMPTY_BODIES))
def test_error_status__a_failed_client_authentication_in_400_or_401_without_5_2_body_passes(
    record: Record, run_check: Judge, request_key: str, answer: Answer
) -> None:
    run_check("RFC-ERROR-STATUS", play(record, [(request_key, answer)]))


@pytest.mark.requirement("RFC-ERROR-STATUS")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("request_key", CLIENT_FAILURES)
@pytest.mark.parametrize(
    "answer",
    [raw(403, b"", None), raw(403, b"Forbidden", "text/plain"), raw(500, b"{}")],
    ids=["403-empty", "403-text", "500-empty-object"],
)
def test_error_status__a_failed_client_authentication_in_another_status_fails_whatever_the_body(
    record: Record, fails: Fails, request_key: str, answer: Answer
) -> None:
    # Glewlwyd's 403 with an empty body to a wrong secret: the request says invalid_client
    failure = fails("RFC-ERROR-STATUS", play(record, [(request_key, answer)]))
    assert failure.title == "An RFC 6749 5.2 error came with the wrong status."
    assert failure.expected == "HTTP 400 or HTTP 401"
    assert failure.received.startswith(f"HTTP {answer['status']}")


@pytest.mark.requirement("RFC-ERROR-STATUS")
@pytest.mark.verdict("passes")
def test_error_status__a_body_saying_another_5_2_error_is_judged_by_it_passes(
    record: Record, run_check: Judge
) -> None:
    # the wrong code is RFC-INVALID-CLIENT's; its status follows the code the body names
    run_check("RFC-ERROR-STATUS", play(record, [("wrong-secret", refused(400, "invalid_request"))]))


@pytest.mark.requirement("RFC-ERROR-STATUS")
@pytest.mark.verdict("skips")
def test_error_status__a_token_or_no_answer_to_a_failed_client_authentication_skips(
    record: Record, skips: Skips
) -> None:
    # a token for a wrong secret is RFC-INVALID-CLIENT's failure, not a status
    skips("RFC-ERROR-STATUS", play(record, [("wrong-secret", token()), ("bare-basic", NO_ANSWER)]))


@pytest.mark.requirement("RFC-ERROR-STATUS")
@pytest.mark.verdict("fails")
def test_error_status__a_header_value_outside_ascii_refused_with_401_invalid_request_fails(
    record: Record, fails: Fails
) -> None:
    failure = fails(
        "RFC-ERROR-STATUS", play(record, [("obs-text-header", refused(401, "invalid_request"))])
    )
    assert failure.expected == "HTTP 400"
    assert "header_obs_text/obs-text" in failure.received


@pytest.mark.requirement("RFC-ERROR-STATUS")
@pytest.mark.verdict("skips")
def test_error_status__a_header_value_outside_ascii_that_gets_a_token_skips(
    record: Record, skips: Skips
) -> None:
    # obs-text is valid HTTP: a server that ignores the header has nothing to answer for
    skips("RFC-ERROR-STATUS", play(record, [("obs-text-header", token())]))


@pytest.mark.requirement("RFC-ERROR-STATUS")
@pytest.mark.verdict("skips")
def test_error_status__no_5_2_error_skips(record: Record, skips: Skips) -> None:
    steps = [
        ("cc-0", token()),
        ("restricted", refused(403, "access_denied")),
        ("get", refused(405, "invalid_request")),
    ]
    skips("RFC-ERROR-STATUS", play(record, steps))


# --- RFC-401-CHALLENGE ---------------------------------------------------------------------


@pytest.mark.requirement("RFC-401-CHALLENGE")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "challenge",
    [BASIC_CHALLENGE, 'Bearer realm="api"', 'Newauth realm="apps", type=1'],
    ids=["basic", "bearer", "any-scheme"],
)
def test_401_challenge__any_challenge_passes(
    record: Record, run_check: Judge, challenge: str
) -> None:
    answer = refused(401, "invalid_client", {"WWW-Authenticate": challenge})
    steps = [("wrong-secret", refused(401, "invalid_client")), ("no-header", answer)]
    run_check("RFC-401-CHALLENGE", play(record, steps))


@pytest.mark.requirement("RFC-401-CHALLENGE")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("request_key", "challenge"),
    [("no-header", None), ("no-header", ""), ("get", None)],
    ids=["missing", "empty", "missing-on-the-get"],
)
def test_401_challenge__a_401_without_one_fails(
    record: Record, fails: Fails, request_key: str, challenge: str | None
) -> None:
    answer = refused(401, "invalid_client", {"WWW-Authenticate": challenge})
    steps = [("wrong-secret", refused(401, "invalid_client")), (request_key, answer)]
    failure = fails("RFC-401-CHALLENGE", play(record, steps))
    assert failure.title == "A 401 carries no WWW-Authenticate challenge."
    assert f"({REQUESTS[request_key].scenario}/{REQUESTS[request_key].label})" in failure.received


@pytest.mark.requirement("RFC-401-CHALLENGE")
@pytest.mark.verdict("skips")
def test_401_challenge__no_401_skips(record: Record, skips: Skips) -> None:
    steps = [
        ("cc-0", token()),
        ("no-header", refused(400, "invalid_client")),
        ("restricted", refused(403, "unauthorized_client", {"WWW-Authenticate": None})),
    ]
    skips("RFC-401-CHALLENGE", play(record, steps))


# --- RFC-POST-ONLY / RFC-BODY-FORM ---------------------------------------------------------

POST_ONLY_RIGHT: dict[str, Answer] = {
    "405": {"status": 405, "content": b"", "headers": {"Allow": "POST"}},
    "405-json-error": refused(405, "invalid_request", {"Allow": "POST"}),
    "400-invalid_request": refused(400, "invalid_request"),
    "404": {"status": 404, "content": b""},
    "200-html-page": raw(200, b"<html>Sign in</html>", "text/html"),
    "200-without-token": {"status": 200, "json": {"token_type": "Bearer"}},
    "302-not-followed": {"status": 302, "content": b"", "headers": {"Location": "/login"}},
    "no-answer": NO_ANSWER,
}
POST_ONLY_WRONG: dict[str, Answer] = {"200-token": token(), "201-token": token(201)}


@pytest.mark.requirement("RFC-POST-ONLY")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("answer", list(POST_ONLY_RIGHT.values()), ids=list(POST_ONLY_RIGHT))
def test_post_only__anything_but_a_token_passes(
    record: Record, run_check: Judge, answer: Answer
) -> None:
    run_check("RFC-POST-ONLY", play(record, [("get", answer)]))


@pytest.mark.requirement("RFC-POST-ONLY")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("answer", list(POST_ONLY_WRONG.values()), ids=list(POST_ONLY_WRONG))
def test_post_only__a_token_to_the_get_fails(record: Record, fails: Fails, answer: Answer) -> None:
    failure = fails("RFC-POST-ONLY", play(record, [("get", answer)]))
    assert failure.title == "GET on the token endpoint issued a token."
    assert failure.received.endswith("with an access_token (method_not_post/GET)")


BODY_FORM_RIGHT: dict[str, Answer] = {
    "415": {"status": 415, "content": b""},
    "415-json-error": refused(415, "invalid_request"),
    "400-invalid_request": refused(400, "invalid_request"),
    "400-unsupported_grant_type": refused(400, "unsupported_grant_type"),
}
BODY_FORM_WRONG: dict[str, Answer] = {
    "200-token": token(),
    "200-without-token": {"status": 200, "json": {}},
    "400-html": raw(400, HTML, "text/html"),
    "400-platform-body": {"status": 400, "json": {"code": "CMN_90011", "message": "x"}},
    "401-invalid_client": refused(401, "invalid_client"),
    "500-server_error": refused(500, "server_error"),
    "no-answer": NO_ANSWER,
}


@pytest.mark.requirement("RFC-BODY-FORM")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("answer", list(BODY_FORM_RIGHT.values()), ids=list(BODY_FORM_RIGHT))
def test_body_form__415_or_400_with_an_error_passes(
    record: Record, run_check: Judge, answer: Answer
) -> None:
    run_check("RFC-BODY-FORM", play(record, [("json-body", answer)]))


@pytest.mark.requirement("RFC-BODY-FORM")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("answer", list(BODY_FORM_WRONG.values()), ids=list(BODY_FORM_WRONG))
def test_body_form__anything_else_fails(record: Record, fails: Fails, answer: Answer) -> None:
    failure = fails("RFC-BODY-FORM", play(record, [("json-body", answer)]))
    assert failure.title == "A JSON body was not refused."


# --- RFC-NO-5XX (D20, D31 under RFC 6749) ---------------------------------------------------


@pytest.mark.requirement("RFC-NO-5XX")
@pytest.mark.verdict("passes")
def test_no_5xx__4xx_answers_to_malformed_requests_pass(record: Record, run_check: Judge) -> None:
    run_check("RFC-NO-5XX", _after_a_token(record, "two-auth", refused(400, "invalid_request")))


@pytest.mark.requirement("RFC-NO-5XX")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "answer",
    [refused(500, "server_error"), raw(502, b"Bad Gateway", "text/plain"), raw(500, b"")],
    ids=["500-server_error", "502-text", "500-empty"],
)
def test_no_5xx__a_server_error_fails(record: Record, fails: Fails, answer: Answer) -> None:
    exchanges = _after_a_token(record, "two-auth", answer)
    failure = fails("RFC-NO-5XX", exchanges)
    assert failure.exchange is exchanges[-1]
    assert failure.title == "The target failed with a server error."


# The requests whose only verdict may be "no 5xx", and the malformed Basic credentials a
# server fails on when it decodes them without catching the failure (Authlib 1.9: 500).
ODD_REQUESTS = ("not-utf8", "escape-not-utf8", "no-content-type", "chunked", "obs-text-header")


@pytest.mark.requirement("RFC-NO-5XX")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("run", [STRICT_RUN, OTHER_CHOICES_RUN], ids=["strict", "other-choices"])
def test_no_5xx__odd_requests_refused_or_served_pass(
    record: Record, run_check: Judge, run: dict[str, Answer]
) -> None:
    run_check("RFC-NO-5XX", play(record, [(key, run[key]) for key in ODD_REQUESTS]))


@pytest.mark.requirement("RFC-NO-5XX")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("request_key", ODD_REQUESTS)
def test_no_5xx__a_server_error_to_an_odd_request_fails(
    record: Record, fails: Fails, request_key: str
) -> None:
    steps = [(key, STRICT_RUN[key]) for key in ODD_REQUESTS if key != request_key]
    exchanges = play(record, [*steps, (request_key, raw(500, b"Internal Server Error", None))])
    failure = fails("RFC-NO-5XX", exchanges)
    assert failure.exchange is exchanges[-1]


@pytest.mark.verdict("passes")
@pytest.mark.parametrize("requirement_id", ["RFC-ERROR-BODY", "RFC-ERROR-STATUS"])
def test_error_rules__an_answer_to_another_framing_of_the_body_is_not_judged_passes(
    record: Record, run_check: Judge, requirement_id: str
) -> None:
    # body_framing's requests are not the token operation's form: only RFC-NO-5XX judges them
    steps = [
        ("two-auth", refused(400, "invalid_request")),
        ("no-content-type", refused(401, "invalid_request")),
        ("chunked", raw(400, b"<html>Length Required</html>", "text/html")),
    ]
    run_check(requirement_id, play(record, steps))


@pytest.mark.requirement("RFC-NO-5XX")
@pytest.mark.verdict("skips")
def test_no_5xx__nothing_answered_skips(skips: Skips) -> None:
    skips("RFC-NO-5XX", [])


# --- RFC-ERROR-CODE-KNOWN (5.2, 8.5) --------------------------------------------------------


@pytest.mark.requirement("RFC-ERROR-CODE-KNOWN")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("code", ["invalid_request", "unsupported_grant_type", "invalid_target"])
def test_error_code_known__a_listed_or_registered_code_passes(
    record: Record, run_check: Judge, code: str
) -> None:
    run_check("RFC-ERROR-CODE-KNOWN", _after_a_token(record, "two-auth", refused(400, code)))


@pytest.mark.requirement("RFC-ERROR-CODE-KNOWN")
@pytest.mark.verdict("passes")
def test_error_code_known__answers_without_a_code_are_not_its_to_judge(
    record: Record, run_check: Judge
) -> None:
    # A 400 with no error member is RFC-ERROR-BODY's; a 500 is RFC-NO-5XX's.
    exchanges = _after_a_token(record, "two-auth", raw(400, b"{}"))
    exchanges += play(record, [("two-auth", refused(500, "unsupported_content_type"))])
    exchanges += play(record, [("two-auth", refused(400, "invalid_request"))])
    run_check("RFC-ERROR-CODE-KNOWN", exchanges)


@pytest.mark.requirement("RFC-ERROR-CODE-KNOWN")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("status", [400, 401])
@pytest.mark.parametrize("code", ["unsupported_content_type", "invalid_token", "server_error"])
def test_error_code_known__a_code_of_its_own_fails(
    record: Record, fails: Fails, status: int, code: str
) -> None:
    exchanges = _after_a_token(record, "two-auth", refused(status, code))
    failure = fails("RFC-ERROR-CODE-KNOWN", exchanges)
    assert failure.exchange is exchanges[-1]
    assert repr(code) in failure.received


@pytest.mark.requirement("RFC-ERROR-CODE-KNOWN")
@pytest.mark.verdict("skips")
def test_error_code_known__no_coded_error_skips(record: Record, skips: Skips) -> None:
    skips("RFC-ERROR-CODE-KNOWN", [])
    skips("RFC-ERROR-CODE-KNOWN", play(record, [("cc-0", token())]))
