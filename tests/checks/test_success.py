"""The checks of what a valid request gets (`conformance.checks.success`), judged on
recordings: a token for each grant, no refresh token with client_credentials, a refresh
token with password, the authorization code's id_token. CODE-REUSE (a row of
`refusals.REFUSALS`) is judged here beside the code exchange it follows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conformance.errors import Failure, Skipped
from conformance.exchange import Exchange

Record = Callable[..., Exchange]
Judge = Callable[..., None]
Fails = Callable[..., Failure]
Skips = Callable[..., Skipped]
MakeJwt = Callable[..., str]

CC = "client_credentials"
PW = "password"
CODE = "authorization_code"


def _code(record: Record, status: int = 200, *, label: str = "exchange", **kwargs: Any) -> Exchange:
    form = {"grant_type": CODE, "code": "code-0CE0b2NA"}
    return record(status, scenario="code_flow", label=label, grant=CODE, form=form, **kwargs)


# --- CC-SUCCESS, PASSWORD-SUCCESS: a valid request gets a token ---------------------------

SUCCESS = {
    "CC-SUCCESS": {"scenario": "cc_success", "label": "token-0", "grant": CC},
    "PASSWORD-SUCCESS": {"scenario": "password_success", "label": "token", "grant": PW},
}
SUCCESS_TABLE = [pytest.param(rid, send, id=rid) for rid, send in SUCCESS.items()]


@pytest.mark.verdict("passes")
@pytest.mark.parametrize(("requirement_id", "send"), SUCCESS_TABLE)
def test_token_issued__200_with_access_token_passes(
    record: Record, run_check: Judge, requirement_id: str, send: dict[str, Any]
) -> None:
    run_check(requirement_id, [record(200, **send), record(200, **send)])


@pytest.mark.verdict("fails")
@pytest.mark.parametrize(("requirement_id", "send"), SUCCESS_TABLE)
@pytest.mark.parametrize(
    "answer",
    [
        {"status": 401, "error": "CMN_90004"},
        {"status": 400, "error": "CMN_90011"},
        {"status": 500, "error": "CMN_90000"},
        {"status": 200, "token": {"access_token": ""}},
        {"status": 200, "token": {"access_token": None}},
        {"status": 200, "token": {"access_token": 12345}},
        {"status": 200, "content": b"access_token=abc", "headers": {"Content-Type": "text/plain"}},
        {"status": 201},
    ],
    ids=["401", "400", "500", "empty-token", "no-token", "numeric-token", "not-json", "201"],
)
def test_token_issued__no_token_fails(
    record: Record, fails: Fails, requirement_id: str, send: dict[str, Any], answer: dict[str, Any]
) -> None:
    good = record(200, **send)
    failure = fails(requirement_id, [good, record(**{**send, **answer})])
    assert failure.expected == "HTTP 200 with a non-empty access_token"


@pytest.mark.verdict("fails")
@pytest.mark.parametrize(("requirement_id", "send"), SUCCESS_TABLE)
def test_token_issued__no_http_answer_fails(
    record: Record, fails: Fails, requirement_id: str, send: dict[str, Any]
) -> None:
    failure = fails(requirement_id, [record(raises=httpx.ConnectError, **send)])
    assert "no HTTP answer" in failure.received


@pytest.mark.verdict("skips")
@pytest.mark.parametrize(("requirement_id", "send"), SUCCESS_TABLE)
def test_token_issued__nothing_sent_skips(
    skips: Skips, requirement_id: str, send: dict[str, Any]
) -> None:
    skips(requirement_id, [])


# --- CC-NO-REFRESH, PASSWORD-REFRESH (D8) -------------------------------------------------


@pytest.mark.requirement("CC-NO-REFRESH")
@pytest.mark.verdict("passes")
def test_cc_no_refresh__token_without_refresh_token_passes(
    record: Record, run_check: Judge
) -> None:
    run_check("CC-NO-REFRESH", [record(200, label="token-0"), record(200, label="token-1")])


@pytest.mark.requirement("CC-NO-REFRESH")
@pytest.mark.verdict("fails")
def test_cc_no_refresh__refresh_token_in_response_fails(record: Record, fails: Fails) -> None:
    leaky = record(200, label="token-1", token={"refresh_token": "refresh-1"})
    failure = fails("CC-NO-REFRESH", [record(200, label="token-0"), leaky])
    assert failure.received == "HTTP 200, with an access_token (cc_success/token-1)"


@pytest.mark.requirement("CC-NO-REFRESH")
@pytest.mark.verdict("passes")
def test_cc_no_refresh__refused_requests_are_not_judged_passes(
    record: Record, run_check: Judge
) -> None:
    refused = record(400, json={"code": "CMN_90011", "message": "x", "refresh_token": "r"})
    run_check("CC-NO-REFRESH", [record(200), refused])


@pytest.mark.requirement("CC-NO-REFRESH")
@pytest.mark.verdict("skips")
def test_cc_no_refresh__no_successful_response_skips(record: Record, skips: Skips) -> None:
    reason = skips(
        "CC-NO-REFRESH", [record(401, error="CMN_90004"), record(200, token={"access_token": None})]
    )
    assert "CC-SUCCESS" in str(reason)
    skips("CC-NO-REFRESH", [])


@pytest.mark.requirement("PASSWORD-REFRESH")
@pytest.mark.verdict("passes")
def test_password_refresh__refresh_token_in_response_passes(
    record: Record, run_check: Judge
) -> None:
    run_check("PASSWORD-REFRESH", [record(200, scenario="password_success", grant=PW)])


@pytest.mark.requirement("PASSWORD-REFRESH")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("value", [None, "", 42], ids=["missing", "empty", "not-a-string"])
def test_password_refresh__no_usable_refresh_token_fails(
    record: Record, fails: Fails, value: Any
) -> None:
    # token=None drops the field; "" and 42 replace it.
    exchange = record(200, scenario="password_success", grant=PW, token={"refresh_token": value})
    assert (exchange.body_object() or {}).get("refresh_token") == value
    fails("PASSWORD-REFRESH", [exchange])


@pytest.mark.requirement("PASSWORD-REFRESH")
@pytest.mark.verdict("skips")
def test_password_refresh__no_successful_response_skips(record: Record, skips: Skips) -> None:
    refused = record(401, error="CMN_90015", scenario="password_success", grant=PW)
    reason = skips("PASSWORD-REFRESH", [refused])
    assert "PASSWORD-SUCCESS" in str(reason)


# --- CODE-SUCCESS, CODE-ID-TOKEN, CODE-REUSE (D21) ----------------------------------------


@pytest.mark.requirement("CODE-SUCCESS")
@pytest.mark.verdict("passes")
def test_code_success__token_for_a_fresh_code_passes(record: Record, run_check: Judge) -> None:
    run_check("CODE-SUCCESS", [_code(record), _code(record, 400, label="reuse")])


@pytest.mark.requirement("CODE-SUCCESS")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "answer",
    [{"status": 400, "error": "CMN_90016"}, {"status": 200, "token": {"access_token": ""}}],
    ids=["400", "empty-access-token"],
)
def test_code_success__no_token_fails(record: Record, fails: Fails, answer: dict[str, Any]) -> None:
    fails("CODE-SUCCESS", [_code(record, **answer)])


@pytest.mark.requirement("CODE-SUCCESS")
@pytest.mark.verdict("skips")
def test_code_success__no_exchange_step_skips(record: Record, skips: Skips) -> None:
    skips("CODE-SUCCESS", [])
    skips("CODE-SUCCESS", [_code(record, 400, label="reuse")])


@pytest.mark.requirement("CODE-ID-TOKEN")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "header",
    [{"alg": "RS256", "typ": "JWT"}, {"alg": "none"}, {"alg": "ES256", "kid": "k-é"}],
    ids=["rs256", "alg-none", "non-ascii-kid"],
)
def test_code_id_token__jwt_with_alg_passes(
    record: Record, run_check: Judge, make_jwt: MakeJwt, header: dict[str, str]
) -> None:
    run_check("CODE-ID-TOKEN", [_code(record, token={"id_token": make_jwt(header)})])


@pytest.mark.requirement("CODE-ID-TOKEN")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "id_token",
    [
        "opaque-id-token-0CE0b2NA",
        "a.b.c",
        "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ1In0.c2ln",  # header {"typ": "JWT"}: no alg
        "WyJhbGciXQ.eyJzdWIiOiJ1In0.c2ln",  # header ["alg"]: not an object
        "!!!.payload.sig",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0",  # two parts
        12345,
    ],
    ids=[
        "opaque",
        "three-parts-not-base64-json",
        "no-alg",
        "header-not-object",
        "not-base64",
        "two-parts",
        "not-a-string",
    ],
)
def test_code_id_token__not_a_jwt_fails(record: Record, fails: Fails, id_token: Any) -> None:
    failure = fails("CODE-ID-TOKEN", [_code(record, token={"id_token": id_token})])
    assert failure.received == "missing or not a JWT"


@pytest.mark.requirement("CODE-ID-TOKEN")
@pytest.mark.verdict("fails")
def test_code_id_token__missing_id_token_fails(record: Record, fails: Fails) -> None:
    fails("CODE-ID-TOKEN", [_code(record, token={"id_token": None})])


@pytest.mark.requirement("CODE-ID-TOKEN")
@pytest.mark.verdict("skips")
def test_code_id_token__code_not_exchanged_skips(record: Record, skips: Skips) -> None:
    skips("CODE-ID-TOKEN", [])
    reason = skips("CODE-ID-TOKEN", [_code(record, 400, error="CMN_90016")])
    assert "CODE-SUCCESS" in str(reason)


@pytest.mark.requirement("CODE-REUSE")
@pytest.mark.verdict("passes")
def test_code_reuse__second_exchange_refused_passes(record: Record, run_check: Judge) -> None:
    reused = _code(record, 400, error="CMN_90016", label="reuse")
    run_check("CODE-REUSE", [_code(record), reused])


@pytest.mark.requirement("CODE-REUSE")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "answer", [{"status": 200}, {"status": 302, "json": {}}], ids=["token-issued", "302"]
)
def test_code_reuse__second_exchange_not_refused_fails(
    record: Record, fails: Fails, answer: dict[str, Any]
) -> None:
    fails("CODE-REUSE", [_code(record), _code(record, label="reuse", **answer)])


@pytest.mark.requirement("CODE-REUSE")
@pytest.mark.verdict("skips")
def test_code_reuse__first_exchange_failed_skips(record: Record, skips: Skips) -> None:
    reason = skips("CODE-REUSE", [_code(record, 400, error="CMN_90016")])
    assert "CODE-SUCCESS" in str(reason)


# --- ID-TOKEN-CLAIMS: an OpenID Connect ID token ------------------------------------------

CLAIMS = {"sub": "reference-user", "iss": "https://issuer.test", "iat": 1000, "exp": 4600}


@pytest.mark.requirement("ID-TOKEN-CLAIMS")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "payload",
    [CLAIMS, {**CLAIMS, "iat": 1000.5, "exp": 1001, "aud": ["a", "b"], "nonce": "n"}],
    ids=["claims", "fractional-times-and-more-claims"],
)
def test_id_token_claims__oidc_claims_pass(
    record: Record, run_check: Judge, make_jwt: MakeJwt, payload: dict[str, Any]
) -> None:
    # answers without an id_token, or with one that is not a string (RESP-FIELD-TYPES'),
    # are not this check's
    others = [record(200, grant=CC), _code(record, token={"id_token": 7}, label="typed")]
    run_check(
        "ID-TOKEN-CLAIMS", [_code(record, token={"id_token": make_jwt(payload=payload)}), *others]
    )


@pytest.mark.requirement("ID-TOKEN-CLAIMS")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("payload", "said"),
    [
        ({**CLAIMS, "exp": 400}, "exp is 600 s before iat"),
        ({**CLAIMS, "exp": 1000}, "exp is 0 s before iat"),
        ({k: v for k, v in CLAIMS.items() if k != "exp"}, "claim exp is missing"),
        ({**CLAIMS, "iat": "1000"}, "claim iat is missing or not a number"),
        ({**CLAIMS, "iat": True}, "claim iat is missing or not a number"),
        ({**CLAIMS, "sub": 42}, "claim sub is missing or not a string"),
        ({k: v for k, v in CLAIMS.items() if k != "iss"}, "claim iss is missing"),
    ],
    ids=[
        "expired-at-issue",
        "exp-equals-iat",
        "no-exp",
        "iat-string",
        "iat-bool",
        "sub-number",
        "no-iss",
    ],
)
def test_id_token_claims__missing_or_expired_fails(
    record: Record, fails: Fails, make_jwt: MakeJwt, payload: dict[str, Any], said: str
) -> None:
    exchange = _code(record, token={"id_token": make_jwt(payload=payload)})
    failure = fails("ID-TOKEN-CLAIMS", [exchange])
    assert failure.received.startswith(f"id_token: {said}")


@pytest.mark.requirement("ID-TOKEN-CLAIMS")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "id_token",
    ["opaque-id-token", "eyJhbGciOiJSUzI1NiJ9.bm90LWpzb24.c2ln", "eyJhbGciOiJSUzI1NiJ9.WzFd.c2ln"],
    ids=["not-a-jwt", "payload-not-json", "payload-an-array"],
)
def test_id_token_claims__not_a_jwt_with_a_claims_object_fails(
    record: Record, fails: Fails, id_token: str
) -> None:
    fails("ID-TOKEN-CLAIMS", [_code(record, token={"id_token": id_token})])


@pytest.mark.requirement("ID-TOKEN-CLAIMS")
@pytest.mark.verdict("skips")
def test_id_token_claims__no_id_token_skips(record: Record, skips: Skips) -> None:
    skips("ID-TOKEN-CLAIMS", [])
    skips("ID-TOKEN-CLAIMS", [_code(record, token={"id_token": None}), _code(record, 400)])
