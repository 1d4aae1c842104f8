"""The security findings' checks (`conformance.checks.security`), judged on recordings
and, for the transport findings, on hand-built TLS postures (tests/test_tls_posture.py
probes real loopback TLS servers)."""

from __future__ import annotations

import base64
import random
import ssl
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conformance.errors import Failure, Skipped
from conformance.exchange import Exchange
from conformance.tls_posture import Answer, Attempt, Certificate, TlsPosture, Transport

Record = Callable[..., Exchange]
Judge = Callable[..., None]
Fails = Callable[..., Failure]
Skips = Callable[..., Skipped]

CC, PW, CODE, RT = "client_credentials", "password", "authorization_code", "refresh_token"


def _random_tokens(count: int, size: int = 32, seed: int = 7) -> list[str]:
    """Tokens made as secrets.token_urlsafe(size) makes them, from a seeded source."""
    rng = random.Random(seed)
    return [
        base64.urlsafe_b64encode(rng.randbytes(size)).rstrip(b"=").decode() for _ in range(count)
    ]


# --- SEC-PASSWORD-GRANT (RFC 9700 2.4) ---------------------------------------------------


def _password(record: Record, status: int = 200, **kwargs: Any) -> Exchange:
    return record(status, scenario="password_success", label="token", grant=PW, **kwargs)


@pytest.mark.requirement("SEC-PASSWORD-GRANT")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("status", [400, 401, 403])
def test_password_grant__refused_passes(record: Record, run_check: Judge, status: int) -> None:
    run_check("SEC-PASSWORD-GRANT", [_password(record, status, error="CMN_90007")])


@pytest.mark.requirement("SEC-PASSWORD-GRANT")
@pytest.mark.verdict("fails")
def test_password_grant__token_issued_fails(record: Record, fails: Fails) -> None:
    failure = fails("SEC-PASSWORD-GRANT", [_password(record, 400), _password(record)])
    assert "RFC 9700 2.4" in failure.expected


@pytest.mark.requirement("SEC-PASSWORD-GRANT")
@pytest.mark.verdict("skips")
def test_password_grant__nothing_answered_skips(record: Record, skips: Skips) -> None:
    import httpx

    skips("SEC-PASSWORD-GRANT", [])
    skips("SEC-PASSWORD-GRANT", [_password(record, raises=httpx.ConnectError)])


# --- SEC-TOKEN-ENTROPY, SEC-TOKEN-ENTROPY-160 (RFC 6749 10.10) ----------------------------


def _issued(record: Record, tokens: list[str], refresh: list[str] | None = None) -> list[Exchange]:
    answers = []
    for i, token in enumerate(tokens):
        fields: dict[str, Any] = {"access_token": token}
        if refresh:
            fields["refresh_token"] = refresh[i]
        answers.append(record(200, grant=PW if refresh else CC, token=fields))
    return answers


@pytest.mark.requirement("SEC-TOKEN-ENTROPY")
@pytest.mark.requirement("SEC-TOKEN-ENTROPY-160")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("requirement_id", ["SEC-TOKEN-ENTROPY", "SEC-TOKEN-ENTROPY-160"])
def test_entropy__256_bit_tokens_pass(
    record: Record, run_check: Judge, requirement_id: str
) -> None:
    access, refresh = _random_tokens(12, seed=1), _random_tokens(12, seed=2)
    exchanges = _issued(record, access, refresh)
    # a code the suite made up (never issued: a 400) is not the target's to be judged on
    exchanges.append(record(400, grant=CODE, form={"grant_type": CODE, "code": "x"}))
    run_check(requirement_id, exchanges)


@pytest.mark.requirement("SEC-TOKEN-ENTROPY")
@pytest.mark.verdict("passes")
def test_entropy__a_refresh_token_kept_across_refreshes_is_one_sample(
    record: Record, run_check: Judge
) -> None:
    access = _random_tokens(10, seed=3)
    kept = _random_tokens(1, seed=4) * 10  # a server that does not rotate: not a repeat
    run_check("SEC-TOKEN-ENTROPY", _issued(record, access, kept))


@pytest.mark.requirement("SEC-TOKEN-ENTROPY-160")
@pytest.mark.verdict("fails")
def test_entropy_160__128_bit_tokens_warn_the_should(
    record: Record, run_check: Judge, fails: Fails
) -> None:
    rng = random.Random(5)
    hex_tokens = [rng.randbytes(16).hex() for _ in range(40)]
    run_check("SEC-TOKEN-ENTROPY", _issued(record, hex_tokens))  # the MUST holds at 128
    failure = fails("SEC-TOKEN-ENTROPY-160", _issued(record, hex_tokens))
    assert "access token" in failure.received and "bits" in failure.received


@pytest.mark.requirement("SEC-TOKEN-ENTROPY")
@pytest.mark.requirement("SEC-TOKEN-ENTROPY-160")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("requirement_id", ["SEC-TOKEN-ENTROPY", "SEC-TOKEN-ENTROPY-160"])
def test_entropy__counter_tokens_fail(record: Record, fails: Fails, requirement_id: str) -> None:
    counters = [f"reference-token-{n:010d}" for n in range(1, 21)]
    failure = fails(requirement_id, _issued(record, counters))
    assert failure.received.startswith("access token: about")
    assert not any(token in str(failure) for token in counters[1:])  # no token is shown


@pytest.mark.requirement("SEC-TOKEN-ENTROPY")
@pytest.mark.verdict("fails")
def test_entropy__guessable_codes_fail(record: Record, fails: Fails) -> None:
    access = _random_tokens(10, seed=6)
    codes = [
        record(200, grant=CODE, form={"grant_type": CODE, "code": f"code-{n:04d}"},
               token={"access_token": token})
        for n, token in enumerate(_random_tokens(10, seed=8))
    ]  # fmt: skip
    failure = fails("SEC-TOKEN-ENTROPY", [*_issued(record, access), *codes])
    assert failure.received.startswith("authorization code:")


@pytest.mark.requirement("SEC-TOKEN-ENTROPY")
@pytest.mark.requirement("SEC-TOKEN-ENTROPY-160")
@pytest.mark.verdict("skips")
@pytest.mark.parametrize("requirement_id", ["SEC-TOKEN-ENTROPY", "SEC-TOKEN-ENTROPY-160"])
def test_entropy__no_token_or_one_sample_skips(
    record: Record, skips: Skips, requirement_id: str
) -> None:
    skips(requirement_id, [record(400)])
    # one token cannot show which of its characters vary: no pass on the bound alone
    reason = skips(requirement_id, _issued(record, _random_tokens(1)))
    assert "one sample" in str(reason)


# --- SEC-CODE-REUSE-REVOKES (RFC 6749 4.1.2) ----------------------------------------------

REUSE = "code_flow"


def _reuse_flow(record: Record, after: int) -> list[Exchange]:
    form = {"grant_type": CODE, "code": "code-0CE0b2NA"}
    first = record(200, scenario=REUSE, label="exchange", grant=CODE, form=form,
                   token={"refresh_token": "refresh-from-code"})  # fmt: skip
    reuse = record(400, scenario=REUSE, label="reuse", grant=CODE, form=form, error="CMN_90018")
    refresh = record(after, scenario=REUSE, label="refresh-after-reuse", grant=RT)
    return [first, reuse, refresh]


@pytest.mark.requirement("SEC-CODE-REUSE-REVOKES")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("status", [400, 401])
def test_code_reuse_revokes__refresh_refused_passes(
    record: Record, run_check: Judge, status: int
) -> None:
    run_check("SEC-CODE-REUSE-REVOKES", _reuse_flow(record, status))


@pytest.mark.requirement("SEC-CODE-REUSE-REVOKES")
@pytest.mark.verdict("fails")
def test_code_reuse_revokes__refresh_still_works_fails(record: Record, fails: Fails) -> None:
    failure = fails("SEC-CODE-REUSE-REVOKES", _reuse_flow(record, 200))
    assert "4.1.2" in failure.expected


@pytest.mark.requirement("SEC-CODE-REUSE-REVOKES")
@pytest.mark.verdict("skips")
def test_code_reuse_revokes__no_refresh_token_to_watch_skips(record: Record, skips: Skips) -> None:
    skips("SEC-CODE-REUSE-REVOKES", [])
    refused = record(400, scenario=REUSE, label="exchange", grant=CODE)
    assert "first exchange got no token" in str(skips("SEC-CODE-REUSE-REVOKES", [refused]))
    without = record(200, scenario=REUSE, label="exchange", grant=CODE)  # no offline_access
    assert "no refresh token" in str(skips("SEC-CODE-REUSE-REVOKES", [without]))


# --- SEC-REFRESH-CLIENT-AUTH, SEC-REFRESH-BOUND (RFC 6749 6, RFC 9700 4.14.2) ------------

ALONE = {
    "SEC-REFRESH-CLIENT-AUTH": ("refresh_no_client_auth", "no-client-auth"),
    "SEC-REFRESH-BOUND": ("refresh_foreign", "other-client"),
}
ALONE_TABLE = [pytest.param(rid, *sent, id=rid) for rid, sent in ALONE.items()]


@pytest.mark.verdict("passes")
@pytest.mark.parametrize(("requirement_id", "scenario", "label"), ALONE_TABLE)
def test_refresh_findings__refused_passes(
    record: Record, run_check: Judge, requirement_id: str, scenario: str, label: str
) -> None:
    setup = record(200, scenario=scenario, label="password-setup", grant=PW)
    refused = record(401, scenario=scenario, label=label, grant=RT, error="CMN_90004")
    run_check(requirement_id, [setup, refused])


@pytest.mark.verdict("fails")
@pytest.mark.parametrize(("requirement_id", "scenario", "label"), ALONE_TABLE)
def test_refresh_findings__token_issued_fails(
    record: Record, fails: Fails, requirement_id: str, scenario: str, label: str
) -> None:
    setup = record(200, scenario=scenario, label="password-setup", grant=PW)
    fails(requirement_id, [setup, record(200, scenario=scenario, label=label, grant=RT)])


@pytest.mark.verdict("skips")
@pytest.mark.parametrize(("requirement_id", "scenario", "label"), ALONE_TABLE)
def test_refresh_findings__no_refresh_token_skips(
    record: Record, skips: Skips, requirement_id: str, scenario: str, label: str
) -> None:
    setup = record(200, scenario=scenario, label="password-setup", grant=CC)
    skips(requirement_id, [setup])


# --- transport: SEC-TLS-REQUIRED and the TLS posture ---------------------------------------


def _posture(**changes: object) -> TlsPosture:
    refused = Attempt(Answer.REFUSED, "TLSV1_ALERT_PROTOCOL_VERSION")
    accepted = Attempt(Answer.ACCEPTED, "", "TLSv1.3", "TLS_AES_128_GCM_SHA256")
    checked = datetime.now(UTC)
    base = TlsPosture(
        "127.0.0.1", 443, "target.test", ssl.OPENSSL_VERSION, checked, accepted,
        (("TLS 1.0", refused), ("TLS 1.1", refused), ("TLS 1.2", accepted), ("TLS 1.3", accepted)),
        refused, (), Certificate(True, None, checked + timedelta(days=90), 90),
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def _https(posture: TlsPosture | None = None, error: str = "") -> Transport:
    return Transport("https", "target.test", False, posture, error)


@pytest.mark.requirement("SEC-TLS-REQUIRED")
@pytest.mark.verdict("passes")
def test_tls_required__https_passes(run_check: Judge) -> None:
    run_check("SEC-TLS-REQUIRED", [], transport=_https(_posture()))


@pytest.mark.requirement("SEC-TLS-REQUIRED")
@pytest.mark.verdict("fails")
def test_tls_required__plain_http_to_a_remote_host_fails(fails: Fails) -> None:
    failure = fails("SEC-TLS-REQUIRED", [], transport=Transport("http", "api.example", False))
    assert failure.received == "http:// to api.example"


@pytest.mark.requirement("SEC-TLS-REQUIRED")
@pytest.mark.verdict("skips")
def test_tls_required__plain_http_on_loopback_skips(skips: Skips) -> None:
    assert "loopback" in str(
        skips("SEC-TLS-REQUIRED", [], transport=Transport("http", "127.0.0.1", True))
    )
    skips("SEC-TLS-REQUIRED", [])


NOT_OFFERED = Attempt(Answer.NOT_TESTABLE, "this OpenSSL cannot offer TLS 1.0")
OLD_ACCEPTED = Attempt(Answer.ACCEPTED, "", "TLSv1", "ECDHE-RSA-AES128-SHA")
TLS_CASES = {
    # requirement: (a posture that breaks it, one this machine could not judge)
    "SEC-TLS-OLD-VERSIONS-REFUSED": (
        _posture(versions=(("TLS 1.0", OLD_ACCEPTED), *_posture().versions[1:])),
        _posture(versions=(("TLS 1.0", NOT_OFFERED), *_posture().versions[1:])),
    ),
    "SEC-TLS-MODERN-OFFERED": (
        _posture(
            versions=tuple((n, Attempt(Answer.REFUSED, "alert")) for n, _ in _posture().versions)
        ),
        _posture(
            versions=tuple((n, Attempt(Answer.NO_ANSWER, "reset")) for n, _ in _posture().versions)
        ),
    ),
    "SEC-TLS-1.3-OFFERED": (
        _posture(
            versions=(*_posture().versions[:3], ("TLS 1.3", Attempt(Answer.REFUSED, "alert")))
        ),
        _posture(versions=(*_posture().versions[:3], ("TLS 1.3", NOT_OFFERED))),
    ),
    "SEC-TLS-NO-WEAK-CIPHERS": (
        _posture(weak=Attempt(Answer.ACCEPTED, "", "TLSv1.2", "NULL-SHA256")),
        _posture(weak=Attempt(Answer.NOT_TESTABLE, "no weak suite can be offered here")),
    ),
    "SEC-TLS-CERT-VALID": (
        _posture(certificate=Certificate(False, "Hostname mismatch", None, 90)),
        _posture(certificate=Certificate(None, "no certificate seen", None, None)),
    ),
    "SEC-TLS-CERT-EXPIRY": (
        _posture(certificate=Certificate(True, None, datetime.now(UTC) + timedelta(days=10), 10)),
        _posture(certificate=Certificate(None, "no certificate seen", None, None)),
    ),
}


@pytest.mark.verdict("passes")
@pytest.mark.parametrize("requirement_id", sorted(TLS_CASES))
def test_tls_posture__a_sound_posture_passes(run_check: Judge, requirement_id: str) -> None:
    run_check(requirement_id, [], transport=_https(_posture()))


@pytest.mark.verdict("fails")
@pytest.mark.parametrize("requirement_id", sorted(TLS_CASES))
def test_tls_posture__the_broken_posture_fails(fails: Fails, requirement_id: str) -> None:
    failure = fails(requirement_id, [], transport=_https(TLS_CASES[requirement_id][0]))
    assert requirement_id in failure.title


@pytest.mark.verdict("skips")
@pytest.mark.parametrize("requirement_id", sorted(TLS_CASES))
def test_tls_posture__not_judgeable_or_no_tls_skips(skips: Skips, requirement_id: str) -> None:
    skips(requirement_id, [], transport=_https(TLS_CASES[requirement_id][1]))
    skips(requirement_id, [], transport=_https(None, "ConnectionRefusedError: refused"))
    skips(requirement_id, [], transport=Transport("http", "127.0.0.1", True))


# --- SEC-REFRESH-BOUND's scope (rfc6749 answers name their scope) -------------------------


def _wider(record: Record, status: int, scope: str | None) -> list[Exchange]:
    setup = record(200, scenario="refresh_scope", label="password-setup", grant=PW)
    token = {"scope": scope} if scope is not None else {}
    return [
        setup,
        record(status, scenario="refresh_scope", label="wider-scope", grant=RT, token=token),
    ]


@pytest.mark.requirement("SEC-REFRESH-BOUND")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    ("status", "scope"), [(400, None), (200, "accounts:read"), (200, None)],
    ids=["refused", "granted-the-original", "granted-without-saying"],
)  # fmt: skip
def test_refresh_bound__no_wider_scope_passes(
    record: Record, run_check: Judge, status: int, scope: str | None
) -> None:
    run_check("SEC-REFRESH-BOUND", _wider(record, status, scope), edition="rfc6749")


@pytest.mark.requirement("SEC-REFRESH-BOUND")
@pytest.mark.verdict("fails")
def test_refresh_bound__a_wider_scope_granted_fails(record: Record, fails: Fails) -> None:
    exchanges = _wider(record, 200, "accounts:read conformance-extra-scope")
    failure = fails("SEC-REFRESH-BOUND", exchanges, edition="rfc6749")
    assert "conformance-extra-scope" in failure.received
