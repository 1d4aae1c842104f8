"""The caching checks (`conformance.checks.caching`) of the platform's contract, judged on
recordings: Cache-Control: no-store and Pragma: no-cache on token responses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.errors import Failure
from conformance.exchange import Exchange

Record = Callable[..., Exchange]
Judge = Callable[..., None]
Fails = Callable[..., Failure]

CC = "client_credentials"


def _token(record: Record, grant: str = CC, **kwargs: Any) -> Exchange:
    """A 200 of `grant`; `kwargs` override the conforming defaults."""
    return record(kwargs.pop("status", 200), grant=grant, **kwargs)


# --- RESP-CACHE-CONTROL, RESP-PRAGMA (D9) -------------------------------------------------


@pytest.mark.requirement("RESP-CACHE-CONTROL")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "value",
    ["no-store", "no-cache, no-store", "NO-STORE", "private, no-store, max-age=0", "no-store,"],
    ids=["no-store", "no-cache-no-store", "uppercase", "among-others", "trailing-comma"],
)
def test_cache_control__no_store_passes(record: Record, run_check: Judge, value: str) -> None:
    run_check("RESP-CACHE-CONTROL", [_token(record, headers={"Cache-Control": value})])


@pytest.mark.requirement("RESP-CACHE-CONTROL")
@pytest.mark.verdict("passes")
def test_cache_control__no_store_in_a_second_header_passes(
    record: Record, run_check: Judge
) -> None:
    exchange = _token(
        record, headers={"Cache-Control": "private"}, raw_headers=[("Cache-Control", "no-store")]
    )
    run_check("RESP-CACHE-CONTROL", [exchange])


@pytest.mark.requirement("RESP-CACHE-CONTROL")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("value", "received"),
    [
        ("no-cache", "Cache-Control: 'no-cache'"),
        (None, "no Cache-Control header"),
        ("max-age=0, private", "Cache-Control: 'max-age=0, private'"),
        ("no-store-please", "Cache-Control: 'no-store-please'"),
    ],
    ids=["no-cache", "missing", "max-age-0", "lookalike"],
)
def test_cache_control__without_no_store_fails(
    record: Record, fails: Fails, value: str | None, received: str
) -> None:
    bad = _token(record, headers={"Cache-Control": value})
    assert fails("RESP-CACHE-CONTROL", [_token(record), bad]).received == received


@pytest.mark.requirement("RESP-PRAGMA")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("value", ["no-cache", "No-Cache"])
def test_pragma__no_cache_passes(record: Record, run_check: Judge, value: str) -> None:
    run_check("RESP-PRAGMA", [_token(record, headers={"Pragma": value})])


@pytest.mark.requirement("RESP-PRAGMA")
@pytest.mark.verdict("passes")
def test_pragma__no_cache_in_a_second_header_passes(record: Record, run_check: Judge) -> None:
    # As RESP-CACHE-CONTROL reads every Cache-Control line, a Pragma field may be split too
    # (RFC 9110 5.3: field lines with one name combine into one list).
    exchange = _token(record, headers={"Pragma": "x-vendor"}, raw_headers=[("Pragma", "no-cache")])
    run_check("RESP-PRAGMA", [exchange])


@pytest.mark.requirement("RESP-PRAGMA")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("value", "received"),
    [(None, "no Pragma header"), ("public", "Pragma: 'public'")],
    ids=["missing", "public"],
)
def test_pragma__without_no_cache_fails(
    record: Record, fails: Fails, value: str | None, received: str
) -> None:
    bad = _token(record, headers={"Pragma": value})
    assert fails("RESP-PRAGMA", [_token(record), bad]).received == received


@pytest.mark.requirement("RESP-PRAGMA")
@pytest.mark.verdict("passes")
def test_pragma__error_responses_are_not_judged_passes(record: Record, run_check: Judge) -> None:
    run_check("RESP-PRAGMA", [_token(record), record(400, error="CMN_90011")])
