"""Answers that are too big, not JSON, not UTF-8, not an object, or mislabelled: bounded
memory (at most max_response_bytes read of each), evidence marked truncated, and a clear
failure of the target (never an error of the suite)."""

from __future__ import annotations

import pytest

from conformance.redact import EVIDENCE_BODY_LIMIT
from tests.hostile.conftest import Runs, with_cases
from tests.hostile.server import HUGE_BODY_BYTES
from tests.hostile.table import BROKEN, HUGE_BODY_CAP, NO_ANSWER, Case, cases

pytestmark = pytest.mark.slow
MIB = 1024 * 1024
broken = pytest.mark.parametrize("case", cases(BROKEN), ids=[c.name for c in cases(BROKEN)])


@broken
def test_a_broken_answer_is_a_failure_of_the_target(case: Case, hostile_runs: Runs) -> None:
    run = hostile_runs[case.name]
    results = run.results()
    assert results["verdict"] == "FAIL" and "error" not in results["counts"]
    content_type = next(
        r for r in results["results"] if r["case"] == "RESP-CONTENT-TYPE:client_credentials"
    )
    expected = "skipped" if case.name in NO_ANSWER else "failed"  # no 200 was ever read
    assert content_type["outcome"] == expected, content_type["message"]


@with_cases("huge-body")
def test_huge_body__read_up_to_the_cap_and_marked_truncated(case: Case, hostile_runs: Runs) -> None:
    run = hostile_runs[case.name]
    responses = [
        e["response"] for r in run.results()["results"] for e in r["evidence"] if e["response"]
    ]
    answered = [r for r in responses if r["status"] == 200]
    assert answered and all(r["truncated"] for r in answered)
    suffix = f"... [{HUGE_BODY_CAP - EVIDENCE_BODY_LIMIT} more bytes]"
    assert all(r["body"].endswith(suffix) for r in answered)
    posts = [seen for seen in run.seen if seen.method == "POST"]
    # The target got rid of far less than it offered: the suite closed each answer early.
    assert run.body_bytes_sent < len(posts) * HUGE_BODY_BYTES / 4


@with_cases("huge-body")
def test_huge_body__memory_stays_bounded(case: Case, hostile_runs: Runs) -> None:
    run = hostile_runs[case.name]
    baseline = hostile_runs["invalid-json"]  # the same run, with small answers
    growth = run.max_rss_mib - baseline.max_rss_mib
    assert growth < 50, f"peak memory {run.max_rss_mib:.0f} MiB, {growth:.0f} MiB over baseline"
