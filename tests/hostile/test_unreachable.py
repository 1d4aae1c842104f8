"""No HTTP answer at all (closed port, unknown host, untrusted TLS, silence, a trickle):
exit 2 within 10 s, a message naming the URL and the setting to check, and reports that
record the one error. `--insecure` turns certificate verification off, explicitly."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.hostile.conftest import Runs, with_cases
from tests.hostile.table import CASES, Case

PREFLIGHT = "PREFLIGHT"  # the case id of a run that could not reach its target
pytestmark = pytest.mark.slow
CANNOT_START = [c for c in CASES if c.preflight_fails]
cannot_start = pytest.mark.parametrize("case", CANNOT_START, ids=[c.name for c in CANNOT_START])


@cannot_start
def test_cannot_start__the_message_names_the_url_and_the_setting(
    case: Case, hostile_runs: Runs
) -> None:
    run = hostile_runs[case.name]
    assert f"Cannot reach the target at {run.token_url}." in run.stderr
    assert "--target / CONFORMANCE_TARGET" in run.stderr
    assert case.says in run.stderr
    assert not [seen for seen in run.seen if seen.method != "GET"]  # nothing but the probe


@cannot_start
def test_cannot_start__the_reports_record_one_error_naming_the_cause(
    case: Case, hostile_runs: Runs
) -> None:
    run = hostile_runs[case.name]
    results = run.results()
    assert (results["verdict"], results["counts"]) == ("ERROR", {"error": 1})
    (only,) = results["results"]
    assert only["case"] == PREFLIGHT and only["outcome"] == "error"
    assert run.token_url in only["message"] and case.says in only["message"]
    (testcase,) = ET.parse(run.report("junit.xml")).getroot().iter("testcase")
    error = testcase.find("error")
    assert testcase.get("name") == PREFLIGHT and error is not None
    assert (error.get("message") or "").startswith("Cannot reach the target")
    assert "Cannot reach the target at" in run.html()


@with_cases("untrusted-tls")
def test_untrusted_certificate__verified_by_default_and_the_message_names_insecure(
    case: Case, hostile_runs: Runs
) -> None:
    run = hostile_runs[case.name]
    assert run.url.startswith("https://")
    assert "CERTIFICATE_VERIFY_FAILED" in run.stderr and "--insecure" in run.stderr
    assert run.seen == []  # the handshake failed: not even the probe's GET arrived


@with_cases("untrusted-tls-insecure")
def test_insecure__turns_verification_off_and_the_run_judges_the_answers(
    case: Case, hostile_runs: Runs
) -> None:
    run = hostile_runs[case.name]
    results = run.results()
    probe, *sent = run.seen
    assert probe.method == "GET"
    assert results["run"]["requests_sent"] == len(sent) > 0  # all over the untrusted TLS
    assert results["verdict"] == "FAIL" and "error" not in results["counts"]
    assert not [m for m in run.messages() if "CERTIFICATE" in m]
