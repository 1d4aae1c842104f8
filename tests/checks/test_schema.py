"""The schemathesis phase's checks, judged on recordings labelled as the phase labels them.

The phase labels a generated request `negative` when it breaks a required form field of
its grant (with every header valid; `Exchange.violation` says which), `optional-only`
when it breaks only fields a server may ignore, and records each failing schemathesis
check as a `Finding`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from conformance.errors import Failure, Skipped
from conformance.exchange import Exchange, Finding

Record = Callable[..., Exchange]
Judge = Callable[..., None]
Fails = Callable[..., Failure]
Skips = Callable[..., Skipped]

CC = "client_credentials"
CODE = "authorization_code"


def _generated(
    record: Record,
    status: int,
    label: str,
    violation: str | None = None,
    findings: tuple[Finding, ...] = (),
    **kwargs: object,
) -> Exchange:
    """A generated request as the phase records it: its label, violation and findings."""
    exchange = record(
        status, scenario=kwargs.pop("scenario", "prop_negative"), label=label, **kwargs
    )
    return replace(exchange, violation=violation, findings=findings)


def _negative(record: Record, status: int = 400, **kwargs: object) -> Exchange:
    kwargs.setdefault("error", "CMN_90011" if status < 500 else "CMN_90000")
    return _generated(
        record,
        status,
        "negative",
        "code: minLength",
        form={"grant_type": CODE, "code": ""},
        grant=CODE,
        **kwargs,
    )


# --- SCHEMA-NEGATIVE-REJECTED ------------------------------------------------------------


@pytest.mark.requirement("SCHEMA-NEGATIVE-REJECTED")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("status", [400, 401, 403])
def test_negative_rejected__4xx_without_token_passes(
    record: Record, run_check: Judge, status: int
) -> None:
    run_check("SCHEMA-NEGATIVE-REJECTED", [_negative(record, status), _negative(record, 400)])


@pytest.mark.requirement("SCHEMA-NEGATIVE-REJECTED")
@pytest.mark.verdict("passes")
def test_negative_rejected__optional_only_negative_is_not_judged(
    record: Record, run_check: Judge
) -> None:
    # Required fields valid as sent, an unknown parameter on top: a server may accept it.
    ignored = _generated(
        record,
        200,
        "optional-only",
        form={"grant_type": CC, "x-unknown": "42"},
    )
    run_check("SCHEMA-NEGATIVE-REJECTED", [_negative(record), ignored])


@pytest.mark.requirement("SCHEMA-NEGATIVE-REJECTED")
@pytest.mark.verdict("fails")
def test_negative_rejected__token_for_a_broken_required_field_fails(
    record: Record, fails: Fails
) -> None:
    accepted = _negative(record, 200, error=None, token={})
    failure = fails("SCHEMA-NEGATIVE-REJECTED", [_negative(record), accepted])
    assert failure.exchange is accepted
    assert "1 of 2" in failure.title
    assert "HTTP 200, with an access_token" in failure.received
    assert "code: minLength" in failure.received


@pytest.mark.requirement("SCHEMA-NEGATIVE-REJECTED")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("status", [302, 500])
def test_negative_rejected__a_status_other_than_4xx_fails(
    record: Record, fails: Fails, status: int
) -> None:
    answered = _negative(record, status, error=None, json={"code": "CMN_90000", "message": "x"})
    failure = fails("SCHEMA-NEGATIVE-REJECTED", [answered])
    assert f"HTTP {status}" in failure.received


@pytest.mark.requirement("SCHEMA-NEGATIVE-REJECTED")
@pytest.mark.verdict("skips")
def test_negative_rejected__no_judged_negative_skips(record: Record, skips: Skips) -> None:
    ignored = _generated(record, 400, "optional-only")
    unanswered = _negative(record, raises=httpx.ConnectError)
    skipped = skips("SCHEMA-NEGATIVE-REJECTED", [ignored, unanswered])
    assert "required form field" in str(skipped)


# --- SCHEMA-RESPONSE-CONFORMS ------------------------------------------------------------


@pytest.mark.requirement("SCHEMA-RESPONSE-CONFORMS")
@pytest.mark.verdict("passes")
def test_response_conforms__no_schemathesis_note_passes(record: Record, run_check: Judge) -> None:
    exchanges = [
        _generated(record, 200, "positive", scenario="prop_positive", grant=CC),
        _negative(record),  # its violation is the phase's label, not a check's verdict
    ]
    run_check("SCHEMA-RESPONSE-CONFORMS", exchanges)


@pytest.mark.requirement("SCHEMA-RESPONSE-CONFORMS")
@pytest.mark.verdict("fails")
def test_response_conforms__a_schemathesis_note_fails_naming_check_and_exchange(
    record: Record, fails: Fails
) -> None:
    clean = _generated(record, 200, "positive", scenario="prop_positive", grant=CC)
    noted = _generated(
        record,
        200,
        "positive",
        findings=(
            Finding("response_headers_conformance", "Missing required headers: Cache-Control"),
        ),
        scenario="prop_positive",
        grant=CC,
        headers={"Cache-Control": None},
    )
    failure = fails("SCHEMA-RESPONSE-CONFORMS", [clean, noted])
    assert failure.exchange is noted
    assert "response_headers_conformance" in failure.title
    assert "1 of 2" in failure.title
    assert "prop_positive/positive" in failure.received


@pytest.mark.requirement("SCHEMA-RESPONSE-CONFORMS")
@pytest.mark.verdict("skips")
def test_response_conforms__nothing_answered_skips(record: Record, skips: Skips) -> None:
    unanswered = _negative(record, raises=httpx.ConnectError)
    skips("SCHEMA-RESPONSE-CONFORMS", [unanswered])
    skips("SCHEMA-RESPONSE-CONFORMS", [])
