"""The client authentication checks (`conformance.checks.client_auth`) of the platform's
contract, judged on recordings: a client with special characters in its credentials
authenticates, and a 401 answering an Authorization header carries a challenge.
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

CC = "client_credentials"

WRONG_CLIENT = Client("conformance-client", "wrong-secret-5f1d")
UNKNOWN_CLIENT = Client("unknown-client-9a0b", "secret-77c2")
SPECIAL_CLIENT = Client("spécial:client %+", "sécret: with%+plus")
SPECIAL = {"scenario": "auth_special", "label": "token", "grant": CC, "auth": SPECIAL_CLIENT}


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


# --- AUTH-WWW-AUTHENTICATE (D11) ----------------------------------------------------------


@pytest.mark.requirement("AUTH-WWW-AUTHENTICATE")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    ("scenario", "auth"),
    [
        ("auth_wrong_secret", WRONG_CLIENT),
        ("auth_unknown_client", UNKNOWN_CLIENT),
        ("auth_malformed", "Basic !!not*base64!!"),
    ],
    ids=["wrong-secret", "unknown-client", "malformed"],
)
def test_www_authenticate__401_with_challenge_passes(
    record: Record, run_check: Judge, scenario: str, auth: Any
) -> None:
    exchange = record(
        401,
        error="CMN_90004",
        scenario=scenario,
        label="x",
        auth=auth,
        headers={"WWW-Authenticate": 'Basic realm="token"'},
    )
    run_check("AUTH-WWW-AUTHENTICATE", [exchange, record(200), record(400, label="bad")])


@pytest.mark.requirement("AUTH-WWW-AUTHENTICATE")
@pytest.mark.verdict("passes")
def test_www_authenticate__401_without_authorization_is_not_judged_passes(
    record: Record, run_check: Judge
) -> None:
    challenged = record(401, auth=WRONG_CLIENT, headers={"www-authenticate": "Basic"})
    unchallenged = record(401, auth=None, scenario="auth_missing", label="no-header")
    run_check("AUTH-WWW-AUTHENTICATE", [challenged, unchallenged])


@pytest.mark.requirement("AUTH-WWW-AUTHENTICATE")
@pytest.mark.verdict("fails")
def test_www_authenticate__401_without_challenge_fails(record: Record, fails: Fails) -> None:
    challenged = record(401, auth=WRONG_CLIENT, headers={"WWW-Authenticate": "Basic"})
    bare = record(
        401, error="CMN_90004", auth=UNKNOWN_CLIENT, scenario="auth_unknown_client", label="unknown"
    )
    failure = fails("AUTH-WWW-AUTHENTICATE", [challenged, bare])
    assert "auth_unknown_client/unknown" in failure.received


@pytest.mark.requirement("AUTH-WWW-AUTHENTICATE")
@pytest.mark.verdict("fails")
def test_www_authenticate__401_on_revoke_without_challenge_fails(
    record: Record, fails: Fails
) -> None:
    revoke = record(
        401,
        operation="revoke",
        method="DELETE",
        grant=None,
        form={"token": "t-1"},
        scenario="revoke_flow",
        label="revoke",
    )
    fails("AUTH-WWW-AUTHENTICATE", [revoke])


@pytest.mark.requirement("AUTH-WWW-AUTHENTICATE")
@pytest.mark.verdict("skips")
def test_www_authenticate__no_401_to_an_authorization_header_skips(
    record: Record, skips: Skips
) -> None:
    skips("AUTH-WWW-AUTHENTICATE", [])
    no_header = record(401, auth=None, scenario="auth_missing", label="no-header")
    skips("AUTH-WWW-AUTHENTICATE", [record(200), record(400, label="bad"), no_header])
