"""The schemathesis phase against the reference over real HTTP, and its parts in isolation.

Against the clean reference the phase sends positive cases for every grant, negative and
coverage cases, and nothing it records fails a check. The same seed sends the same
requests. Unit tests pin the judged-negative rule (only a broken *required* field of the
grant is judged) and schemathesis' verdicts on hand-made exchanges.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from conformance.checks import ALL, CHECKS, CheckContext
from conformance.contract import load_contract
from conformance.errors import Failure, Skipped
from conformance.exchange import ANONYMOUS, Exchange, RecordedRequest, RecordedResponse
from conformance.properties.schema_cases import (
    case_body,
    encode_body,
    request_label,
    required_violations,
    token_operation,
)
from conformance.properties.schema_verdicts import Judging, verdicts
from conformance.properties.schemathesis_phase import CHAINS, CODE_EXAMPLES
from conformance.run_context import RunContext
from tests.fixtures.targets import reference_context

PHASE = ("prop_positive", "prop_negative", "prop_coverage")
GRANTS = ("client_credentials", "password", "authorization_code", "refresh_token")
FORM = "application/x-www-form-urlencoded"
TXID = "3f1c2a5e-8b9d-4c7e-a1f2-0b3c4d5e6f70"
SECRET = "configured-secret-1"


def _record(ctx: RunContext) -> list[Exchange]:
    return [e for name in PHASE for e in ctx.exchanges(name)]


def _failures(ctx: RunContext, exchanges: Sequence[Exchange]) -> list[str]:
    """Every check that reads the phase, judged on what the phase recorded."""
    contract = ctx.contract
    secrets = tuple(ctx.settings.secrets())
    found = []
    ids = {r.id for r in contract.requirements}  # the run's contract, not another profile's
    for rid, check in CHECKS.items():
        if rid not in ids or (check.uses != ALL and not set(check.uses) & set(PHASE)):
            continue
        try:
            check.function(list(exchanges), CheckContext(rid, "1.3.1", contract, secrets))
        except Failure as failure:
            found.append(f"{rid}: {failure.render()}")
        except Skipped:
            pass
    return found


# --- against the reference -------------------------------------------------------------


def test_clean_reference__every_grant_negatives_and_coverage_and_no_failure() -> None:
    with reference_context(examples=12, seed=11) as ctx:
        exchanges = _record(ctx)
        assert _failures(ctx, exchanges) == []
    positive = Counter(e.grant for e in exchanges if e.scenario == "prop_positive")
    assert positive == {
        "client_credentials": 12,
        "password": 12 + CHAINS,  # each refresh chain's login
        "refresh_token": 12,
        "authorization_code": 5,  # codes may come from a command: a few only
    }
    assert all(e.status == 200 for e in exchanges if e.scenario == "prop_positive")
    negative = [e for e in exchanges if e.label == "negative"]
    assert len(negative) >= 12 and all(e.status == 400 for e in negative)
    assert {e.scenario for e in negative} == {"prop_negative", "prop_coverage"}
    assert not [f for e in exchanges for f in e.findings]
    coverage = [e for e in exchanges if e.scenario == "prop_coverage"]
    shapes = {e.request.method for e in coverage if e.label == "request-shape"}
    assert shapes >= {"POST", "GET", "PUT", "DELETE"}  # POST: the media type probes
    broken = [e for e in coverage if e.label == "header-negative"]
    assert any(e.request.header("Authorization") is None and e.status == 401 for e in broken)
    assert any(e.sent_transaction_id == "null" and e.status == 400 for e in broken)


def test_positive__credentials_are_configured_and_only_unknown_parameters_vary() -> None:
    with reference_context(examples=20, seed=3) as ctx:
        positive = [e for e in ctx.exchanges("prop_positive") if e.label == "positive"]
        settings = ctx.settings
    for exchange in positive:
        fields = dict(_form(exchange))
        assert exchange.request.header("institutionId") == settings.institution_id
        assert (exchange.request.header("Authorization") or "").startswith("Basic ")
        if exchange.grant == "password":
            assert (fields["username"], fields["password"]) == (
                settings.username,
                settings.password,
            )
        assert "scopes" not in fields and "client_secret" not in fields
    extras = [n for e in positive for n, _ in _form(e) if n not in _REQUIRED[e.grant or ""]]
    assert extras, "no positive case carried an unknown parameter"
    ids = [e.sent_transaction_id for e in positive]
    assert len(set(ids)) == len(ids)


def test_positive__refresh_cases_chain_real_tokens() -> None:
    with reference_context(examples=8, seed=4) as ctx:
        sent = ctx.exchanges("prop_positive")
    refresh = [e for e in sent if e.grant == "refresh_token"]
    assert [e.status for e in refresh] == [200] * 8
    tokens = [dict(_form(e))["refresh_token"] for e in refresh]
    assert len(set(tokens)) == 8
    # CHAINS chains, recorded one after the other: each logs in once, then each case
    # uses the token the answer before it handed over (the reference rotates them).
    walked = [e for e in sent if e.label == "setup-login" or e.grant == "refresh_token"]
    assert [e.label for e in walked].count("setup-login") == CHAINS
    current = None
    for exchange in walked:
        if exchange.label != "setup-login":
            assert dict(_form(exchange))["refresh_token"] == current
        current = (exchange.body_object() or {}).get("refresh_token")


def test_positive__without_authorization_codes_the_grant_is_left_out() -> None:
    with reference_context(examples=4, seed=5, with_auth_codes=False) as ctx:
        grants = {e.grant for e in ctx.exchanges("prop_positive")}
    assert grants == {"client_credentials", "password", "refresh_token"}


def _requests(seed: int) -> list[tuple[Any, ...]]:
    with reference_context(examples=10, seed=seed) as ctx:
        return [
            (
                e.scenario,
                e.request.method,
                urlsplit(e.request.url).path,
                tuple((k, v) for k, v in e.request.headers if k.lower() != "host"),
                # issued refresh tokens and codes differ per run: compare them masked
                ctx.redactor.body(e.request.body, FORM),
            )
            for e in _record(ctx)
        ]


def test_seed__same_seed_same_requests_other_seed_other_requests() -> None:
    first, again, other = _requests(2024), _requests(2024), _requests(2025)
    assert first == again
    assert len(first) > 60
    assert sum(a != b for a, b in zip(first, other, strict=False)) > len(first) // 2


def test_budget__the_phase_stops_at_max_requests_and_keeps_what_it_sent() -> None:
    with reference_context(examples=50, seed=6, max_requests=80) as ctx:
        ctx.exchanges("cc_success")
        sent = _record(ctx)
        assert ctx.sender.requests_sent == 80
    assert 0 < len(sent) <= 78


def test_max_time__no_time_left_sends_nothing() -> None:
    with reference_context(examples=50, seed=6, max_time=0.0) as ctx:
        assert _record(ctx) == []


def test_wrong_password_cap__generated_logins_of_the_configured_user_respect_it() -> None:
    # The coverage phase sends the document's example user; make it the configured one.
    with reference_context(
        examples=3, seed=8, username="userTest", wrong_password_cap=1, with_auth_codes=False
    ) as ctx:
        sent = _record(ctx)
        # The server knows no userTest, so it refuses even logins with the configured
        # password; those count against the cap too (they cannot be foreseen, only counted).
        wrong = ctx.wrong_password_attempts - ctx.refused_logins
        refused = ctx.refused_logins
    logins = [
        e
        for e in sent
        if dict(_form(e)).get("username") == "userTest"
        and dict(_form(e)).get("password") != ctx.settings.password
    ]
    assert refused > 0
    assert wrong == len(logins) <= 1  # every wrong password sent was counted, within the cap


@pytest.mark.parametrize(
    ("fault", "scenario", "requirement_id"),
    [
        ("audit-log-ascii", "prop_positive", "NO-5XX"),
        ("code-blank-accepted", "prop_coverage", "SCHEMA-NEGATIVE-REJECTED"),
    ],
)
@pytest.mark.parametrize("seed", [1, 77])
def test_faults__generated_input_finds_them_within_25_examples(
    fault: str, scenario: str, requirement_id: str, seed: int
) -> None:
    with reference_context(faults=frozenset({fault}), examples=25, seed=seed) as ctx:
        sent = ctx.exchanges(scenario)
        context = CheckContext(requirement_id, "1.3.1", ctx.contract)
        with pytest.raises(Failure):
            CHECKS[requirement_id].function(sent, context)


# --- which negatives are judged ----------------------------------------------------------

_REQUIRED = {
    "client_credentials": {"grant_type"},
    "password": {"grant_type", "username", "password"},
    "authorization_code": {"grant_type", "code"},
    "refresh_token": {"grant_type", "refresh_token"},
    "": set(),
}


def _form(exchange: Exchange) -> list[tuple[str, str]]:
    return parse_qsl(exchange.request.body.decode(), keep_blank_values=True)


@pytest.mark.parametrize(
    "body",
    [
        {"grant_type": "client_credentials", "scopes": 5},  # optional field of the wrong type
        {"grant_type": "client_credentials", "x-unknown": {"a": None}},  # unknown parameter
        {"grant_type": "authorization_code", "code": 0},  # "0" on the wire: a valid string
        {"grant_type": "password", "username": "u", "password": "p", "scopes": []},
    ],
)
def test_judged__only_optional_or_unknown_fields_broken_is_not_judged(body: Any) -> None:
    sent = encode_body(body)
    assert required_violations(sent, "1.3.1") == []
    assert request_label(sent, "1.3.1", negative=True, headers_valid=True) == (
        "optional-only",
        None,
    )


@pytest.mark.parametrize(
    ("body", "violation"),
    [
        ({"grant_type": "authorization_code", "code": ""}, "code: minLength"),
        ({"grant_type": "password", "password": "p"}, "username: required"),
        ({"grant_type": "client_credentials "}, "grant_type: names no grant"),
        ({"grant_type": ""}, "grant_type: names no grant"),
        ({"scopes": "accounts:read"}, "grant_type: missing"),
        ({"grant_type": ["refresh_token", "refresh_token"]}, "grant_type: repeated"),
        ([1, 2], "grant_type: missing"),
        (b"grant_type=client_credentials&\xff", "body: not UTF-8"),
    ],
)
def test_judged__a_broken_required_field_is_judged(body: Any, violation: str) -> None:
    sent = encode_body(body)
    assert violation in required_violations(sent, "1.3.1")
    assert request_label(sent, "1.3.1", negative=True, headers_valid=True) == (
        "negative",
        "; ".join(required_violations(sent, "1.3.1")),
    )


def test_judged__a_generated_case_is_judged_on_its_body_as_sent() -> None:
    operation = token_operation("1.3.1")
    ignored = operation.Case(body={"grant_type": "password", "username": "u", "password": 7})
    judged = operation.Case(body={"grant_type": "password", "username": "u", "password": ""})
    assert request_label(case_body(ignored), "1.3.1", negative=True, headers_valid=True)[0] == (
        "optional-only"
    )
    assert request_label(case_body(judged), "1.3.1", negative=True, headers_valid=True) == (
        "negative",
        "password: minLength",
    )


def test_judged__a_broken_header_leaves_the_body_unjudged() -> None:
    sent = encode_body({"grant_type": ""})
    assert request_label(sent, "1.3.1", negative=True, headers_valid=False)[0] == "header-negative"
    assert request_label(sent, "1.3.1", negative=False, headers_valid=True)[0] == "positive"


# --- schemathesis' verdicts on hand-made exchanges ----------------------------------------


def _exchange(status: int, body: Any, headers: dict[str, str | None] | None = None) -> Exchange:
    answer = {"transactionId": TXID, "Content-Type": "application/json"}
    if status == 200:
        answer |= {"Cache-Control": "no-store", "Pragma": "no-cache"}
    for name, value in (headers or {}).items():
        answer.pop(name, None)
        if value is not None:
            answer[name] = value
    request = RecordedRequest(
        "POST",
        "http://target.test/oauth2/v1/token",
        (("transactionId", TXID), ("Content-Type", FORM)),
        urlencode({"grant_type": "client_credentials"}).encode(),
    )
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = RecordedResponse(status, tuple(answer.items()), content, 2.0)
    return Exchange("prop_positive", "positive", request, response, grant="client_credentials")


def _notes(exchange: Exchange, beside: frozenset[str] = frozenset()) -> list[str]:
    operation = token_operation("1.3.1", "client_credentials")
    case = operation.Case(body={"grant_type": "client_credentials"}, media_type=FORM)
    judging = Judging(replace(exchange, beside=beside), "1.3.1", load_contract(), (SECRET,))
    return [finding.check for finding in verdicts(case, exchange, judging)]


TOKEN = {"access_token": "a-1", "token_type": "Bearer", "expires_in": 3599}


def test_verdicts__a_conforming_token_response_has_none() -> None:
    assert _notes(_exchange(200, TOKEN)) == []
    assert _notes(_exchange(400, {"code": "CMN_90007", "message": "Invalid grant type"})) == []


@pytest.mark.parametrize(
    ("status", "body", "headers", "checks"),
    [
        (
            200,
            TOKEN,
            {"Cache-Control": None},
            {"cache_control_no_store", "response_headers_conformance"},
        ),
        (
            200,
            TOKEN,
            {"transactionId": "0e7b6a35-93f4-4d7a-9d0e-2a8c5f1b3e47"},
            {"transaction_id_echoed"},
        ),
        (200, TOKEN, {"Content-Type": "text/plain"}, {"content_type_conformance"}),
        (200, {**TOKEN, "expires_in": "1h"}, {}, {"response_schema_conformance"}),
        (200, {**TOKEN, "client_secret": SECRET}, {}, {"secret_not_echoed"}),
        (400, {"code": "CMN_90004", "message": "x"}, {}, {"error_body_cmn"}),
        (400, {"error": "invalid_request"}, {}, {"error_body_cmn", "response_schema_conformance"}),
        (500, {"code": "CMN_90000", "message": "x"}, {}, {"not_a_server_error"}),
        (418, {"code": "CMN_90011", "message": "x"}, {}, {"status_code_conformance"}),
    ],
)
def test_verdicts__each_broken_rule_is_named_by_its_check(
    status: int, body: Any, headers: dict[str, str | None], checks: set[str]
) -> None:
    assert set(_notes(_exchange(status, body, headers))) == checks


OTHER_TXID = "0e7b6a35-93f4-4d7a-9d0e-2a8c5f1b3e47"


def test_verdicts__another_requests_id_is_cross_talk_only_if_it_flew_beside() -> None:
    crossed = _exchange(200, TOKEN, {"transactionId": OTHER_TXID.upper()})
    # sent alone (or beside other requests): D2's mismatch, as ever
    assert _notes(crossed) == ["transaction_id_echoed"]
    assert _notes(crossed, frozenset({TXID, "1f0c"})) == ["transaction_id_echoed"]
    # the id of a request in flight beside it, or of one the target made up for a
    # request beside it that carried none: D23's, judged by TXID-CONCURRENT
    assert _notes(crossed, frozenset({OTHER_TXID})) == []
    assert _notes(crossed, frozenset({TXID, ANONYMOUS})) == []


def test_code_grant__its_codes_are_fetched_side_by_side_not_as_each_case_needs_one() -> None:
    # Each fetch is a request (or a command) of its own: all CODE_EXAMPLES wait at a
    # barrier that only breaks if they are in flight at once.
    with reference_context(examples=10, seed=5) as ctx:
        fetch = ctx._auth_code_source
        assert fetch is not None
        together = threading.Barrier(CODE_EXAMPLES, timeout=30)

        def fetched_together() -> str:
            together.wait()
            return fetch()

        ctx._auth_code_source = fetched_together
        positive = ctx.exchanges("prop_positive")
    codes = [e for e in positive if e.grant == "authorization_code"]
    assert len(codes) == CODE_EXAMPLES and all(e.status == 200 for e in codes)
