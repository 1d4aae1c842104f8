"""Targets that never answer, trickle, close mid-body or reset: the per-exchange deadline
and the whole-run timeout hold; what the target did is its failure, what the suite could
not do for lack of time is an error naming the setting; never a crash or a hang."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import Runs, with_cases
from tests.hostile.table import Case

pytestmark = pytest.mark.slow


@with_cases("silent-token", "trickle-token")
def test_no_request_is_sent_after_the_run_timeout(case: Case, hostile_runs: Runs) -> None:
    run = hostile_runs[case.name]
    probe, *posts = run.seen  # the preflight GET comes first
    assert probe.method == "GET" and posts
    assert max(seen.at for seen in posts) - probe.at < case.run_timeout + 2  # the target's clock
    errors = run.messages("error")
    assert errors and all("(setting run_timeout)" in message for message in errors)


@with_cases("silent-token", "trickle-token")
def test_each_exchange_ends_at_its_deadline_naming_the_timeout(
    case: Case, hostile_runs: Runs
) -> None:
    run = hostile_runs[case.name]
    deadline = f"no HTTP answer (no complete answer within {case.timeout:g} s (setting timeout))"
    failed = run.messages("failed")
    assert failed and all(deadline in message for message in failed)


@with_cases("close-mid-body", "reset")
def test_a_broken_connection_is_the_targets_failure_not_the_suites_error(
    case: Case, hostile_runs: Runs
) -> None:
    run = hostile_runs[case.name]
    results = run.results()
    assert results["verdict"] == "FAIL" and "error" not in results["counts"]
    failing = [r for r in results["results"] if r["outcome"] == "failed"]
    assert any(r["case"] == "CC-SUCCESS:client_credentials" for r in failing)
    assert all("no HTTP answer" in r["message"] or "HTTP 405" in r["message"] for r in failing)
