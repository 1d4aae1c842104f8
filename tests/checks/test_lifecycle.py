"""The lifecycle checks (`conformance.checks.lifecycle`, and the refusals within a
lifecycle: REFRESH-REUSE, REFRESH-REVOKED) judged on recordings.

Recordings follow the scenarios: the runner hands a per-grant check only the exchanges
of that grant, so the refresh lifecycle checks see the `refresh` and `reuse` steps but
not the password set-up; REVOKE-SUCCESS (no grants) sees the whole revoke_flow.
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

PW = "password"
RT = "refresh_token"


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


def _revoke(
    record: Record,
    status: int = 204,
    *,
    label: str = "revoke",
    form: dict[str, str] | None = None,
    **kwargs: Any,
) -> Exchange:
    return record(
        status,
        scenario="revoke_flow",
        label=label,
        grant=None,
        method="DELETE",
        operation="revoke",
        form=form or {"token": "refresh-old"},
        institution=None,
        **kwargs,
    )


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
def test_revoke_success__204_or_200_passes(record: Record, run_check: Judge, status: int) -> None:
    setup = record(200, scenario="revoke_flow", label="password-setup", grant=PW)
    after = _refresh(record, 400, scenario="revoke_flow", label="after-revoke")
    run_check("REVOKE-SUCCESS", [setup, _revoke(record, status), after])


@pytest.mark.requirement("REVOKE-SUCCESS")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("status", [400, 500], ids=str)
def test_revoke_success__the_access_token_revocation_is_not_judged(
    record: Record, run_check: Judge, status: int
) -> None:
    # RFC 7009 2.2.1: a server may revoke no access token (unsupported_token_type)
    setup = record(200, scenario="revoke_flow", label="password-setup", grant=PW)
    access = _revoke(record, status, label="revoke-access", form={"token": "access-1"})
    run_check("REVOKE-SUCCESS", [setup, _revoke(record), access])


@pytest.mark.requirement("REVOKE-SUCCESS")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("status", [202, 205, 201, 206], ids=str)
def test_revoke_success__another_2xx_fails(record: Record, fails: Fails, status: int) -> None:
    # 202: accepted, maybe not done; 205: reset content. Neither says the token is revoked.
    setup = record(200, scenario="revoke_flow", label="password-setup", grant=PW)
    failure = fails("REVOKE-SUCCESS", [setup, _revoke(record, status, json={})])
    assert f"HTTP {status}" in failure.received
    assert "HTTP 204" in failure.expected and "not a success" in failure.title


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


# --- CODE-CONCURRENT-SINGLE-USE (D30) -----------------------------------------------------


def _burst(record: Record, statuses: list[int]) -> list[Exchange]:
    form = {"grant_type": "authorization_code", "code": "one-code"}
    return [
        record(
            status, scenario="code_burst", label=f"burst-{i}", grant="authorization_code", form=form
        )
        for i, status in enumerate(statuses)
    ]


@pytest.mark.requirement("CODE-CONCURRENT-SINGLE-USE")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "statuses", [[200, 400, 400, 400, 400], [400, 400, 400, 400, 400]], ids=["one", "none"]
)
def test_code_burst__at_most_one_token_passes(
    record: Record, run_check: Judge, statuses: list[int]
) -> None:
    run_check("CODE-CONCURRENT-SINGLE-USE", _burst(record, statuses))


@pytest.mark.requirement("CODE-CONCURRENT-SINGLE-USE")
@pytest.mark.verdict("fails")
def test_code_burst__two_tokens_for_one_code_fails(record: Record, fails: Fails) -> None:
    failure = fails("CODE-CONCURRENT-SINGLE-USE", _burst(record, [200, 200, 400, 400, 400]))
    assert failure.received == "2 with a token"


@pytest.mark.requirement("CODE-CONCURRENT-SINGLE-USE")
@pytest.mark.verdict("skips")
def test_code_burst__nothing_answered_skips(record: Record, skips: Skips) -> None:
    skips("CODE-CONCURRENT-SINGLE-USE", [])
    skips("CODE-CONCURRENT-SINGLE-USE", [record(raises=httpx.ConnectError, scenario="code_burst")])


# --- REFRESH-CONCURRENT-SINGLE-USE (D30) --------------------------------------------------


def _refresh_burst(record: Record, statuses: list[int], reuse: int | None = 400) -> list[Exchange]:
    """A refused (or, with `reuse` 200, accepted) sequential reuse, then the burst."""
    form = {"grant_type": "refresh_token", "refresh_token": "one-refresh-token"}
    sequence = (
        []
        if reuse is None
        else [
            record(
                reuse, scenario="refresh_rotation", label="reuse", grant="refresh_token", form=form
            )
        ]
    )
    return sequence + [
        record(
            status, scenario="refresh_burst", label=f"burst-{i}", grant="refresh_token", form=form
        )
        for i, status in enumerate(statuses)
    ]


@pytest.mark.requirement("REFRESH-CONCURRENT-SINGLE-USE")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "statuses", [[200, 400, 400, 400, 400], [400, 400, 400, 400, 400]], ids=["one", "none"]
)
def test_refresh_burst__at_most_one_token_passes(
    record: Record, run_check: Judge, statuses: list[int]
) -> None:
    run_check("REFRESH-CONCURRENT-SINGLE-USE", _refresh_burst(record, statuses))


@pytest.mark.requirement("REFRESH-CONCURRENT-SINGLE-USE")
@pytest.mark.verdict("fails")
def test_refresh_burst__two_tokens_for_one_refresh_token_fails(
    record: Record, fails: Fails
) -> None:
    exchanges = _refresh_burst(record, [400, 200, 200, 200, 400])
    failure = fails("REFRESH-CONCURRENT-SINGLE-USE", exchanges)
    assert failure.received == "3 with a token"
    assert failure.exchange is exchanges[3]


@pytest.mark.requirement("REFRESH-CONCURRENT-SINGLE-USE")
@pytest.mark.verdict("skips")
@pytest.mark.parametrize("reuse", [200, None], ids=["reuse-accepted", "never-rotated"])
def test_refresh_burst__without_sequential_single_use_skips(
    record: Record, skips: Skips, reuse: int | None
) -> None:
    # Reuse one after another not refused (REFRESH-REUSE's) or never tried: nothing to race.
    skipped = skips("REFRESH-CONCURRENT-SINGLE-USE", _refresh_burst(record, [200, 200], reuse))
    assert "rotated" in str(skipped)


@pytest.mark.requirement("REFRESH-CONCURRENT-SINGLE-USE")
@pytest.mark.verdict("skips")
def test_refresh_burst__no_burst_skips(record: Record, skips: Skips) -> None:
    skips("REFRESH-CONCURRENT-SINGLE-USE", _refresh_burst(record, []))


# --- INST-OPTIONAL-REFRESH (D5) -----------------------------------------------------------


def _refresh_without_institution(record: Record, status: int, **answer: Any) -> list[Exchange]:
    form = {"grant_type": "refresh_token", "refresh_token": "one-refresh-token"}
    refreshed = record(
        status,
        scenario="refresh_no_institution",
        label="no-institution",
        grant="refresh_token",
        form=form,
        institution=None,
        **answer,
    )
    assert refreshed.request.header("institutionId") is None
    return [refreshed]


@pytest.mark.requirement("INST-OPTIONAL-REFRESH")
@pytest.mark.verdict("passes")
def test_refresh_without_institution__token_passes(record: Record, run_check: Judge) -> None:
    run_check("INST-OPTIONAL-REFRESH", _refresh_without_institution(record, 200))


@pytest.mark.requirement("INST-OPTIONAL-REFRESH")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("status", [400, 403])
def test_refresh_without_institution__refused_fails(
    record: Record, fails: Fails, status: int
) -> None:
    exchanges = _refresh_without_institution(record, status, error="CMN_90005")
    failure = fails("INST-OPTIONAL-REFRESH", exchanges)
    assert failure.exchange is exchanges[0] and f"HTTP {status}" in failure.received


@pytest.mark.requirement("INST-OPTIONAL-REFRESH")
@pytest.mark.verdict("skips")
def test_refresh_without_institution__no_refresh_token_skips(record: Record, skips: Skips) -> None:
    skips(
        "INST-OPTIONAL-REFRESH",
        [record(401, scenario="refresh_no_institution", label="password-setup")],
    )
