"""429 and 503 storms: the run honours Retry-After (or backs off), retries at most three
times, counts every attempt against its budget, and ends with a clear verdict."""

from __future__ import annotations

from collections import defaultdict

import pytest

from conformance.sender import MAX_RETRIES
from tests.hostile.conftest import Runs, with_cases
from tests.hostile.server import Seen
from tests.hostile.table import STORM_BUDGET, Case

pytestmark = pytest.mark.slow
back_pressure = with_cases("429-retry-after", "429-storm", "503-retry-after")
# The waits before retry 1, 2, 3: Retry-After when given, else the sender's back-off.
WAITS = {
    "429-retry-after": (1.0, 1.0, 1.0),
    "429-storm": (0.5, 1.0, 2.0),
    "503-retry-after": (1.0, 1.0, 1.0),
}


def attempts(seen: list[Seen]) -> dict[str, list[float]]:
    """When each request (by its transactionId) reached the target, retries included."""
    by_id: dict[str, list[float]] = defaultdict(list)
    for request in seen:
        if request.method == "POST" and request.transaction_id:
            by_id[request.transaction_id].append(request.at)
    return by_id


@back_pressure
def test_storm__every_attempt_counts_against_the_budget(case: Case, hostile_runs: Runs) -> None:
    run = hostile_runs[case.name]
    header = run.results()["run"]
    posts = [seen for seen in run.seen if seen.method == "POST"]
    # Nothing leaves uncounted and the budget is never passed; a request counted when its
    # slot was taken but abandoned before it left (the run ended meanwhile) is counted once.
    assert len(posts) <= header["requests_sent"] <= STORM_BUDGET
    tries = attempts(run.seen)
    assert max(len(times) for times in tries.values()) == 1 + MAX_RETRIES
    assert header["retries_honoured"] >= len(posts) - len(tries) > 0


@back_pressure
def test_storm__waits_before_each_retry(case: Case, hostile_runs: Runs) -> None:
    run = hostile_runs[case.name]
    for times in attempts(run.seen).values():
        gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
        for gap, wait in zip(gaps, WAITS[case.name], strict=False):
            assert gap >= wait * 0.9, (gaps, WAITS[case.name])


@back_pressure
def test_storm__ends_with_a_clear_verdict_naming_the_budget(case: Case, hostile_runs: Runs) -> None:
    run = hostile_runs[case.name]
    results = run.results()
    assert results["verdict"] == "ERROR" and "Conformance ERROR" in run.stdout
    errors = run.messages("error")
    # Each check ends on the budget, or on back-pressure the retries could not outlast:
    # an error either way, never a failure held against the target.
    assert errors and all(
        "(setting max_requests)" in message or "(throttled)" in message for message in errors
    )
    assert any("(setting max_requests)" in message for message in errors)
    assert not run.messages("failed")


@with_cases("503-storm")
def test_plain_503__is_an_answer_not_back_pressure(case: Case, hostile_runs: Runs) -> None:
    run = hostile_runs[case.name]
    results = run.results()
    assert results["run"]["retries_honoured"] == 0
    assert all(len(times) == 1 for times in attempts(run.seen).values())
    outcomes = {r["case"]: r["outcome"] for r in results["results"]}
    assert outcomes["NO-5XX"] == "failed" and results["verdict"] == "FAIL"
