"""The grant, lifecycle and method checks judged on recordings.

Recordings follow the scenarios: the runner hands a per-grant check only the exchanges
of that grant, so the refresh lifecycle checks see the `refresh` and `reuse` steps but
not the password set-up; REVOKE-SUCCESS (no grants) sees the whole revoke_flow.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conformance.errors import Failure, Skipped
from conformance.exchange import Exchange
from conformance.settings import Client

Record = Callable[..., Exchange]
Judge = Callable[..., None]
Fails = Callable[..., Failure]
Skips = Callable[..., Skipped]
MakeJwt = Callable[..., str]

CC = "client_credentials"
PW = "password"
CODE = "authorization_code"
RT = "refresh_token"

SPECIAL_CLIENT = Client("spécial:client %+", "sécret: with%+plus")


def _refresh(
    record: Record,
    status: int = 200,
    *,
    sent: str = "refresh-old",
    label: str = "refresh",
    scenario: str = "refresh_rotation",
    **kwargs: Any,
) -> Exchange:
    form = {"grant_type": RT, "refresh_token": sent}
    return record(status, scenario=scenario, label=label, grant=RT, form=form, **kwargs)


def _revoke(record: Record, status: int = 204, **kwargs: Any) -> Exchange:
    return record(
        status,
        scenario="revoke_flow",
        label="revoke",
        grant=None,
        method="DELETE",
        operation="revoke",
        form={"token": "refresh-old"},
        institution=None,
        **kwargs,
    )


def _code(record: Record, status: int = 200, *, label: str = "exchange", **kwargs: Any) -> Exchange:
    form = {"grant_type": CODE, "code": "code-0CE0b2NA"}
    return record(status, scenario="code_flow", label=label, grant=CODE, form=form, **kwargs)


# --- CC-SUCCESS, PASSWORD-SUCCESS: a valid request gets a token ---------------------------

SUCCESS = {
    "CC-SUCCESS": {"scenario": "cc_success", "label": "token-0", "grant": CC},
    "PASSWORD-SUCCESS": {"scenario": "password_success", "label": "token", "grant": PW},
}
SPECIAL = {"scenario": "auth_special", "label": "token", "grant": CC, "auth": SPECIAL_CLIENT}
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


# --- AUTH-SPECIAL-CHARS: judged against the main client's cc_success baseline -------------


def _baseline(record: Record, status: int = 200) -> Exchange:
    return record(status, scenario="cc_success", label="token-0", grant=CC)


def test_auth_special_chars__sender_form_urlencodes_the_credentials(record: Record) -> None:
    exchange = record(200, **SPECIAL)
    encoded = (exchange.request.header("authorization") or "").removeprefix("Basic ")
    assert base64.b64decode(encoded).decode() == (
        "sp%C3%A9cial%3Aclient+%25%2B:s%C3%A9cret%3A+with%25%2Bplus"
    )


@pytest.mark.requirement("AUTH-SPECIAL-CHARS")
@pytest.mark.verdict("passes")
def test_auth_special_chars__token_for_the_special_client_passes(
    record: Record, run_check: Judge
) -> None:
    run_check("AUTH-SPECIAL-CHARS", [_baseline(record), record(200, **SPECIAL)])


@pytest.mark.requirement("AUTH-SPECIAL-CHARS")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "answer",
    [
        {"status": 401, "error": "CMN_90004"},
        {"status": 400, "error": "CMN_90010"},
        {"status": 200, "token": {"access_token": None}},
        {"raises": httpx.ConnectError},
    ],
    ids=["401", "400", "200-without-token", "no-answer"],
)
def test_auth_special_chars__special_client_refused_while_main_client_works_fails(
    record: Record, fails: Fails, answer: dict[str, Any]
) -> None:
    failure = fails("AUTH-SPECIAL-CHARS", [_baseline(record), record(**{**SPECIAL, **answer})])
    assert "auth_special/token" in failure.received or "no HTTP answer" in failure.received


@pytest.mark.requirement("AUTH-SPECIAL-CHARS")
@pytest.mark.verdict("skips")
def test_auth_special_chars__main_client_refused_too_skips(record: Record, skips: Skips) -> None:
    special = record(401, error="CMN_90004", **SPECIAL)
    reason = skips("AUTH-SPECIAL-CHARS", [_baseline(record, 401), special])
    assert "CC-SUCCESS" in str(reason)
    skips("AUTH-SPECIAL-CHARS", [special])


@pytest.mark.requirement("AUTH-SPECIAL-CHARS")
@pytest.mark.verdict("skips")
def test_auth_special_chars__special_client_never_sent_skips(record: Record, skips: Skips) -> None:
    skips("AUTH-SPECIAL-CHARS", [])
    skips("AUTH-SPECIAL-CHARS", [_baseline(record)])


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
    assert failure.received == "a refresh_token field"


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


# --- REFRESH-SUCCESS, REFRESH-ROTATES, REFRESH-REUSE --------------------------------------


@pytest.mark.requirement("REFRESH-SUCCESS")
@pytest.mark.verdict("passes")
def test_refresh_success__new_access_and_refresh_token_passes(
    record: Record, run_check: Judge
) -> None:
    run_check("REFRESH-SUCCESS", [_refresh(record), _refresh(record, 400, label="reuse")])


@pytest.mark.requirement("REFRESH-SUCCESS")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "answer",
    [
        {"status": 400, "error": "CMN_90016"},
        {"status": 401, "error": "CMN_90018"},
        {"status": 200, "token": {"access_token": None}},
    ],
    ids=["400", "401", "200-without-access-token"],
)
def test_refresh_success__no_token_fails(
    record: Record, fails: Fails, answer: dict[str, Any]
) -> None:
    failure = fails("REFRESH-SUCCESS", [_refresh(record, **answer)])
    assert failure.expected == "HTTP 200 with a non-empty access_token"


@pytest.mark.requirement("REFRESH-SUCCESS")
@pytest.mark.verdict("fails")
def test_refresh_success__no_new_refresh_token_fails(record: Record, fails: Fails) -> None:
    failure = fails("REFRESH-SUCCESS", [_refresh(record, token={"refresh_token": None})])
    assert failure.expected == "a new refresh_token"


@pytest.mark.requirement("REFRESH-SUCCESS")
@pytest.mark.verdict("skips")
def test_refresh_success__no_refresh_step_skips(record: Record, skips: Skips) -> None:
    # The password set-up failed, so the scenario stopped; grant filtering leaves nothing.
    skips("REFRESH-SUCCESS", [])
    unrelated = _refresh(record, 400, label="other-step")
    skips("REFRESH-SUCCESS", [unrelated])


@pytest.mark.requirement("REFRESH-ROTATES")
@pytest.mark.verdict("passes")
def test_refresh_rotates__different_refresh_token_passes(record: Record, run_check: Judge) -> None:
    refreshed = _refresh(record, sent="refresh-old", token={"refresh_token": "refresh-new"})
    run_check("REFRESH-ROTATES", [refreshed, _refresh(record, 400, label="reuse")])


@pytest.mark.requirement("REFRESH-ROTATES")
@pytest.mark.verdict("fails")
def test_refresh_rotates__same_refresh_token_back_fails(record: Record, fails: Fails) -> None:
    same = _refresh(record, sent="refresh-old", token={"refresh_token": "refresh-old"})
    failure = fails("REFRESH-ROTATES", [same])
    assert failure.received == "the same refresh_token"


@pytest.mark.requirement("REFRESH-ROTATES")
@pytest.mark.verdict("skips")
@pytest.mark.parametrize(
    "answer",
    [{"status": 400, "error": "CMN_90016"}, {"status": 200, "token": {"refresh_token": None}}],
    ids=["refresh-refused", "no-refresh-token-back"],
)
def test_refresh_rotates__nothing_to_compare_skips(
    record: Record, skips: Skips, answer: dict[str, Any]
) -> None:
    skips("REFRESH-ROTATES", [_refresh(record, **answer)])


@pytest.mark.requirement("REFRESH-ROTATES")
@pytest.mark.verdict("skips")
def test_refresh_rotates__no_refresh_step_skips(skips: Skips) -> None:
    skips("REFRESH-ROTATES", [])


@pytest.mark.requirement("REFRESH-REUSE")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    ("status", "code"), [(400, "CMN_90016"), (401, "CMN_90018")], ids=["400", "401"]
)
def test_refresh_reuse__rotated_token_refused_passes(
    record: Record, run_check: Judge, status: int, code: str
) -> None:
    refreshed = _refresh(record, token={"refresh_token": "refresh-new"})
    reused = _refresh(record, status, error=code, label="reuse")
    run_check("REFRESH-REUSE", [refreshed, reused])


@pytest.mark.requirement("REFRESH-REUSE")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "answer", [{"status": 200}, {"status": 500, "error": "CMN_90000"}], ids=["token-issued", "500"]
)
def test_refresh_reuse__rotated_token_still_works_or_crashes_fails(
    record: Record, fails: Fails, answer: dict[str, Any]
) -> None:
    reused = _refresh(record, label="reuse", **answer)
    fails("REFRESH-REUSE", [_refresh(record), reused])


@pytest.mark.requirement("REFRESH-REUSE")
@pytest.mark.verdict("skips")
def test_refresh_reuse__nothing_rotated_out_skips(record: Record, skips: Skips) -> None:
    reason = skips("REFRESH-REUSE", [_refresh(record, token={"refresh_token": "refresh-old"})])
    assert "REFRESH-ROTATES" in str(reason)


# --- REVOKE-SUCCESS, REFRESH-REVOKED (D22) ------------------------------------------------


@pytest.mark.requirement("REVOKE-SUCCESS")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("status", [204, 200], ids=["204", "200"])
def test_revoke_success__2xx_passes(record: Record, run_check: Judge, status: int) -> None:
    setup = record(200, scenario="revoke_flow", label="password-setup", grant=PW)
    after = _refresh(record, 400, scenario="revoke_flow", label="after-revoke")
    run_check("REVOKE-SUCCESS", [setup, _revoke(record, status), after])


@pytest.mark.requirement("REVOKE-SUCCESS")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("status", [400, 401, 404, 405, 500], ids=str)
def test_revoke_success__refusal_fails(record: Record, fails: Fails, status: int) -> None:
    setup = record(200, scenario="revoke_flow", label="password-setup", grant=PW)
    failure = fails("REVOKE-SUCCESS", [setup, _revoke(record, status)])
    assert f"HTTP {status}" in failure.received


@pytest.mark.requirement("REVOKE-SUCCESS")
@pytest.mark.verdict("fails")
def test_revoke_success__no_http_answer_fails(record: Record, fails: Fails) -> None:
    fails("REVOKE-SUCCESS", [_revoke(record, raises=httpx.ConnectError)])


@pytest.mark.requirement("REVOKE-SUCCESS")
@pytest.mark.verdict("skips")
def test_revoke_success__no_refresh_token_to_revoke_skips(record: Record, skips: Skips) -> None:
    setup = record(401, error="CMN_90015", scenario="revoke_flow", label="password-setup", grant=PW)
    skips("REVOKE-SUCCESS", [setup])


@pytest.mark.requirement("REFRESH-REVOKED")
@pytest.mark.verdict("passes")
def test_refresh_revoked__revoked_token_refused_passes(record: Record, run_check: Judge) -> None:
    after = _refresh(record, 400, error="CMN_90016", scenario="revoke_flow", label="after-revoke")
    run_check("REFRESH-REVOKED", [after])


@pytest.mark.requirement("REFRESH-REVOKED")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "answer", [{"status": 200}, {"status": 500, "error": "CMN_90000"}], ids=["token-issued", "500"]
)
def test_refresh_revoked__revoked_token_still_works_fails(
    record: Record, fails: Fails, answer: dict[str, Any]
) -> None:
    after = _refresh(record, scenario="revoke_flow", label="after-revoke", **answer)
    fails("REFRESH-REVOKED", [after])


@pytest.mark.requirement("REFRESH-REVOKED")
@pytest.mark.verdict("skips")
def test_refresh_revoked__revocation_not_done_skips(record: Record, skips: Skips) -> None:
    reason = skips("REFRESH-REVOKED", [])
    assert "REVOKE-SUCCESS" in str(reason)


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


# --- METHOD-NOT-POST (D16) ----------------------------------------------------------------


def _other_method(record: Record, method: str, status: int = 405, **kwargs: Any) -> Exchange:
    if method == "GET":
        return record(
            status,
            scenario="method_not_post",
            label=method,
            method=method,
            operation="other",
            params={"grant_type": CC},
            content_type=None,
            **kwargs,
        )
    return record(
        status, scenario="method_not_post", label=method, method=method, operation="other", **kwargs
    )


@pytest.mark.requirement("METHOD-NOT-POST")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "answer",
    [
        {"status": 405, "content": b"Method Not Allowed"},
        {"status": 404, "error": "CMN_90011"},
        {"status": 200, "json": {"status": "up"}},
    ],
    ids=["405", "404", "200-without-token"],
)
def test_method_not_post__no_token_passes(
    record: Record, run_check: Judge, answer: dict[str, Any]
) -> None:
    exchanges = [_other_method(record, m, **answer) for m in ("GET", "PUT", "PATCH", "DELETE")]
    assert [e.request.method for e in exchanges] == ["GET", "PUT", "PATCH", "DELETE"]
    run_check("METHOD-NOT-POST", exchanges)


@pytest.mark.requirement("METHOD-NOT-POST")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_method_not_post__token_for_another_method_fails(
    record: Record, fails: Fails, method: str
) -> None:
    others = [_other_method(record, m) for m in ("GET", "PUT", "PATCH", "DELETE") if m != method]
    issued = _other_method(record, method, status=200, token={})
    failure = fails("METHOD-NOT-POST", [*others, issued])
    assert failure.title.startswith(f"{method} on the token endpoint")


@pytest.mark.requirement("METHOD-NOT-POST")
@pytest.mark.verdict("skips")
def test_method_not_post__nothing_sent_skips(skips: Skips) -> None:
    skips("METHOD-NOT-POST", [])
