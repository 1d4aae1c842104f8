"""Every hostile case: the run ends with its exit code within its bound, never crashes,
writes well-formed reports that agree with its exit code, and leaks no secret."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from jsonschema import Draft202012Validator

from conformance.reports.results_json import results_schema
from tests.hostile.conftest import SECRETS, Runs
from tests.hostile.table import CASES, Case
from tests.reports.conftest import ParsedPage

PROGRESS = re.compile(r"conformance: \d+/\d+ requests sent, [0-9.]+ req/s, \d+ s elapsed")

pytestmark = pytest.mark.slow
every_case = pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])


@every_case
def test_the_run_ends_with_its_exit_code_within_its_bound(case: Case, hostile_runs: Runs) -> None:
    run = hostile_runs[case.name]
    assert not run.killed, run.describe()
    assert run.exit_code == case.exit_code, run.describe()
    assert run.elapsed_s < case.bound_s, run.describe()


@every_case
def test_the_run_never_crashes(case: Case, hostile_runs: Runs) -> None:
    run = hostile_runs[case.name]
    assert "Traceback" not in run.stdout + run.stderr, run.describe()
    if case.preflight_fails:  # the one message a run that cannot start prints
        assert run.stderr.startswith(f"error: Cannot reach the target at {run.token_url}.")
    else:
        # Without a terminal the run says how far it got every few seconds, and nothing else.
        others = [line for line in run.stderr.splitlines() if not PROGRESS.fullmatch(line)]
        assert others == [], run.describe()
        assert "Conformance FAIL" in run.stdout or "Conformance ERROR" in run.stdout


@every_case
def test_a_message_says_what_the_target_did(case: Case, hostile_runs: Runs) -> None:
    run = hostile_runs[case.name]
    said = "\n".join([run.stderr, *run.messages()])
    assert case.says in said, run.describe()


@every_case
def test_the_reports_are_well_formed_and_agree_with_the_exit_code(
    case: Case, hostile_runs: Runs
) -> None:
    run = hostile_runs[case.name]
    results = run.results()
    Draft202012Validator(results_schema()).validate(results)
    assert results["exit_code"] == run.exit_code
    suite = ET.parse(run.report("junit.xml")).getroot().find("testsuite")
    assert suite is not None
    assert int(suite.get("tests", "-1")) == len(results["results"])
    assert int(suite.get("errors", "-1")) == results["counts"].get("error", 0)
    assert int(suite.get("failures", "-1")) == results["counts"].get("failed", 0)
    page = ParsedPage(run.html())
    assert [tag for tag, _ in page.tags].count("script") == 1  # the report's own, only
    assert f"Verdict: {results['verdict']}" in run.html()


@every_case
def test_no_secret_reaches_a_report_or_the_output(case: Case, hostile_runs: Runs) -> None:
    run = hostile_runs[case.name]
    leaks = sorted(
        (name, secret[:6])
        for name, text in run.artifacts().items()
        for secret in SECRETS
        if secret in text
    )
    assert leaks == []
